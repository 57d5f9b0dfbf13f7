//! The feature's tables: `supabase_refresh_token` (digests of rotating refresh tokens, one family
//! per session) and `supabase_user_metadata`.

use crate::storage::{query_one, Sql, Statement, StorageError};
use crate::time::Millis;
use serde::Deserialize;
use serde_json::{Map, Value};

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RefreshRow {
    pub digest: String,
    pub session_id: String,
    pub user_id: String,
    pub parent: Option<String>,
    #[serde(deserialize_with = "crate::storage::bool_from_int")]
    pub revoked: bool,
    pub amr: String,
    pub sealed: Option<String>,
    pub updated_at: Millis,
}

/// A fresh, live token; `sealed` is the token encrypted under the secret, kept only while it is
/// the session's live token (a client that lost the answer to a refresh gets it again).
pub fn insert(row: &RefreshRow, now: Millis) -> Statement {
    Statement::new(
        r#"insert into "supabase_refresh_token" ("digest", "sessionId", "userId", "parent", "revoked", "amr", "sealed", "createdAt", "updatedAt") values (?1, ?2, ?3, ?4, 0, ?5, ?6, ?7, ?7)"#,
        vec![
            row.digest.as_str().into(),
            row.session_id.as_str().into(),
            row.user_id.as_str().into(),
            row.parent.clone().into(),
            row.amr.as_str().into(),
            row.sealed.clone().into(),
            now.into(),
        ],
    )
}

pub async fn find(sql: &dyn Sql, digest: &str) -> Result<Option<RefreshRow>, StorageError> {
    query_one(
        sql,
        Statement::new(
            r#"select "digest", "sessionId", "userId", "parent", "revoked", "amr", "sealed", "updatedAt" from "supabase_refresh_token" where "digest" = ?1"#,
            vec![digest.into()],
        ),
    )
    .await
}

/// The session's live token, if any.
pub async fn live_of_session(
    sql: &dyn Sql,
    session_id: &str,
) -> Result<Option<RefreshRow>, StorageError> {
    query_one(
        sql,
        Statement::new(
            r#"select "digest", "sessionId", "userId", "parent", "revoked", "amr", "sealed", "updatedAt" from "supabase_refresh_token" where "sessionId" = ?1 and "revoked" = 0 order by "createdAt" desc limit 1"#,
            vec![session_id.into()],
        ),
    )
    .await
}

/// Revokes a live token: one change when this call did it, none when it was already revoked
/// (of two refreshes with one token, one wins).
pub fn revoke(digest: &str, now: Millis) -> Statement {
    Statement::new(
        r#"update "supabase_refresh_token" set "revoked" = 1, "sealed" = null, "updatedAt" = ?2 where "digest" = ?1 and "revoked" = 0"#,
        vec![digest.into(), now.into()],
    )
}

/// Revokes every live token of the session but `keep`.
pub fn revoke_others_of_session(session_id: &str, keep: &str, now: Millis) -> Statement {
    Statement::new(
        r#"update "supabase_refresh_token" set "revoked" = 1, "sealed" = null, "updatedAt" = ?3 where "sessionId" = ?1 and "digest" != ?2 and "revoked" = 0"#,
        vec![session_id.into(), keep.into(), now.into()],
    )
}

pub fn delete_for_session(session_id: &str) -> Statement {
    Statement::new(
        r#"delete from "supabase_refresh_token" where "sessionId" = ?1"#,
        vec![session_id.into()],
    )
}

/// The user's tokens whose session is gone (after a sign-out).
pub fn delete_orphans_of_user(user_id: &str) -> Statement {
    Statement::new(
        r#"delete from "supabase_refresh_token" where "userId" = ?1 and "sessionId" not in (select "id" from "session" where "userId" = ?1)"#,
        vec![user_id.into()],
    )
}

/// Tokens whose session is gone (revoked through better-auth, expired and swept).
pub fn delete_orphans() -> Statement {
    Statement::new(
        r#"delete from "supabase_refresh_token" where "sessionId" not in (select "id" from "session")"#,
        vec![],
    )
}

#[derive(Deserialize)]
struct MetadataRow {
    data: String,
}

pub async fn metadata(sql: &dyn Sql, user_id: &str) -> Result<Map<String, Value>, StorageError> {
    let row: Option<MetadataRow> = query_one(
        sql,
        Statement::new(
            r#"select "data" from "supabase_user_metadata" where "userId" = ?1"#,
            vec![user_id.into()],
        ),
    )
    .await?;
    Ok(row
        .and_then(|r| serde_json::from_str::<Map<String, Value>>(&r.data).ok())
        .unwrap_or_default())
}

pub fn set_metadata(user_id: &str, data: &Map<String, Value>, now: Millis) -> Statement {
    Statement::new(
        r#"insert into "supabase_user_metadata" ("userId", "data", "updatedAt") values (?1, ?2, ?3) on conflict ("userId") do update set "data" = excluded."data", "updatedAt" = excluded."updatedAt""#,
        vec![
            user_id.into(),
            Value::Object(data.clone()).to_string().into(),
            now.into(),
        ],
    )
}
