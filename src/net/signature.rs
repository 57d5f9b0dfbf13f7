//! The sync protocol's request signatures (docs/sync-protocol.md): HMAC-SHA256 over the version,
//! timestamp, nonce, event id, method, path and the SHA-256 of the exact body bytes. Several
//! signatures may be sent (one per secret) so secrets rotate without downtime.

use crate::crypto::hmac::hmac_sha256;
use crate::crypto::{constant_time_eq, hex_encode, sha256_hex};
use thiserror::Error;

pub const HEADER_ID: &str = "x-ba-sync-id";
pub const HEADER_TIMESTAMP: &str = "x-ba-sync-timestamp";
pub const HEADER_NONCE: &str = "x-ba-sync-nonce";
pub const HEADER_KEY_ID: &str = "x-ba-sync-key-id";
pub const HEADER_SIGNATURE: &str = "x-ba-sync-signature";
/// How far a request's timestamp may be from the receiver's clock, in seconds.
pub const WINDOW_SECONDS: i64 = 300;

/// What a signature covers.
pub struct Signed<'a> {
    /// Unix seconds.
    pub timestamp: i64,
    pub nonce: &'a str,
    /// `x-ba-sync-id`: the id of this request (a delivery or a manifest), not of any event.
    pub request_id: &'a str,
    pub method: &'a str,
    pub path: &'a str,
    pub body: &'a [u8],
}

impl Signed<'_> {
    /// `v1\n{timestamp}\n{nonce}\n{request id}\n{METHOD}\n{path}\n{hex SHA-256 of the body}`
    pub fn signing_string(&self) -> String {
        format!(
            "v1\n{}\n{}\n{}\n{}\n{}\n{}",
            self.timestamp,
            self.nonce,
            self.request_id,
            self.method.to_ascii_uppercase(),
            self.path,
            sha256_hex(self.body)
        )
    }

    pub fn signature(&self, secret: &[u8]) -> String {
        hex_encode(&hmac_sha256(secret, self.signing_string().as_bytes()))
    }

    /// The `x-ba-sync-signature` value: `v1=<hex>` for each secret, space-separated.
    pub fn header(&self, secrets: &[&[u8]]) -> String {
        secrets
            .iter()
            .map(|s| format!("v1={}", self.signature(s)))
            .collect::<Vec<_>>()
            .join(" ")
    }
}

#[derive(Debug, Error, PartialEq, Eq)]
pub enum VerifyError {
    #[error("the timestamp is outside the {WINDOW_SECONDS} s window")]
    Stale,
    #[error("no signature matches")]
    BadSignature,
}

