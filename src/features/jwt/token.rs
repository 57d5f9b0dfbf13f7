//! Signing JWTs with our keys, and verifying them as RFC 8725 asks: the algorithm must be the one
//! of the key the token names (EdDSA or ES256; never `none` or HMAC), the key chosen by an exact `kid` from keys we trust (never from the token:
//! `jwk`, `jku` and `x5u` are ignored), strict signature checks, and `exp`/`nbf`/`iss`/`aud`.

use super::keys::{Alg, KeyPair, PublicKey};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde_json::{json, Map, Value};
use thiserror::Error;

#[derive(Debug, Error, PartialEq, Eq)]
pub enum JwtError {
    #[error("the token is not a well-formed JWS")]
    Malformed,
    #[error("the algorithm is not the key's")]
    UnsupportedAlgorithm,
    #[error("the token is not of type JWT")]
    WrongType,
    #[error("no trusted key has the token's kid")]
    UnknownKey,
    #[error("the signature does not verify")]
    BadSignature,
    #[error("the token has no {0} claim")]
    MissingClaim(&'static str),
    #[error("the token has expired")]
    Expired,
    #[error("the token is not valid yet")]
    NotYetValid,
    #[error("the issuer is not the expected one")]
    WrongIssuer,
    #[error("the audience is not the expected one")]
    WrongAudience,
}

fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// A compact JWS of `claims`, with header `{"alg":…,"kid":…,"typ":"JWT"}`.
pub fn sign(pair: &KeyPair, claims: &Map<String, Value>) -> String {
    let header = json!({"alg": pair.alg().as_str(), "kid": pair.kid, "typ": "JWT"});
    let input = format!(
        "{}.{}",
        b64(header.to_string().as_bytes()),
        b64(Value::Object(claims.clone()).to_string().as_bytes())
    );
    let signature = pair.sign(input.as_bytes());
    format!("{input}.{}", b64(&signature))
}

/// Checks a signature over `input` (Ed25519 strictly: no malleable or small-order forms).
pub fn verify_signature(key: &PublicKey, input: &str, signature_b64: &str) -> Result<(), JwtError> {
    let bytes = URL_SAFE_NO_PAD
        .decode(signature_b64)
        .map_err(|_| JwtError::Malformed)?;
    if bytes.len() != 64 {
        return Err(JwtError::Malformed);
    }
    if key.verify(input.as_bytes(), &bytes) {
        Ok(())
    } else {
        Err(JwtError::BadSignature)
    }
}

/// What a verifier expects of a token. Times are Unix seconds.
pub struct Expectations<'a> {
    pub issuer: &'a str,
    pub audience: &'a str,
    pub now: i64,
    /// Allowed clock skew for `exp` and `nbf`.
    pub leeway: i64,
}

fn decode_json(part: &str) -> Result<Map<String, Value>, JwtError> {
    let bytes = URL_SAFE_NO_PAD
        .decode(part)
        .map_err(|_| JwtError::Malformed)?;
    match serde_json::from_slice(&bytes) {
        Ok(Value::Object(map)) => Ok(map),
        _ => Err(JwtError::Malformed),
    }
}

/// The `kid` a token's header names, unverified (to pick among trusted keys).
pub fn kid_of(token: &str) -> Option<String> {
    let header = decode_json(token.split('.').next()?).ok()?;
    header.get("kid")?.as_str().map(str::to_string)
}

