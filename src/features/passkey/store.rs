//! The `passkey` table (`@better-auth/passkey`'s): one WebAuthn credential per row, its COSE
//! public key in base64 as better-auth keeps it, and its signature counter.

use crate::storage::{query_all, query_one, Sql, Statement, StorageError};
use serde::{Deserialize, Serialize};

/// A passkey as stored and as better-auth answers it.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Passkey {
    pub id: String,
    pub name: Option<String>,
    pub public_key: String,
    pub user_id: String,
    #[serde(rename = "credentialID")]
    pub credential_id: String,
    #[serde(deserialize_with = "counter")]
    pub counter: i64,
    pub device_type: String,
    #[serde(deserialize_with = "crate::storage::bool_from_int")]
    pub backed_up: bool,
    pub transports: Option<String>,
    #[serde(default, deserialize_with = "crate::storage::dates::iso_opt")]
    pub created_at: Option<String>,
    pub aaguid: Option<String>,
}

fn counter<'de, D: serde::Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
    crate::storage::whole_number(d).map(|n| n.unwrap_or(0))
}

macro_rules! select {
    ($condition:literal) => {
        concat!(
            r#"select "id", "name", "publicKey", "userId", "credentialID", "counter", "deviceType", "backedUp", "transports", "createdAt", "aaguid" from "passkey" "#,
            $condition
        )
    };
}

pub async fn list_for_user(sql: &dyn Sql, user_id: &str) -> Result<Vec<Passkey>, StorageError> {
    query_all(
        sql,
        Statement::new(
            select!(r#"where "userId" = ?1 order by "createdAt""#),
            vec![user_id.into()],
        ),
    )
    .await
}

pub async fn find_by_credential(
    sql: &dyn Sql,
    credential_id: &str,
) -> Result<Option<Passkey>, StorageError> {
    query_one(
        sql,
        Statement::new(
            select!(r#"where "credentialID" = ?1 limit 1"#),
            vec![credential_id.into()],
        ),
    )
    .await
}

pub async fn find(sql: &dyn Sql, id: &str) -> Result<Option<Passkey>, StorageError> {
    query_one(
        sql,
        Statement::new(select!(r#"where "id" = ?1"#), vec![id.into()]),
    )
    .await
}

/// Stores a new passkey unless its credential is already registered (to anyone).
pub fn insert(passkey: &Passkey) -> Statement {
    Statement::new(
        r#"insert into "passkey" ("id", "name", "publicKey", "userId", "credentialID", "counter", "deviceType", "backedUp", "transports", "createdAt", "aaguid")
           select ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11
           where not exists (select 1 from "passkey" where "credentialID" = ?5)"#,
        vec![
            passkey.id.as_str().into(),
            passkey.name.clone().into(),
            passkey.public_key.as_str().into(),
            passkey.user_id.as_str().into(),
            passkey.credential_id.as_str().into(),
            passkey.counter.into(),
            passkey.device_type.as_str().into(),
            passkey.backed_up.into(),
            passkey.transports.clone().into(),
            passkey.created_at.clone().into(),
            passkey.aaguid.clone().into(),
        ],
    )
}

/// Moves the counter on, if it is still `from`: of two uses of one assertion at once, one wins.
pub fn advance_counter(id: &str, from: i64, to: i64, backed_up: bool) -> Statement {
    Statement::new(
        r#"update "passkey" set "counter" = ?3, "backedUp" = ?4 where "id" = ?1 and "counter" = ?2"#,
        vec![id.into(), from.into(), to.into(), backed_up.into()],
    )
}

pub fn rename(id: &str, name: &str) -> Statement {
    Statement::new(
        r#"update "passkey" set "name" = ?2 where "id" = ?1"#,
        vec![id.into(), name.into()],
    )
}

pub fn delete(id: &str) -> Statement {
    Statement::new(r#"delete from "passkey" where "id" = ?1"#, vec![id.into()])
}
