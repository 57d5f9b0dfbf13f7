//! The `user` table.

use super::{query_one, Sql, Statement, StorageError};
use crate::time::Millis;
use serde::{Deserialize, Serialize};

/// A user as stored and as returned by the API (better-auth's user JSON).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct User {
    pub id: String,
    pub name: String,
    pub email: String,
    #[serde(deserialize_with = "super::bool_from_int")]
    pub email_verified: bool,
    pub image: Option<String>,
    #[serde(deserialize_with = "super::dates::iso")]
    pub created_at: String,
    #[serde(deserialize_with = "super::dates::iso")]
    pub updated_at: String,
    /// The admin plugin's fields: roles (comma-separated), and the ban. Entries cached before
    /// they existed read as a user without roles or ban.
    #[serde(default)]
    pub role: Option<String>,
    #[serde(default, deserialize_with = "super::bool_from_int")]
    pub banned: bool,
    #[serde(default)]
    pub ban_reason: Option<String>,
    #[serde(default, deserialize_with = "super::dates::iso_opt")]
    pub ban_expires: Option<String>,
    /// The two-factor plugin's switch: password sign-ins ask for a second factor.
    #[serde(default, deserialize_with = "super::bool_from_int")]
    pub two_factor_enabled: bool,
}

/// The columns a [`User`] is read from.
macro_rules! user_columns {
    () => {
        r#""id", "name", "email", "emailVerified", "image", "createdAt", "updatedAt", "role", "banned", "banReason", "banExpires", "twoFactorEnabled""#
    };
}

/// The columns a [`User`] is read from, for statements joined from pieces.
pub const COLUMNS: &str = user_columns!();

/// The user the condition (one of this module's) names with `value`.
async fn find_where(
    sql: &dyn Sql,
    condition: &'static str,
    value: &str,
) -> Result<Option<User>, StorageError> {
    let select = concat!("select ", user_columns!(), r#" from "user" "#);
    query_one(
        sql,
        Statement::composed(&[select, condition], vec![value.into()]),
    )
    .await
}

pub async fn find_by_email(sql: &dyn Sql, email: &str) -> Result<Option<User>, StorageError> {
    find_where(sql, r#"where "email" = ?1"#, email).await
}

/// A user with the password hash of its credential account (if any), for signing in.
#[derive(Debug, Clone, Deserialize)]
pub struct UserWithPassword {
    #[serde(flatten)]
    pub user: User,
    pub password: Option<String>,
}

/// What a sign-in needs to know about an address, read at once.
#[derive(Debug, Clone)]
pub struct SignInLookup {
    pub found: Option<UserWithPassword>,
    /// Failed sign-ins counted under the address's counter, and when that count ends (unix ms).
    pub failures: i64,
    pub failures_until: Millis,
}

/// The user, its credential password and the address's failed-sign-in count in one read, which
/// returns one row whether or not the address has an account: a sign-in for an unknown address
/// does the same database work as one for a known address.
pub async fn find_for_sign_in(
    sql: &dyn Sql,
    email: &str,
    counter_key: &str,
    now: Millis,
) -> Result<SignInLookup, StorageError> {
    let rows = sql
        .query(Statement::new(
            r#"select u."id", u."name", u."email", u."emailVerified", u."image", u."createdAt", u."updatedAt",
                      u."role", u."banned", u."banReason", u."banExpires", u."twoFactorEnabled", a."password",
                      c."count" as "failures", c."expiresAt" as "failuresUntil"
               from (select 1) as "one"
               left join "user" u on u."email" = ?1
               left join "account" a on a."userId" = u."id" and a."providerId" = 'credential'
               left join "rate_limit_counter" c on c."key" = ?2 and c."expiresAt" > ?3
               order by a."createdAt" limit 1"#,
            vec![email.into(), counter_key.into(), now.into()],
        ))
        .await?;
    let Some(mut row) = rows.into_iter().next() else {
        return Err(StorageError::Decode(
            "the sign-in lookup returned no row".into(),
        ));
    };
    let number = |v: Option<serde_json::Value>| v.and_then(|v| v.as_f64()).unwrap_or(0.0) as i64;
    let failures = number(row.remove("failures"));
    let failures_until = number(row.remove("failuresUntil"));
    let found = match row.get("id") {
        Some(serde_json::Value::String(_)) => Some(
            serde_json::from_value(serde_json::Value::Object(row))
                .map_err(|e| StorageError::Decode(e.to_string()))?,
        ),
        _ => None,
    };
    Ok(SignInLookup {
        found,
        failures,
        failures_until,
    })
}

pub async fn find_by_id(sql: &dyn Sql, id: &str) -> Result<Option<User>, StorageError> {
    find_where(sql, r#"where "id" = ?1"#, id).await
}

pub fn insert(user: &User) -> Statement {
    Statement::new(
        r#"insert into "user" ("id", "name", "email", "emailVerified", "image", "createdAt", "updatedAt", "role", "banned") values (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)"#,
        vec![
            user.id.as_str().into(),
            user.name.as_str().into(),
            user.email.as_str().into(),
            user.email_verified.into(),
            user.image.clone().into(),
            user.created_at.as_str().into(),
            user.updated_at.as_str().into(),
            user.role.clone().into(),
            user.banned.into(),
        ],
    )
}

/// Writes the profile fields of `user` (name, image, updatedAt).
pub fn update_profile(user: &User) -> Statement {
    Statement::new(
        r#"update "user" set "name" = ?2, "image" = ?3, "updatedAt" = ?4 where "id" = ?1"#,
        vec![
            user.id.as_str().into(),
            user.name.as_str().into(),
            user.image.clone().into(),
            user.updated_at.as_str().into(),
        ],
    )
}

/// What deleting a user deletes, the user last: its API keys (which have no foreign key), second
/// factors, passkeys, accounts and Supabase tokens and metadata (`on delete cascade` would, but an
/// imported database may not have its foreign keys).
const DELETE_USER: [&str; 7] = [
    r#"delete from "apikey" where "referenceId" = ?1"#,
    r#"delete from "twoFactor" where "userId" = ?1"#,
    r#"delete from "passkey" where "userId" = ?1"#,
    r#"delete from "account" where "userId" = ?1"#,
    r#"delete from "supabase_refresh_token" where "userId" = ?1"#,
    r#"delete from "supabase_user_metadata" where "userId" = ?1"#,
    r#"delete from "user" where "id" = ?1"#,
];

/// Deletes the user and what is theirs ([`DELETE_USER`]); the caller deletes the sessions first.
pub fn delete(user_id: &str) -> Vec<Statement> {
    DELETE_USER
        .iter()
        .map(|sql| Statement::new(sql, vec![user_id.into()]))
        .collect()
}

/// Marks the user's address verified.
pub fn mark_verified(user_id: &str, now_iso: &str) -> Statement {
    Statement::new(
        r#"update "user" set "emailVerified" = 1, "updatedAt" = ?2 where "id" = ?1"#,
        vec![user_id.into(), now_iso.into()],
    )
}

/// Clears a ban (an admin's unban, or an expired ban lifted at the next sign-in).
pub fn lift_ban(user_id: &str, now_iso: &str) -> Statement {
    Statement::new(
        r#"update "user" set "banned" = 0, "banReason" = null, "banExpires" = null, "updatedAt" = ?2 where "id" = ?1"#,
        vec![user_id.into(), now_iso.into()],
    )
}
