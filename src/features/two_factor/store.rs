//! The `twoFactor` table (better-auth's) and the user's `twoFactorEnabled`: per user, the TOTP
//! secret and the backup codes (both encrypted as better-auth encrypts them), whether the TOTP
//! setup was verified, and the consecutive failed second factors behind the temporary lock.

use crate::storage::{query_one, Sql, Statement, StorageError};
use serde::Deserialize;
use serde_json::Value;

/// A user's `twoFactor` row.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Factors {
    pub id: String,
    pub secret: String,
    pub backup_codes: String,
    #[serde(default)]
    verified: Value,
    #[serde(default, deserialize_with = "crate::storage::dates::iso_opt")]
    pub locked_until: Option<String>,
}

impl Factors {
    /// `verified` as stored: `None` for rows made before better-auth had the column.
    pub fn verified(&self) -> Option<bool> {
        match &self.verified {
            Value::Bool(b) => Some(*b),
            Value::Number(n) => Some(n.as_f64() != Some(0.0)),
            Value::String(s) => Some(s == "1" || s == "true"),
            _ => None,
        }
    }

    /// The TOTP factor counts once verified; a row older than the column counts too.
    pub fn totp_ready(&self) -> bool {
        self.verified() != Some(false)
    }
}

pub async fn find(sql: &dyn Sql, user_id: &str) -> Result<Option<Factors>, StorageError> {
    query_one(
        sql,
        Statement::new(
            r#"select "id", "secret", "backupCodes", "verified", "lockedUntil" from "twoFactor" where "userId" = ?1 limit 1"#,
            vec![user_id.into()],
        ),
    )
    .await
}

/// A new TOTP setup, unverified: a row for a user without one, or the secret and codes of an
/// unverified one replaced. Nothing changes for a user whose TOTP is set up.
pub fn set_up(id: &str, user_id: &str, secret: &str, backup_codes: &str) -> Vec<Statement> {
    vec![
        Statement::new(
            r#"insert into "twoFactor" ("id", "secret", "backupCodes", "userId", "verified", "failedVerificationCount")
               select ?1, ?2, ?3, ?4, 0, 0 where not exists (select 1 from "twoFactor" where "userId" = ?4)"#,
            vec![
                id.into(),
                secret.into(),
                backup_codes.into(),
                user_id.into(),
            ],
        ),
        Statement::new(
            r#"update "twoFactor" set "secret" = ?2, "backupCodes" = ?3 where "userId" = ?1 and "verified" = 0"#,
            vec![user_id.into(), secret.into(), backup_codes.into()],
        ),
    ]
}

pub fn mark_verified(id: &str) -> Statement {
    Statement::new(
        r#"update "twoFactor" set "verified" = 1 where "id" = ?1"#,
        vec![id.into()],
    )
}

pub fn set_backup_codes(id: &str, backup_codes: &str) -> Statement {
    Statement::new(
        r#"update "twoFactor" set "backupCodes" = ?2 where "id" = ?1"#,
        vec![id.into(), backup_codes.into()],
    )
}

/// Replaces the backup codes if they are still `before`: of two uses of one code at once, one
/// changes the row.
pub fn swap_backup_codes(id: &str, before: &str, after: &str) -> Statement {
    Statement::new(
        r#"update "twoFactor" set "backupCodes" = ?3 where "id" = ?1 and "backupCodes" = ?2"#,
        vec![id.into(), before.into(), after.into()],
    )
}

pub fn delete_for_user(user_id: &str) -> Statement {
    Statement::new(
        r#"delete from "twoFactor" where "userId" = ?1"#,
        vec![user_id.into()],
    )
}

pub fn set_enabled(user_id: &str, enabled: bool, now_iso: &str) -> Statement {
    Statement::new(
        r#"update "user" set "twoFactorEnabled" = ?2, "updatedAt" = ?3 where "id" = ?1"#,
        vec![user_id.into(), enabled.into(), now_iso.into()],
    )
}

/// Counts a failed second factor, and locks the factors until `until_iso` once `max` failed in a
/// row; one statement, so concurrent failures all count.
pub fn record_failure(id: &str, max: i64, until_iso: &str) -> Statement {
    Statement::new(
        r#"update "twoFactor" set "failedVerificationCount" = coalesce("failedVerificationCount", 0) + 1,
             "lockedUntil" = case when coalesce("failedVerificationCount", 0) + 1 >= ?2 then ?3 else "lockedUntil" end
           where "id" = ?1"#,
        vec![id.into(), max.into(), until_iso.into()],
    )
}

/// Clears the count of failures (after a success, or once a lock has run out).
pub fn reset_failures(id: &str) -> Statement {
    Statement::new(
        r#"update "twoFactor" set "failedVerificationCount" = 0, "lockedUntil" = null where "id" = ?1"#,
        vec![id.into()],
    )
}