/// Verifies a token against trusted keys and returns its claims.
pub fn verify(
    token: &str,
    keys: &[PublicKey],
    expect: &Expectations<'_>,
) -> Result<Map<String, Value>, JwtError> {
    let mut parts = token.split('.');
    let (Some(header_b64), Some(payload_b64), Some(signature_b64), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(JwtError::Malformed);
    };
    let header = decode_json(header_b64)?;
    let alg = match header.get("alg").and_then(Value::as_str) {
        Some("EdDSA") | Some("Ed25519") => Alg::EdDSA,
        Some("ES256") => Alg::ES256,
        _ => return Err(JwtError::UnsupportedAlgorithm),
    };
    if header
        .get("typ")
        .is_some_and(|t| !t.as_str().is_some_and(|t| t.eq_ignore_ascii_case("JWT")))
    {
        return Err(JwtError::WrongType);
    }
    if header.contains_key("crit") {
        return Err(JwtError::Malformed); // no extensions are understood, so none may be critical
    }
    let kid = header
        .get("kid")
        .and_then(Value::as_str)
        .ok_or(JwtError::UnknownKey)?;
    let key = keys
        .iter()
        .find(|k| k.kid == kid)
        .ok_or(JwtError::UnknownKey)?;
    if key.alg != alg {
        return Err(JwtError::UnsupportedAlgorithm);
    }
    verify_signature(
        key,
        &token[..header_b64.len() + 1 + payload_b64.len()],
        signature_b64,
    )?;

    let claims = decode_json(payload_b64)?;
    let number = |name: &'static str| {
        claims
            .get(name)
            .map(|v| v.as_f64().ok_or(JwtError::MissingClaim(name)))
            .transpose()
    };
    let exp = number("exp")?.ok_or(JwtError::MissingClaim("exp"))?;
    if expect.now as f64 >= exp + expect.leeway as f64 {
        return Err(JwtError::Expired);
    }
    if number("nbf")?.is_some_and(|nbf| nbf > (expect.now + expect.leeway) as f64) {
        return Err(JwtError::NotYetValid);
    }
    if claims.get("iss").and_then(Value::as_str) != Some(expect.issuer) {
        return Err(JwtError::WrongIssuer);
    }
    let audience_ok = match claims.get("aud") {
        Some(Value::String(a)) => a == expect.audience,
        Some(Value::Array(list)) => list.iter().any(|a| a.as_str() == Some(expect.audience)),
        _ => false,
    };
    if !audience_ok {
        return Err(JwtError::WrongAudience);
    }
    Ok(claims)
}