/// The receiver's check: timestamp within the window, and any `v1=` signature made with any of
/// the accepted secrets (compared in constant time). Nonce and event-id bookkeeping are the
/// receiver's own (an atomic insert each).
pub fn verify(
    signed: &Signed<'_>,
    header: &str,
    secrets: &[&[u8]],
    now: i64,
) -> Result<(), VerifyError> {
    if (now - signed.timestamp).abs() > WINDOW_SECONDS {
        return Err(VerifyError::Stale);
    }
    let expected: Vec<String> = secrets.iter().map(|s| signed.signature(s)).collect();
    let mut matched = false;
    for given in header
        .split(' ')
        .filter_map(|part| part.strip_prefix("v1="))
    {
        for e in &expected {
            matched |= constant_time_eq(e.as_bytes(), given.as_bytes());
        }
    }
    if matched {
        Ok(())
    } else {
        Err(VerifyError::BadSignature)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // The vectors of docs/sync-protocol.md; the example receiver tests the same ones.
    const SECRET: &[u8] = b"portcullis-sync-test-secret-0123456789abcdef";
    const NEXT_SECRET: &[u8] = b"portcullis-sync-next-secret-fedcba9876543210";
    const BODY: &[u8] = br#"{"type":"user.delete","eventId":"evt_01","version":2,"occurredAt":"2026-01-01T00:00:00.000Z","userId":"u_1"}"#;

    fn vector() -> Signed<'static> {
        Signed {
            timestamp: 1_767_225_600,
            nonce: "bm9uY2Utbm9uY2Utbm9uYw",
            request_id: "evt_01",
            method: "POST",
            path: "/api/ba-sync/events",
            body: BODY,
        }
    }

    #[test]
    fn the_documented_vectors_hold() {
        let s = vector();
        assert_eq!(
            s.signing_string(),
            "v1\n1767225600\nbm9uY2Utbm9uY2Utbm9uYw\nevt_01\nPOST\n/api/ba-sync/events\nc37f2f64fa16133ac219cf459f06a92fb51b6ac4b23deba2c383f81090146d11"
        );
        assert_eq!(
            s.signature(SECRET),
            "3a75ae1df994547bb3782e7a4867c795aa95d510ddeb90653b09db9432def6c3"
        );
        assert_eq!(
            s.header(&[SECRET, NEXT_SECRET]),
            "v1=3a75ae1df994547bb3782e7a4867c795aa95d510ddeb90653b09db9432def6c3 v1=e51decdd86b13c49aa83d41a6660fbce50806e937f82bb835bbfd26afd056ee7"
        );
        let manifest = Signed {
            timestamp: 1_767_225_600,
            nonce: "bWFuaWZlc3Qtbm9uY2UtMQ",
            request_id: "manifest_01",
            method: "POST",
            path: "/api/ba-sync/manifest",
            body: br#"{"after":null,"upTo":null,"limit":500}"#,
        };
        assert_eq!(
            manifest.signature(SECRET),
            "2b2fe0b63bf4398e0cebdb54be53bebf62261cb44c101267e8bc2602b67b7296"
        );
    }

    #[test]
    fn the_documented_batch_request_holds() {
        let body = br#"{"events":[{"type":"user.upsert","eventId":"evt_02","version":1,"occurredAt":"2026-01-01T00:00:00.000Z","user":{"id":"u_2","name":"Ada","email":"ada@example.com","emailVerified":true,"image":null,"createdAt":"2026-01-01T00:00:00.000Z","updatedAt":"2026-01-01T00:00:00.000Z"},"accounts":[{"id":"acc_2","providerId":"credential","accountId":"u_2"}]},{"type":"user.delete","eventId":"evt_01","version":2,"occurredAt":"2026-01-01T00:00:00.000Z","userId":"u_1"}]}"#;
        let batch = Signed {
            timestamp: 1_767_225_600,
            nonce: "YmF0Y2gtbm9uY2UtMDAwMQ",
            request_id: "dlv_01",
            method: "POST",
            path: "/cms/api/ba-sync/events",
            body,
        };
        assert_eq!(
            sha256_hex(body),
            "ceb73dab94bd7133a779b42962cc098e5b74cf4867c2520cf0059928c81bbff6"
        );
        assert_eq!(
            batch.header(&[SECRET]),
            "v1=3915e2ac4036d3fca7d8a637f4bedd3b9f15094a5a2775f51233108430b9824a"
        );
    }

    #[test]
    fn the_documented_protocol_2_request_holds() {
        let body = br#"{"events":[{"type":"user.upsert","eventId":"evt_03","version":3,"occurredAt":"2026-01-02T00:00:00.000Z","user":{"id":"u_2","name":"Ada","email":"ada@example.com","emailVerified":true,"image":null,"createdAt":"2026-01-01T00:00:00.000Z","updatedAt":"2026-01-02T00:00:00.000Z","role":"admin,editor","banned":false},"accounts":[{"id":"acc_2","providerId":"credential","accountId":"u_2"}]}]}"#;
        let delivery = Signed {
            timestamp: 1_767_312_000,
            nonce: "cHJvdG9jb2wtMi1ub25jZQ",
            request_id: "dlv_02",
            method: "POST",
            path: "/cms/api/ba-sync/events",
            body,
        };
        assert_eq!(
            sha256_hex(body),
            "91cda23e217c302434ff54cabe3d8d43e2a9ad295df226bc3a31647c5d6be136"
        );
        assert_eq!(
            delivery.header(&[SECRET]),
            "v1=c3485dfc244571fac8d09762a4f1072c8305980bc3fecc751084653db101d92c"
        );
    }

    #[test]
    fn signatures_verify_within_the_window_with_any_accepted_secret() {
        let s = vector();
        let header = s.header(&[SECRET]);
        assert_eq!(verify(&s, &header, &[SECRET], s.timestamp + 300), Ok(()));
        assert_eq!(
            verify(
                &s,
                &header,
                &[b"old-secret-old-secret-old-secret-x", SECRET],
                s.timestamp - 300
            ),
            Ok(())
        );
        let rotating = s.header(&[b"new-secret-new-secret-new-secret-xx", SECRET]);
        assert_eq!(
            verify(&s, &rotating, &[SECRET], s.timestamp),
            Ok(()),
            "during rotation either secret verifies"
        );
    }

    #[test]
    fn stale_tampered_or_redirected_requests_fail() {
        let s = vector();
        let header = s.header(&[SECRET]);
        assert_eq!(
            verify(&s, &header, &[SECRET], s.timestamp + 301),
            Err(VerifyError::Stale)
        );
        assert_eq!(
            verify(&s, &header, &[SECRET], s.timestamp - 301),
            Err(VerifyError::Stale)
        );
        let altered = Signed {
            body: br#"{"type":"user.delete","eventId":"evt_01","version":3}"#,
            ..vector()
        };
        assert_eq!(
            verify(&altered, &header, &[SECRET], s.timestamp),
            Err(VerifyError::BadSignature)
        );
        let repathed = Signed {
            path: "/api/ba-sync/manifest",
            ..vector()
        };
        assert_eq!(
            verify(&repathed, &header, &[SECRET], s.timestamp),
            Err(VerifyError::BadSignature)
        );
        let retimed = Signed {
            timestamp: s.timestamp + 1,
            ..vector()
        };
        assert_eq!(
            verify(&retimed, &header, &[SECRET], s.timestamp),
            Err(VerifyError::BadSignature)
        );
        assert_eq!(
            verify(
                &s,
                &header,
                &[b"wrong-secret-wrong-secret-wrong-xx"],
                s.timestamp
            ),
            Err(VerifyError::BadSignature)
        );
        assert_eq!(
            verify(&s, "v2=abc", &[SECRET], s.timestamp),
            Err(VerifyError::BadSignature)
        );
    }
}
