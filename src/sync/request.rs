//! Building a signed protocol request (docs/sync-protocol.md): sync events and manifests, and the
//! mail webhook, which uses the same scheme.

use super::outbound::OutboundRequest;
use super::signature::{self, Signed};
use crate::config::SyncConfig;
use crate::crypto::random::{self, RandomError};
use crate::time::{Millis, SECOND};

const TIMEOUT_MS: u64 = 10_000;

/// Who signs: every accepted secret (one signature each) and the key id sent along.
pub struct Signer<'a> {
    pub secrets: Vec<&'a [u8]>,
    pub key_id: &'a str,
}

/// A POST of `body` to `path` on the sync receiver, signed with every configured secret.
pub fn signed_post(
    sync: &SyncConfig,
    path: &str,
    id: &str,
    body: Vec<u8>,
    now: Millis,
) -> Result<OutboundRequest, RandomError> {
    let signer = Signer {
        secrets: sync.secrets(),
        key_id: &sync.key_id,
    };
    signed_post_to(&signer, &format!("{}{path}", sync.url), path, id, body, now)
}

/// A signed POST of `body` to `url`, whose path is `path`, with a fresh nonce; `id` is the
/// `x-ba-sync-id` (a delivery, manifest or message id).
pub fn signed_post_to(
    signer: &Signer<'_>,
    url: &str,
    path: &str,
    id: &str,
    body: Vec<u8>,
    now: Millis,
) -> Result<OutboundRequest, RandomError> {
    let nonce = random::alphanumeric(22)?;
    let timestamp = now / SECOND;
    let signed = Signed {
        timestamp,
        nonce: &nonce,
        event_id: id,
        method: "POST",
        path,
        body: &body,
    };
    let signature = signed.header(&signer.secrets);
    Ok(OutboundRequest {
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
