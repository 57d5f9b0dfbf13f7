//! Building a signed protocol request (docs/sync-protocol.md): sync events and manifests, and the
//! mail webhook, which uses the same scheme.

use super::outbound::{Method, OutboundRequest};
use super::signature::{self, Signed};
use crate::crypto::random::{self, RandomError};
use crate::net::origin::Origin;
use crate::time::{Millis, SECOND};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;

const TIMEOUT_MS: u64 = 10_000;

/// Who signs: every accepted secret (one signature each) and the key id sent along.
pub struct Signer<'a> {
    pub secrets: Vec<&'a [u8]>,
    pub key_id: &'a str,
}

/// The path a request to `url` asks for, as the receiver sees it and as the signature covers it.
fn request_path(url: &str) -> &str {
    Origin::parse_url(url)
        .map(|(_, rest)| rest.split(['?', '#']).next().unwrap_or(""))
        .filter(|p| !p.is_empty())
        .unwrap_or("/")
}

/// A nonce as the protocol states it: 128 random bits, base64url without padding.
pub fn nonce() -> Result<String, RandomError> {
    let mut bits = [0u8; 16];
    random::fill(&mut bits)?;
    Ok(URL_SAFE_NO_PAD.encode(bits))
}

/// A signed POST of `body` to `url` (signing the path it requests) with a fresh nonce; `id` is
/// the `x-ba-sync-id` (a delivery, manifest or message id).
pub fn signed_post_to(
    signer: &Signer<'_>,
    url: &str,
    id: &str,
    body: Vec<u8>,
    now: Millis,
) -> Result<OutboundRequest, RandomError> {
    let nonce = nonce()?;
    let path = request_path(url);
    let timestamp = now / SECOND;
    let signed = Signed {
        timestamp,
        nonce: &nonce,
        request_id: id,
        method: "POST",
        path,
        body: &body,
    };
    let signature = signed.header(&signer.secrets);
    Ok(OutboundRequest {
        method: Method::Post,
        url: url.to_string(),
        headers: vec![
            ("content-type", "application/json".into()),
            (signature::HEADER_ID, id.to_string()),
            (signature::HEADER_TIMESTAMP, timestamp.to_string()),
            (signature::HEADER_NONCE, nonce),
            (signature::HEADER_KEY_ID, signer.key_id.to_string()),
            (signature::HEADER_SIGNATURE, signature),
        ],
        body,
        timeout_ms: TIMEOUT_MS,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nonces_are_128_bits_of_base64url() {
        let n = nonce().unwrap();
        assert_eq!(n.len(), 22);
        assert_eq!(URL_SAFE_NO_PAD.decode(&n).unwrap().len(), 16);
        assert_ne!(n, nonce().unwrap());
    }

    #[test]
    fn the_signed_path_is_the_requested_one() {
        assert_eq!(
            request_path("https://cms.example.com/cms/api/ba-sync/events"),
            "/cms/api/ba-sync/events"
        );
        assert_eq!(
            request_path("http://127.0.0.1:3000/api/ba-sync/events?x=1"),
            "/api/ba-sync/events"
        );
        assert_eq!(request_path("https://mail.example.com"), "/");
    }
}
