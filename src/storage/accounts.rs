//! The `account` table: the credential (email/password) account of each user.

use super::dates;
use super::{query_all, query_one, Sql, Statement, StorageError};
use serde::{Deserialize, Serialize};

pub const CREDENTIAL_PROVIDER: &str = "credential";

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CredentialAccount {
    pub id: String,
    pub password: Option<String>,
}

/// An account as `list-accounts` shows it: no tokens, no password.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AccountSummary {
    pub id: String,
    pub provider_id: String,
    pub account_id: String,
    pub user_id: String,
    #[serde(deserialize_with = "dates::iso")]
    pub created_at: String,
    #[serde(deserialize_with = "dates::iso")]
    pub updated_at: String,
    #[serde(skip_serializing)]
    pub scope: Option<String>,
}

pub async fn credential_for_user(
    sql: &dyn Sql,
    user_id: &str,
) -> Result<Option<CredentialAccount>, StorageError> {
    query_one(
        sql,
        Statement::new(
            r#"select "id", "password" from "account" where "userId" = ?1 and "providerId" = 'credential' order by "createdAt" limit 1"#,
            vec![user_id.into()],
        ),
    )
    .await
}

pub async fn list_for_user(
    sql: &dyn Sql,
    user_id: &str,
) -> Result<Vec<AccountSummary>, StorageError> {
    query_all(
        sql,
        Statement::new(
            r#"select "id", "providerId", "accountId", "userId", "createdAt", "updatedAt", "scope" from "account" where "userId" = ?1 order by "createdAt""#,
            vec![user_id.into()],
        ),
    )
    .await
}

pub fn insert_credential(id: &str, user_id: &str, password_hash: &str, now_iso: &str) -> Statement {
    Statement::new(
        r#"insert into "account" ("id", "accountId", "providerId", "userId", "password", "createdAt", "updatedAt") values (?1, ?2, 'credential', ?2, ?3, ?4, ?4)"#,
        vec![
            id.into(),
            user_id.into(),
            password_hash.into(),
            now_iso.into(),
        ],
    )
}

pub fn set_password(account_id: &str, password_hash: &str, now_iso: &str) -> Statement {
    Statement::new(
        r#"update "account" set "password" = ?2, "updatedAt" = ?3 where "id" = ?1"#,
        vec![account_id.into(), password_hash.into(), now_iso.into()],
    )
}
