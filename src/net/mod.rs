//! Neutral web types and outbound HTTP: origins and URLs, the `Outbound` driver, the signed
//! request scheme (docs/sync-protocol.md) shared by the sync and the mail webhook, and the retry
//! schedule both follow.

pub mod backoff;
pub mod origin;
pub mod outbound;
pub mod signature;
pub mod signed_request;
