//! The `mail_outbox` table: messages waiting for the mail provider. Rows join the batch that
//! creates the token they carry; the drain claims due rows under a lease, deletes them once the
//! provider accepts them, and reschedules or buries them otherwise. Expired rows are dropped.

use crate::storage::counters::Guard;
use crate::storage::{query_all, Sql, Statement, StorageError};
use crate::time::Millis;
use serde::Deserialize;

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct QueuedMail {
    pub id: String,
    pub kind: String,
    /// The encrypted message.
    pub payload: String,
    pub attempts: i64,
}

/// Queues a message about `user_id` (nothing when that user does not exist; `None`: a message to an
/// address with no user yet, a magic link), unless `guard`'s count (the recipient's messages this
/// hour) is over its limit.
pub fn insert(
    id: &str,
    kind: &str,
    payload: &str,
    user_id: Option<&str>,
    expires_at: Millis,
    now: Millis,
    guard: &Guard,
) -> Statement {
    Statement::new(
        r#"insert into "mail_outbox" ("id", "kind", "payload", "status", "attempts", "nextAttemptAt", "expiresAt", "createdAt", "updatedAt")
           select ?1, ?2, ?3, 'pending', 0, ?4, ?5, ?4, ?4 where (?6 is null or exists (select 1 from "user" where "id" = ?6))
             and coalesce((select "count" from "rate_limit_counter" where "key" = ?7 and "expiresAt" > ?8), 0) <= ?9"#,
        vec![
            id.into(),
            kind.into(),
            payload.into(),
            now.into(),
            expires_at.into(),
            user_id.map(str::to_string).into(),
            guard.key.as_str().into(),
            guard.now.into(),
            guard.max.into(),
        ],
    )
}

/// Claims up to `limit` due, unexpired rows (pending and due, or in flight with an expired lease)
/// for `owner`; `id` narrows the claim to one message (the attempt right after a request).
pub async fn claim(
    sql: &dyn Sql,
    owner: &str,
    now: Millis,
    lease_ms: Millis,
    limit: i64,
    id: Option<&str>,
) -> Result<Vec<QueuedMail>, StorageError> {
    query_all(
        sql,
        Statement::new(
            r#"update "mail_outbox" set "status" = 'inflight', "leaseOwner" = ?1, "leaseUntil" = ?2 + ?3, "updatedAt" = ?2
               where "id" in (
                 select "id" from "mail_outbox"
                 where (("status" = 'pending' and "nextAttemptAt" <= ?2) or ("status" = 'inflight' and "leaseUntil" < ?2))
                   and "expiresAt" > ?2
                   and (?5 is null or "id" = ?5)
                 order by "nextAttemptAt" limit ?4)
               returning "id", "kind", "payload", "attempts""#,
            vec![owner.into(), now.into(), lease_ms.into(), limit.into(), id.into()],
        ),
    )
    .await
}

/// The provider accepted the message: nothing of it is kept.
pub fn delivered(id: &str, owner: &str) -> Statement {
    Statement::new(
        r#"delete from "mail_outbox" where "id" = ?1 and "leaseOwner" = ?2"#,
        vec![id.into(), owner.into()],
    )
}

pub fn retry(
    id: &str,
    owner: &str,
    next_attempt_at: Millis,
    error: &str,
    now: Millis,
) -> Statement {
    Statement::new(
        r#"update "mail_outbox" set "status" = 'pending', "attempts" = "attempts" + 1, "nextAttemptAt" = ?3, "lastError" = ?4,
             "leaseOwner" = null, "leaseUntil" = null, "updatedAt" = ?5
           where "id" = ?1 and "leaseOwner" = ?2"#,
        vec![
            id.into(),
            owner.into(),
            next_attempt_at.into(),
            error.into(),
            now.into(),
        ],
    )
}

/// The provider refused the message for good (an invalid address, say); it stays, undeliverable,
/// until its link expires.
pub fn bury(id: &str, owner: &str, error: &str, now: Millis) -> Statement {
    Statement::new(
        r#"update "mail_outbox" set "status" = 'dead', "attempts" = "attempts" + 1, "lastError" = ?3,
             "leaseOwner" = null, "leaseUntil" = null, "updatedAt" = ?4
           where "id" = ?1 and "leaseOwner" = ?2"#,
        vec![id.into(), owner.into(), error.into(), now.into()],
    )
}

/// Drops messages whose link no longer works, delivered or not.
pub fn delete_expired(now: Millis) -> Statement {
    Statement::new(
        r#"delete from "mail_outbox" where "expiresAt" <= ?1"#,
        vec![now.into()],
    )
}
