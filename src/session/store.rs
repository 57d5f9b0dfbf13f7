//! The `session` table: the durable record of every session, keyed by the SHA-256 digest of its
//! token (stored in the `token` column; the raw token is never stored).

use crate::storage::dates;
use crate::storage::{query_all, query_one, Sql, Statement, StorageError};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SessionRecord {
    pub id: String,
    /// SHA-256 hex digest of the session token.
    #[serde(rename = "token")]
    pub token_digest: String,
    pub user_id: String,
    #[serde(deserialize_with = "dates::iso")]
    pub expires_at: String,
    #[serde(deserialize_with = "dates::iso")]
    pub created_at: String,
    #[serde(deserialize_with = "dates::iso")]
    pub updated_at: String,
    pub ip_address: Option<String>,
    pub user_agent: Option<String>,
    /// The admin behind an impersonation session (better-auth's admin plugin).
    #[serde(default)]
    pub impersonated_by: Option<String>,
}

/// The session, unless its user is banned when the statement runs (a ban that commits while a
/// sign-in is under way leaves no session; the ban's own batch deletes the earlier ones).
pub fn insert(s: &SessionRecord) -> Statement {
    Statement::new(
        r#"insert into "session" ("id", "expiresAt", "token", "createdAt", "updatedAt", "ipAddress", "userAgent", "userId", "impersonatedBy")
        select ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9
        where not exists (select 1 from "user" where "id" = ?8 and "banned" = 1 and ("banExpires" is null or "banExpires" > ?4))"#,
        vec![
            s.id.as_str().into(),
            s.expires_at.as_str().into(),
            s.token_digest.as_str().into(),
            s.created_at.as_str().into(),
            s.updated_at.as_str().into(),
            s.ip_address.clone().into(),
            s.user_agent.clone().into(),
            s.user_id.as_str().into(),
            s.impersonated_by.clone().into(),
        ],
    )
}

/// [`insert`], only while the user's credential password is still `password_hash` (the one a
/// sign-in just verified): a reset or password change that commits in between leaves no session.
pub fn insert_if_password(s: &SessionRecord, password_hash: &str) -> Statement {
    let mut insert = insert(s);
    insert.sql = r#"insert into "session" ("id", "expiresAt", "token", "createdAt", "updatedAt", "ipAddress", "userAgent", "userId", "impersonatedBy")
        select ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9
        where exists (select 1 from "account" where "userId" = ?8 and "providerId" = 'credential' and "password" = ?10)
        and not exists (select 1 from "user" where "id" = ?8 and "banned" = 1 and ("banExpires" is null or "banExpires" > ?4))"#
        .into();
    insert.params.push(password_hash.into());
    insert
}

pub async fn find_by_digest(
    sql: &dyn Sql,
    digest: &str,
) -> Result<Option<SessionRecord>, StorageError> {
    query_one(
        sql,
        Statement::new(
            r#"select "id", "token", "userId", "expiresAt", "createdAt", "updatedAt", "ipAddress", "userAgent", "impersonatedBy" from "session" where "token" = ?1"#,
            vec![digest.into()],
        ),
    )
    .await
}

pub async fn find_by_id(sql: &dyn Sql, id: &str) -> Result<Option<SessionRecord>, StorageError> {
    query_one(
        sql,
        Statement::new(
            r#"select "id", "token", "userId", "expiresAt", "createdAt", "updatedAt", "ipAddress", "userAgent", "impersonatedBy" from "session" where "id" = ?1"#,
            vec![id.into()],
        ),
    )
    .await
}

/// Every session of the user, expired ones included (callers filter by their clock).
pub async fn list_for_user(
    sql: &dyn Sql,
    user_id: &str,
) -> Result<Vec<SessionRecord>, StorageError> {
    query_all(
        sql,
        Statement::new(
            r#"select "id", "token", "userId", "expiresAt", "createdAt", "updatedAt", "ipAddress", "userAgent", "impersonatedBy" from "session" where "userId" = ?1 order by "createdAt""#,
            vec![user_id.into()],
        ),
    )
    .await
}

pub fn extend(digest: &str, expires_at: &str, updated_at: &str) -> Statement {
    Statement::new(
        r#"update "session" set "expiresAt" = ?2, "updatedAt" = ?3 where "token" = ?1"#,
        vec![digest.into(), expires_at.into(), updated_at.into()],
    )
}

pub fn delete_by_digest(digest: &str) -> Statement {
    Statement::new(
        r#"delete from "session" where "token" = ?1"#,
        vec![digest.into()],
    )
}

/// The column the statements below return: the token digests whose KV entries must go too.
pub const RETURNED_DIGEST: &str = "token";

/// Every session of the user, returning their token digests.
pub fn delete_for_user(user_id: &str) -> Statement {
    Statement::new(
        r#"delete from "session" where "userId" = ?1 returning "token""#,
        vec![user_id.into()],
    )
}

/// The session with record id `id`, returning its token digest.
pub fn delete_by_id(id: &str) -> Statement {
    Statement::new(
        r#"delete from "session" where "id" = ?1 returning "token""#,
        vec![id.into()],
    )
}

/// Every session of the user but the one with token digest `keep`, returning their digests.
pub fn delete_others_of_user(user_id: &str, keep: &str) -> Statement {
    Statement::new(
        r#"delete from "session" where "userId" = ?1 and "token" != ?2 returning "token""#,
        vec![user_id.into(), keep.into()],
    )
}

/// The user's trusted devices: better-auth's `trust-device-*` verification rows, valued with the
/// user's id, which let a device skip the second factor. They end with the user's sessions.
pub fn delete_trusted_devices(user_id: &str) -> Statement {
    Statement::new(
        r#"delete from "verification" where "identifier" >= 'trust-device-' and "identifier" < 'trust-device.' and "value" = ?1"#,
        vec![user_id.into()],
    )
}

/// Removes sessions that expired before `now_iso` (ISO-8601 text sorts chronologically).
pub fn delete_expired(now_iso: &str) -> Statement {
    Statement::new(
        r#"delete from "session" where "expiresAt" < ?1"#,
        vec![now_iso.into()],
    )
}
