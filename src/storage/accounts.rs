//! The `account` table: the credential (email/password) account of each user, and accounts with
//! social and OpenID providers (tokens sealed by the social feature before they get here).

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

/// An account with a provider (better-auth's social and OAuth accounts), tokens as stored.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ProviderAccount {
    pub id: String,
    pub account_id: String,
    pub provider_id: String,
    pub user_id: String,
    pub access_token: Option<String>,
    pub refresh_token: Option<String>,
    pub id_token: Option<String>,
    #[serde(default, deserialize_with = "dates::iso_opt")]
    pub access_token_expires_at: Option<String>,
    #[serde(default, deserialize_with = "dates::iso_opt")]
    pub refresh_token_expires_at: Option<String>,
    pub scope: Option<String>,
}

/// The columns a [`ProviderAccount`] is read from.
macro_rules! provider_account_columns {
    () => {
        r#""id", "accountId", "providerId", "userId", "accessToken", "refreshToken", "idToken", "accessTokenExpiresAt", "refreshTokenExpiresAt", "scope""#
    };
}

async fn find_provider_account(
    sql: &dyn Sql,
    condition: &'static str,
    a: &str,
    b: &str,
) -> Result<Option<ProviderAccount>, StorageError> {
    let select = concat!(
        "select ",
        provider_account_columns!(),
        r#" from "account" "#
    );
    query_one(
        sql,
        Statement::composed(&[select, condition], vec![a.into(), b.into()]),
    )
    .await
}

/// The account a provider knows as `account_id`.
pub async fn find_by_provider(
    sql: &dyn Sql,
    provider_id: &str,
    account_id: &str,
) -> Result<Option<ProviderAccount>, StorageError> {
    let condition = r#"where "providerId" = ?1 and "accountId" = ?2 order by "createdAt" limit 1"#;
    find_provider_account(sql, condition, provider_id, account_id).await
}

/// One of the user's accounts, by its row id.
pub async fn find_owned(
    sql: &dyn Sql,
    user_id: &str,
    id: &str,
) -> Result<Option<ProviderAccount>, StorageError> {
    find_provider_account(sql, r#"where "userId" = ?1 and "id" = ?2"#, user_id, id).await
}

/// The tokens and dates a provider account is written with (tokens already sealed).
pub struct ProviderTokens {
    pub access_token: Option<String>,
    pub refresh_token: Option<String>,
    pub id_token: Option<String>,
    pub access_token_expires_at: Option<String>,
    pub refresh_token_expires_at: Option<String>,
}

pub fn insert_provider(
    id: &str,
    user_id: &str,
    provider_id: &str,
    account_id: &str,
    tokens: &ProviderTokens,
    scope: &str,
    now_iso: &str,
) -> Statement {
    Statement::new(
        r#"insert into "account" ("id", "accountId", "providerId", "userId", "accessToken", "refreshToken", "idToken", "accessTokenExpiresAt", "refreshTokenExpiresAt", "scope", "createdAt", "updatedAt")
           values (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?11)"#,
        vec![
            id.into(),
            account_id.into(),
            provider_id.into(),
            user_id.into(),
            tokens.access_token.clone().into(),
            tokens.refresh_token.clone().into(),
            tokens.id_token.clone().into(),
            tokens.access_token_expires_at.clone().into(),
            tokens.refresh_token_expires_at.clone().into(),
            scope.into(),
            now_iso.into(),
        ],
    )
}

/// New tokens for an account; a refresh token, ID token or expiry not given keeps the stored one.
/// `scope`: replaces the stored scopes when given (a link asking more).
pub fn update_tokens(
    id: &str,
    tokens: &ProviderTokens,
    scope: Option<&str>,
    now_iso: &str,
) -> Statement {
    Statement::new(
        r#"update "account" set "accessToken" = coalesce(?2, "accessToken"), "refreshToken" = coalesce(?3, "refreshToken"),
             "idToken" = coalesce(?4, "idToken"), "accessTokenExpiresAt" = coalesce(?5, "accessTokenExpiresAt"),
             "refreshTokenExpiresAt" = coalesce(?6, "refreshTokenExpiresAt"), "scope" = coalesce(?7, "scope"), "updatedAt" = ?8
           where "id" = ?1"#,
        vec![
            id.into(),
            tokens.access_token.clone().into(),
            tokens.refresh_token.clone().into(),
            tokens.id_token.clone().into(),
            tokens.access_token_expires_at.clone().into(),
            tokens.refresh_token_expires_at.clone().into(),
            scope.map(str::to_string).into(),
            now_iso.into(),
        ],
    )
}

/// Unlinks an account, unless it is the user's last one (`allow_last`): the statement changes
/// nothing then, decided in D1 so that two unlinks at once cannot leave the user with none.
pub fn delete_owned(user_id: &str, id: &str, allow_last: bool) -> Statement {
    Statement::new(
        r#"delete from "account" where "userId" = ?1 and "id" = ?2
             and (?3 or (select count(*) from "account" where "userId" = ?1) > 1)"#,
        vec![user_id.into(), id.into(), allow_last.into()],
    )
}
