//! Handing a session to a client that proves PKCE (RFC 7636): a single-use code, five minutes,
//! kept as a digest with the code challenge and the session it stands for. The client that began
//! the flow redeems it with the verifier; anyone else who sees the code in a URL cannot.

use super::store as verifications;
use crate::crypto::{constant_time_eq, random, sha256_hex};
use crate::error::ApiError;
use crate::storage::{returned_text, Sql};
use crate::time::{to_iso, Millis, SECOND};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

pub const LIFETIME: Millis = 300 * SECOND;

/// The challenge a flow was begun with.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Challenge {
    pub challenge: String,
    /// `S256` or `plain` (as given, in any case).
    pub method: String,
}

impl Challenge {
    /// A challenge as clients send it: 43 to 128 characters of RFC 7636's alphabet, and a method
    /// of `s256` or `plain` in any case.
    pub fn parse(challenge: &str, method: &str) -> Option<Challenge> {
        let alphabet = |c: char| c.is_ascii_alphanumeric() || "-._~".contains(c);
        let method = method.to_ascii_lowercase();
        let fits = (43..=128).contains(&challenge.len()) && challenge.chars().all(alphabet);
        (fits && (method == "s256" || method == "plain")).then(|| Challenge {
            challenge: challenge.to_string(),
            method,
        })
    }

    /// No challenge: the implicit flow, whose code only the service itself redeems (with no
    /// verifier) on the way to the client.
    pub fn implicit() -> Challenge {
        Challenge {
            challenge: String::new(),
            method: "implicit".into(),
        }
    }

    fn admits(&self, verifier: &str) -> bool {
        if self.method == "implicit" {
            return verifier.is_empty();
        }
        let expected = if self.method == "plain" {
            verifier.to_string()
        } else {
            URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
        };
        constant_time_eq(expected.as_bytes(), self.challenge.as_bytes())
    }
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Stored {
    session_id: String,
    /// How the session was signed in (`oauth`, `otp`, …).
    method: String,
    challenge: Challenge,
}

fn identifier(code: &str) -> String {
    format!("pkce-code:{}", sha256_hex(code.as_bytes()))
}

/// A code for the session, redeemable with the verifier of `challenge`.
pub async fn issue(
    sql: &dyn Sql,
    session_id: &str,
    method: &str,
    challenge: &Challenge,
    now: Millis,
) -> Result<String, ApiError> {
    let code = random::alphanumeric(32)?;
    let value = serde_json::to_string(&Stored {
        session_id: session_id.to_string(),
        method: method.to_string(),
        challenge: challenge.clone(),
    })
    .map_err(ApiError::internal_because)?;
    sql.execute(verifications::insert_unbound(
        &random::alphanumeric(32)?,
        &identifier(&code),
        &value,
        &to_iso(now + LIFETIME),
        &to_iso(now),
    ))
    .await?;
    Ok(code)
}

/// What redeeming a code found.
#[derive(Debug, PartialEq, Eq)]
pub enum Redeemed {
    /// The session, and how it was signed in.
    Session {
        session_id: String,
        method: String,
    },
    /// Unknown, spent or expired.
    Missing,
    WrongVerifier,
}

/// Spends the code (a wrong verifier spends it too: a code is tried once).
pub async fn redeem(
    sql: &dyn Sql,
    code: &str,
    verifier: &str,
    now: Millis,
) -> Result<Redeemed, ApiError> {
    let done = sql
        .run_batch(vec![verifications::take_live(
            &identifier(code),
            &to_iso(now),
        )])
        .await?;
    let Some(value) = returned_text(done.first(), "value").into_iter().next() else {
        return Ok(Redeemed::Missing);
    };
    let stored: Stored = serde_json::from_str(&value).map_err(ApiError::internal_because)?;
    if !stored.challenge.admits(verifier) {
        return Ok(Redeemed::WrongVerifier);
    }
    Ok(Redeemed::Session {
        session_id: stored.session_id,
        method: stored.method,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc_7636_appendix_b_verifier_matches_its_challenge() {
        let c = Challenge::parse("E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM", "S256").unwrap();
        assert!(c.admits("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"));
        assert!(!c.admits("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXl"));
        let plain = Challenge::parse(&"a".repeat(43), "plain").unwrap();
        assert!(plain.admits(&"a".repeat(43)));
        assert!(
            !c.admits("") && !plain.admits(""),
            "a PKCE code needs its verifier"
        );
        assert!(Challenge::implicit().admits(""));
        assert!(!Challenge::implicit().admits("anything"));
    }

    #[test]
    fn malformed_challenges_are_refused() {
        assert!(Challenge::parse("short", "s256").is_none());
        assert!(Challenge::parse(&"a".repeat(129), "s256").is_none());
        assert!(Challenge::parse(&"a".repeat(43), "S512").is_none());
        assert!(Challenge::parse(&format!("{}!", "a".repeat(43)), "s256").is_none());
    }
}
