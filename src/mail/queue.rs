//! Putting a message in the durable queue and reading it back: the message is stored encrypted
//! under a key derived from `BETTER_AUTH_SECRET`, since it carries a live one-time link.

use super::Message;
use crate::crypto::symmetric::{self, SymmetricError};
use crate::storage::{mail_outbox, Statement};
use crate::time::Millis;

/// The statement queueing `message` about `user_id` until `expires_at` (when its link stops
/// working); it queues nothing if the user does not exist.
pub fn enqueue(
    secret: &[u8],
    message: &Message,
    user_id: &str,
    expires_at: Millis,
    now: Millis,
) -> Result<Statement, SymmetricError> {
    let json = serde_json::to_string(message).map_err(|_| SymmetricError::Malformed)?;
    let payload = symmetric::encrypt(secret, &json)?;
    Ok(mail_outbox::insert(
        &message.id,
        message.kind.as_str(),
        &payload,
        user_id,
        expires_at,
        now,
    ))
}

pub fn open(secret: &[u8], payload: &str) -> Result<Message, SymmetricError> {
    let json = symmetric::decrypt(secret, payload)?;
    serde_json::from_str(&json).map_err(|_| SymmetricError::Undecryptable)
}