/// The Ed25519 keys of a JWKS document (`{"keys":[…]}`); keys of other types are skipped.
pub fn keys_from_jwks(jwks: &Value) -> Vec<PublicKey> {
    let entries = jwks
        .get("keys")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default();
    entries
        .iter()
        .filter_map(|jwk| {
            let kid = jwk.get("kid")?.as_str()?;
            PublicKey::from_jwk(kid, Alg::EdDSA, jwk).ok()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use hmac::{Hmac, KeyInit, Mac};

    const ISS: &str = "https://auth.example.com";
    const NOW: i64 = 1_767_225_600;

    fn expect() -> Expectations<'static> {
        Expectations {
            issuer: ISS,
            audience: ISS,
            now: NOW,
            leeway: 0,
        }
    }

    fn claims(extra: Value) -> Map<String, Value> {
        let mut base = json!({"iat": NOW, "sub": "u1", "exp": NOW + 900, "iss": ISS, "aud": ISS});
        base.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        base.as_object().unwrap().clone()
    }

    fn pair() -> KeyPair {
        KeyPair::generate("key-1".into(), Alg::EdDSA).unwrap()
    }

    fn raw_token(header: Value, payload: Value, sign_with: &KeyPair) -> String {
        let input = format!(
            "{}.{}",
            b64(header.to_string().as_bytes()),
            b64(payload.to_string().as_bytes())
        );
        format!("{input}.{}", b64(&sign_with.sign(input.as_bytes())))
    }

    // RFC 8037 appendix A.4: Ed25519 signing is deterministic, so the signature must match exactly.
    #[test]
    fn rfc_8037_a4_signature_matches_and_verifies() {
        let d = r#"{"kty":"OKP","crv":"Ed25519","d":"nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}"#;
        let pair = KeyPair::from_stored("a4", d, b"unused").unwrap();
        let input = "eyJhbGciOiJFZERTQSJ9.RXhhbXBsZSBvZiBFZDI1NTE5IHNpZ25pbmc";
        let expected = "hgyY0il_MGCjP0JzlnLWG1PPOt7-09PGcvMg3AIbQR6dWbhijcNR4ki4iylGjg5BhVsPt9g7sVvpAr_MuM0KAg";
        assert_eq!(b64(&pair.sign(input.as_bytes())), expected);
        assert_eq!(verify_signature(&pair.public(), input, expected), Ok(()));
        assert_eq!(
            verify_signature(&pair.public(), "eyJhbGciOiJFZERTQSJ9.eA", expected),
            Err(JwtError::BadSignature)
        );
    }

    #[test]
    fn our_tokens_verify_and_carry_the_header_we_promise() {
        let pair = pair();
        let token = sign(&pair, &claims(json!({"email": "a@example.com"})));
        let header = decode_json(token.split('.').next().unwrap()).unwrap();
        assert_eq!(
            Value::Object(header),
            json!({"alg": "EdDSA", "kid": "key-1", "typ": "JWT"})
        );
        let claims = verify(&token, &[pair.public()], &expect()).unwrap();
        assert_eq!(claims["email"], "a@example.com");
    }

    #[test]
    fn alg_none_and_other_algorithms_are_refused() {
        let pair = pair();
        let payload = Value::Object(claims(json!({})));
        let unsigned = format!(
            "{}.{}.",
            b64(br#"{"alg":"none","kid":"key-1"}"#),
            b64(payload.to_string().as_bytes())
        );
        assert_eq!(
            verify(&unsigned, &[pair.public()], &expect()),
            Err(JwtError::UnsupportedAlgorithm)
        );
        let es = raw_token(json!({"alg": "ES256", "kid": "key-1"}), payload, &pair);
        assert_eq!(
            verify(&es, &[pair.public()], &expect()),
            Err(JwtError::UnsupportedAlgorithm)
        );
    }

    #[test]
    fn hs256_signed_with_the_public_key_is_refused() {
        let pair = pair();
        let input = format!(
            "{}.{}",
            b64(br#"{"alg":"HS256","kid":"key-1","typ":"JWT"}"#),
            b64(Value::Object(claims(json!({}))).to_string().as_bytes())
        );
        for secret in [
            URL_SAFE_NO_PAD.decode(pair.public().x()).unwrap(),
            pair.public_jwk_json().into_bytes(),
            pair.public().x().as_bytes().to_vec(),
        ] {
            let mut mac = <Hmac<sha2::Sha256> as KeyInit>::new_from_slice(&secret).unwrap();
            mac.update(input.as_bytes());
            let forged = format!("{input}.{}", b64(&mac.finalize().into_bytes()));
            assert_eq!(
                verify(&forged, &[pair.public()], &expect()),
                Err(JwtError::UnsupportedAlgorithm)
            );
        }
    }

    #[test]
    fn keys_come_only_from_the_trusted_set_by_exact_kid() {
        let (ours, attacker) = (
            pair(),
            KeyPair::generate("attacker".into(), Alg::EdDSA).unwrap(),
        );
        let payload = Value::Object(claims(json!({})));
        let unknown = raw_token(
            json!({"alg": "EdDSA", "kid": "attacker", "jwk": serde_json::from_str::<Value>(&attacker.public_jwk_json()).unwrap(), "jku": "https://evil.test/jwks"}),
            payload.clone(),
            &attacker,
        );
        assert_eq!(
            verify(&unknown, &[ours.public()], &expect()),
            Err(JwtError::UnknownKey)
        );
        let borrowed_kid = raw_token(
            json!({"alg": "EdDSA", "kid": "key-1", "x5u": "https://evil.test/cert"}),
            payload.clone(),
            &attacker,
        );
        assert_eq!(
            verify(&borrowed_kid, &[ours.public()], &expect()),
            Err(JwtError::BadSignature)
        );
        for kid in [
            json!("key-1 "),
            json!("KEY-1"),
            json!("../key-1"),
            json!(1),
            json!(null),
        ] {
            let t = raw_token(json!({"alg": "EdDSA", "kid": kid}), payload.clone(), &ours);
            assert_eq!(
                verify(&t, &[ours.public()], &expect()),
                Err(JwtError::UnknownKey),
                "{kid}"
            );
        }
        let no_kid = raw_token(json!({"alg": "EdDSA"}), payload, &ours);
        assert_eq!(
            verify(&no_kid, &[ours.public()], &expect()),
            Err(JwtError::UnknownKey)
        );
    }

    #[test]
    fn time_claims_are_enforced() {
        let pair = pair();
        let check = |extra: Value, now: i64| {
            verify(
                &sign(&pair, &claims(extra)),
                &[pair.public()],
                &Expectations { now, ..expect() },
            )
        };
        assert_eq!(check(json!({}), NOW + 900), Err(JwtError::Expired));
        assert!(check(json!({}), NOW + 899).is_ok());
        assert_eq!(
            check(json!({"nbf": NOW + 60}), NOW),
            Err(JwtError::NotYetValid)
        );
        let mut no_exp = claims(json!({}));
        no_exp.remove("exp");
        assert_eq!(
            verify(&sign(&pair, &no_exp), &[pair.public()], &expect()),
            Err(JwtError::MissingClaim("exp"))
        );
        let with_leeway = Expectations {
            now: NOW + 930,
            leeway: 60,
            ..expect()
        };
        assert!(verify(
            &sign(&pair, &claims(json!({}))),
            &[pair.public()],
            &with_leeway
        )
        .is_ok());
    }

    #[test]
    fn issuer_audience_and_type_are_enforced() {
        let pair = pair();
        let check =
            |extra: Value| verify(&sign(&pair, &claims(extra)), &[pair.public()], &expect());
        assert_eq!(
            check(json!({"iss": "https://evil.test"})),
            Err(JwtError::WrongIssuer)
        );
        assert_eq!(
            check(json!({"aud": "https://other.example.com"})),
            Err(JwtError::WrongAudience)
        );
        assert!(check(json!({"aud": ["https://other.example.com", ISS]})).is_ok());
        let typed = raw_token(
            json!({"alg": "EdDSA", "kid": "key-1", "typ": "at+jwt"}),
            Value::Object(claims(json!({}))),
            &pair,
        );
        assert_eq!(
            verify(&typed, &[pair.public()], &expect()),
            Err(JwtError::WrongType)
        );
        let ed25519_alg = raw_token(
            json!({"alg": "Ed25519", "kid": "key-1"}),
            Value::Object(claims(json!({}))),
            &pair,
        );
        assert!(
            verify(&ed25519_alg, &[pair.public()], &expect()).is_ok(),
            "RFC 9864's fully specified name is accepted"
        );
    }

    #[test]
    fn tampering_with_payload_or_signature_is_detected() {
        let pair = pair();
        let token = sign(&pair, &claims(json!({"name": "Ada"})));
        let parts: Vec<&str> = token.split('.').collect();
        let evil_payload = b64(Value::Object(claims(json!({"name": "Eve"})))
            .to_string()
            .as_bytes());
        let swapped = format!("{}.{}.{}", parts[0], evil_payload, parts[2]);
        assert_eq!(
            verify(&swapped, &[pair.public()], &expect()),
            Err(JwtError::BadSignature)
        );
        let mut sig = URL_SAFE_NO_PAD.decode(parts[2]).unwrap();
        sig[10] ^= 1;
        let flipped = format!("{}.{}.{}", parts[0], parts[1], b64(&sig));
        assert_eq!(
            verify(&flipped, &[pair.public()], &expect()),
            Err(JwtError::BadSignature)
        );
        for malformed in [
            "",
            "a.b",
            "a.b.c.d",
            &format!("{}.{}", parts[0], parts[1]),
            &format!("{}.!!.{}", parts[0], parts[2]),
        ] {
            assert!(
                verify(malformed, &[pair.public()], &expect()).is_err(),
                "{malformed}"
            );
        }
    }

    #[test]
    fn jwks_documents_yield_only_ed25519_keys() {
        let pair = pair();
        let doc = json!({"keys": [pair.public().jwks_entry(), {"kty": "RSA", "kid": "r", "n": "x", "e": "AQAB"}, {"kty": "OKP", "crv": "Ed25519"}]});
        assert_eq!(keys_from_jwks(&doc), vec![pair.public()]);
    }
}
