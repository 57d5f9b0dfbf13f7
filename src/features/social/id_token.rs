//! ID tokens from identity providers, checked as OpenID Connect Core §3.1.3.7 and RFC 9700 ask:
//! the signature by a key of the provider's JWKS (RS256, ES256 or EdDSA), then `iss`, `aud`
//! (with `azp` where there are several audiences or one is named), `exp`, an `iat` not in the
//! future, and the `nonce` the sign-in sent.

use crate::crypto::jws::{self, JwsError};
use crate::time::{Millis, SECOND};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde_json::{Map, Value};
use thiserror::Error;

/// Clock difference tolerated between the provider and us (better-auth's 30 s).
pub const SKEW: Millis = 30 * SECOND;

#[derive(Debug, Error, PartialEq)]
pub enum IdTokenError {
    #[error("the ID token is not a compact JWS")]
    Malformed,
    #[error("{0}")]
    Jws(#[from] JwsError),
    #[error("no key of the provider has the token's key id")]
    UnknownKey,
    #[error("the issuer is not the provider's")]
    Issuer,
    #[error("the token is not for this client (aud)")]
    Audience,
    #[error("the authorized party (azp) is not this client")]
    AuthorizedParty,
    #[error("the token has expired")]
    Expired,
    #[error("the token was issued in the future, or too long ago")]
    IssuedAt,
    #[error("the nonce is missing or not the one sent")]
    Nonce,
    #[error("the token names no subject")]
    Subject,
}

/// What a token must say to be accepted.
pub struct Expected<'a> {
    /// The issuers accepted (Google answers with two spellings); empty: any (Microsoft's
    /// multi-tenant endpoints, checked by the caller).
    pub issuers: &'a [String],
    pub client_id: &'a str,
    /// The nonce the sign-in sent, when it sent one.
    pub nonce: Option<&'a str>,
    pub now: Millis,
    /// The oldest `iat` accepted, for tokens handed to us by clients.
    pub max_age: Option<Millis>,
}

/// The parts of a compact JWS: header, claims, the signing input and the signature.
struct Parts {
    header: Map<String, Value>,
    claims: Map<String, Value>,
    signing_input: String,
    signature: Vec<u8>,
}

fn decode_json(part: &str) -> Result<Map<String, Value>, IdTokenError> {
    let bytes = URL_SAFE_NO_PAD
        .decode(part)
        .map_err(|_| IdTokenError::Malformed)?;
    match serde_json::from_slice(&bytes) {
        Ok(Value::Object(map)) => Ok(map),
        _ => Err(IdTokenError::Malformed),
    }
}

fn split(token: &str) -> Result<Parts, IdTokenError> {
    let mut pieces = token.split('.');
    let (Some(header), Some(claims), Some(signature), None) =
        (pieces.next(), pieces.next(), pieces.next(), pieces.next())
    else {
        return Err(IdTokenError::Malformed);
    };
    Ok(Parts {
        header: decode_json(header)?,
        claims: decode_json(claims)?,
        signing_input: format!("{header}.{claims}"),
        signature: URL_SAFE_NO_PAD
            .decode(signature)
            .map_err(|_| IdTokenError::Malformed)?,
    })
}

/// The key id a token names, to find its key (and to know when the JWKS must be fetched again).
pub fn key_id(token: &str) -> Option<String> {
    let header = token.split('.').next()?;
    decode_json(header)
        .ok()?
        .get("kid")
        .and_then(Value::as_str)
        .map(str::to_string)
}

/// The key of `keys` (a JWKS's `keys`) that may check a token with this algorithm and key id: the
/// one with that `kid`, or without a `kid`, the only key that fits.
fn find_key<'k>(keys: &'k [Value], alg: &str, kid: Option<&str>) -> Option<&'k Value> {
    let fitting = keys.iter().filter(|k| jws::key_fits(alg, k));
    match kid {
        Some(kid) => fitting
            .clone()
            .find(|k| k.get("kid").and_then(Value::as_str) == Some(kid)),
        None => {
            let all: Vec<&Value> = fitting.collect();
            (all.len() == 1).then(|| all[0])
        }
    }
}

fn seconds(claims: &Map<String, Value>, name: &str) -> Option<Millis> {
    claims
        .get(name)
        .and_then(Value::as_f64)
        .map(|s| (s * 1000.0) as Millis)
}

/// The claims of a token this service verified when it stored it (for `account-info`).
pub fn stored_claims(token: &str) -> Option<Map<String, Value>> {
    split(token).ok().map(|parts| parts.claims)
}

/// The token's claims, once its signature and claims hold.
pub fn verify(
    token: &str,
    keys: &[Value],
    expected: &Expected<'_>,
) -> Result<Map<String, Value>, IdTokenError> {
    let parts = split(token)?;
    let alg = parts
        .header
        .get("alg")
        .and_then(Value::as_str)
        .unwrap_or("none");
    if !jws::ACCEPTED.iter().any(|(a, _)| *a == alg) {
        return Err(JwsError::Algorithm(alg.to_string()).into());
    }
    let kid = parts.header.get("kid").and_then(Value::as_str);
    let key = find_key(keys, alg, kid).ok_or(IdTokenError::UnknownKey)?;
    jws::verify(alg, key, parts.signing_input.as_bytes(), &parts.signature)?;
    check_claims(parts.claims, expected)
}

fn check_claims(
    claims: Map<String, Value>,
    expected: &Expected<'_>,
) -> Result<Map<String, Value>, IdTokenError> {
    let text = |name: &str| claims.get(name).and_then(Value::as_str);
    if !expected.issuers.is_empty()
        && !text("iss").is_some_and(|iss| expected.issuers.iter().any(|i| i == iss))
    {
        return Err(IdTokenError::Issuer);
    }
    let audiences: Vec<&str> = match claims.get("aud") {
        Some(Value::String(aud)) => vec![aud.as_str()],
        Some(Value::Array(list)) => list.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    };
    if !audiences.contains(&expected.client_id) {
        return Err(IdTokenError::Audience);
    }
    match text("azp") {
        Some(azp) if azp != expected.client_id => return Err(IdTokenError::AuthorizedParty),
        None if audiences.len() > 1 => return Err(IdTokenError::AuthorizedParty),
        _ => {}
    }
    let now = expected.now;
    if seconds(&claims, "exp").is_none_or(|exp| now > exp + SKEW) {
        return Err(IdTokenError::Expired);
    }
    let issued = seconds(&claims, "iat").ok_or(IdTokenError::IssuedAt)?;
    let too_old = expected
        .max_age
        .is_some_and(|age| issued + age + SKEW < now);
    if issued > now + SKEW || too_old {
        return Err(IdTokenError::IssuedAt);
    }
    if let Some(nonce) = expected.nonce {
        if text("nonce") != Some(nonce) {
            return Err(IdTokenError::Nonce);
        }
    }
    if text("sub").is_none_or(str::is_empty) {
        return Err(IdTokenError::Subject);
    }
    Ok(claims)
}
