//! Building a signed protocol request (docs/sync-protocol.md) for any path.

use super::outbound::OutboundRequest;
use super::signature::{self, Signed};
use crate::config::SyncConfig;
use crate::crypto::random::{self, RandomError};
use crate::time::{Millis, SECOND};

const TIMEOUT_MS: u64 = 10_000;

/// A POST of `body` to `path` on the receiver, signed with every configured secret, with a fresh
/// nonce; `id` is the `x-ba-sync-id` (a delivery or manifest id).
pub fn signed_post(
    sync: &SyncConfig,
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
    let signature = signed.header(&sync.secrets());
    Ok(OutboundRequest {
        url: format!("{}{path}", sync.url),
        headers: vec![
            ("content-type", "application/json".into()),
            (signature::HEADER_ID, id.to_string()),
            (signature::HEADER_TIMESTAMP, timestamp.to_string()),
            (signature::HEADER_NONCE, nonce),
            (signature::HEADER_KEY_ID, sync.key_id.clone()),
            (signature::HEADER_SIGNATURE, signature),
        ],
        body,
        timeout_ms: TIMEOUT_MS,
    })
}
