//! Putting a message in the durable queue and reading it back: the message is stored encrypted
//! under a key derived from `BETTER_AUTH_SECRET` for this purpose alone (HKDF), since it carries a
//! live one-time link.

use super::Message;
use crate::crypto::symmetric::{self, SymmetricError};
use crate::mail::outbox as mail_outbox;
use crate::storage::counters::Guard;
use crate::storage::Statement;
use crate::time::Millis;

/// The statement queueing `message` about `user_id` until `expires_at` (when its link stops
/// working); it queues nothing if the user does not exist or `guard` is over its limit.
pub fn enqueue(
    secret: &[u8],
    message: &Message,
    user_id: Option<&str>,
    expires_at: Millis,
    now: Millis,
    guard: &Guard,
) -> Result<Statement, SymmetricError> {
    let json = serde_json::to_string(message).map_err(|_| SymmetricError::Malformed)?;
    let payload = symmetric::seal(&key(secret), &json)?;
    Ok(mail_outbox::insert(
        &message.id,
        message.kind.as_str(),
        &payload,
        user_id,
        expires_at,
        now,
        guard,
    ))
}

/// The outbox's own key, apart from the one better-auth's `jwks` rows are sealed under.
fn key(secret: &[u8]) -> symmetric::Key {
    symmetric::derived_key(secret, "portcullis mail-outbox v1")
}

pub fn open(secret: &[u8], payload: &str) -> Result<Message, SymmetricError> {
    // Rows queued before the outbox had its own key were sealed under better-auth's; they live an
    // hour or so (their link's lifetime), and are still delivered.
    let json =
        symmetric::open(&key(secret), payload).or_else(|_| symmetric::decrypt(secret, payload))?;
    serde_json::from_str(&json).map_err(|_| SymmetricError::Undecryptable)
}
