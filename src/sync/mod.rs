//! Keeping a downstream CMS (Payload) in sync with users: the signed, replay-proof delivery
//! protocol and the retry schedule (docs/sync-protocol.md). The outbox itself is in
//! `storage::outbox`.

pub mod backoff;
pub mod drain;
pub mod outbound;
pub mod reconcile;
pub mod request;
pub mod signature;
