//! The `verification` table: one-time tokens for email verification, email changes and password
//! resets. Only `"<purpose>:<SHA-256 hex of the token>"` is stored, never the token; a token is
//! spent by deleting its row, and the writes it authorises are conditioned on that row still being
//! there, in the same batch, so of two concurrent uses exactly one takes effect.

use crate::storage::counters::Guard;
use crate::storage::{query_one, Sql, Statement, StorageError};
use serde::Deserialize;

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TokenRow {
    pub identifier: String,
    /// JSON: the user and addresses the token was issued for.
    pub value: String,
    #[serde(deserialize_with = "crate::storage::dates::iso")]
    pub expires_at: String,
}

/// Stores a token for `user_id`; nothing when that user does not exist (so an answer for an
/// unknown address can run the same statements as one for a known address), or when `guard`'s
/// count is over its limit.
pub fn insert(
    id: &str,
    identifier: &str,
    value: &str,
    user_id: &str,
    expires_iso: &str,
    now_iso: &str,
    guard: &Guard,
) -> Statement {
    Statement::new(
        r#"insert into "verification" ("id", "identifier", "value", "expiresAt", "createdAt", "updatedAt")
           select ?1, ?2, ?3, ?5, ?6, ?6 where exists (select 1 from "user" where "id" = ?4)
             and coalesce((select "count" from "rate_limit_counter" where "key" = ?7 and "expiresAt" > ?8), 0) <= ?9"#,
        vec![
            id.into(),
            identifier.into(),
            value.into(),
            user_id.into(),
            expires_iso.into(),
            now_iso.into(),
            guard.key.as_str().into(),
            guard.now.into(),
            guard.max.into(),
        ],
    )
}

/// Stores a row that is not about an existing user (a sign-in's state, a magic link to a new
/// address).
pub fn insert_unbound(
    id: &str,
    identifier: &str,
    value: &str,
    expires_iso: &str,
    now_iso: &str,
) -> Statement {
    Statement::new(
        r#"insert into "verification" ("id", "identifier", "value", "expiresAt", "createdAt", "updatedAt") values (?1, ?2, ?3, ?4, ?5, ?5)"#,
        vec![
            id.into(),
            identifier.into(),
            value.into(),
            expires_iso.into(),
            now_iso.into(),
        ],
    )
}

/// Spends a live row and gives back its value: of two uses at once, one gets it.
pub fn take_live(identifier: &str, now_iso: &str) -> Statement {
    Statement::new(
        r#"delete from "verification" where "identifier" = ?1 and "expiresAt" > ?2 returning "value""#,
        vec![identifier.into(), now_iso.into()],
    )
}

/// The newest row among up to three candidate identifiers (one token, looked up under each
/// purpose it may have been issued for), expired or not.
pub async fn find(sql: &dyn Sql, candidates: [&str; 3]) -> Result<Option<TokenRow>, StorageError> {
    query_one(
        sql,
        Statement::new(
            r#"select "identifier", "value", "expiresAt" from "verification" where "identifier" in (?1, ?2, ?3) order by "expiresAt" desc limit 1"#,
            vec![candidates[0].into(), candidates[1].into(), candidates[2].into()],
        ),
    )
    .await
}

/// Spends the token: put it last in the batch whose other statements it authorises. It changes
/// one row for the request that wins and none for any other.
pub fn consume(identifier: &str, now_iso: &str) -> Statement {
    Statement::new(
        r#"delete from "verification" where "identifier" = ?1 and "expiresAt" > ?2"#,
        vec![identifier.into(), now_iso.into()],
    )
}

/// Removes every outstanding token of one purpose for a user (after a reset, older reset links die).
pub fn delete_for_user(purpose_prefix: &str, user_id: &str) -> Statement {
    Statement::new(
        r#"delete from "verification" where substr("identifier", 1, length(?1)) = ?1 and json_valid("value") and json_extract("value", '$.userId') = ?2"#,
        vec![purpose_prefix.into(), user_id.into()],
    )
}

pub fn delete_expired(now_iso: &str) -> Statement {
    Statement::new(
        r#"delete from "verification" where "expiresAt" <= ?1"#,
        vec![now_iso.into()],
    )
}

/// Marks the user's address verified, if the token `identifier` is still live.
pub fn mark_verified(user_id: &str, email: &str, identifier: &str, now_iso: &str) -> Statement {
    Statement::new(
        r#"update "user" set "emailVerified" = 1, "updatedAt" = ?3 where "id" = ?1 and "email" = ?2
           and exists (select 1 from "verification" where "identifier" = ?4 and "expiresAt" > ?3)"#,
        vec![
            user_id.into(),
            email.into(),
            now_iso.into(),
            identifier.into(),
        ],
    )
}

/// Moves the user from `old_email` to the verified `new_email`, if the token is still live.
pub fn change_email(
    user_id: &str,
    old_email: &str,
    new_email: &str,
    identifier: &str,
    now_iso: &str,
) -> Statement {
    Statement::new(
        r#"update "user" set "email" = ?3, "emailVerified" = 1, "updatedAt" = ?4 where "id" = ?1 and "email" = ?2
           and exists (select 1 from "verification" where "identifier" = ?5 and "expiresAt" > ?4)"#,
        vec![
            user_id.into(),
            old_email.into(),
            new_email.into(),
            now_iso.into(),
            identifier.into(),
        ],
    )
}

/// Sets the credential password (creating the credential account when the user has none), if the
/// token is still live.
pub fn reset_password(
    user_id: &str,
    new_account_id: &str,
    password_hash: &str,
    identifier: &str,
    now_iso: &str,
) -> Vec<Statement> {
    vec![
        Statement::new(
            r#"update "account" set "password" = ?2, "updatedAt" = ?3 where "userId" = ?1 and "providerId" = 'credential'
               and exists (select 1 from "verification" where "identifier" = ?4 and "expiresAt" > ?3)"#,
            vec![
                user_id.into(),
                password_hash.into(),
                now_iso.into(),
                identifier.into(),
            ],
        ),
        Statement::new(
            r#"insert into "account" ("id", "accountId", "providerId", "userId", "password", "createdAt", "updatedAt")
               select ?5, ?1, 'credential', ?1, ?2, ?3, ?3
               where not exists (select 1 from "account" where "userId" = ?1 and "providerId" = 'credential')
                 and exists (select 1 from "verification" where "identifier" = ?4 and "expiresAt" > ?3)"#,
            vec![
                user_id.into(),
                password_hash.into(),
                now_iso.into(),
                identifier.into(),
                new_account_id.into(),
            ],
        ),
    ]
}

/// Ends every session of the user, if the token is still live; returns their token digests.
pub fn revoke_sessions(user_id: &str, identifier: &str, now_iso: &str) -> Statement {
    Statement::new(
        r#"delete from "session" where "userId" = ?1
           and exists (select 1 from "verification" where "identifier" = ?2 and "expiresAt" > ?3)
           returning "token""#,
        vec![user_id.into(), identifier.into(), now_iso.into()],
    )
}
