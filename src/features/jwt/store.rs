//! The `jwks` table (better-auth's JWT plugin): signing keys, newest first.

use crate::storage::{dates, query_all, Sql, Statement, StorageError};
use serde::Deserialize;

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct KeyRow {
    pub id: String,
    pub public_key: String,
    pub private_key: String,
    #[serde(deserialize_with = "dates::iso")]
    pub created_at: String,
    #[serde(default, deserialize_with = "dates::iso_opt")]
    pub expires_at: Option<String>,
    pub alg: Option<String>,
    pub crv: Option<String>,
}

pub async fn all(sql: &dyn Sql) -> Result<Vec<KeyRow>, StorageError> {
    query_all(
        sql,
        Statement::new(r#"select "id", "publicKey", "privateKey", "createdAt", "expiresAt", "alg", "crv" from "jwks" order by "createdAt" desc, "id""#, vec![]),
    )
    .await
}

pub fn insert(row: &KeyRow) -> Statement {
    Statement::new(
        r#"insert into "jwks" ("id", "publicKey", "privateKey", "createdAt", "expiresAt", "alg", "crv") values (?1, ?2, ?3, ?4, ?5, ?6, ?7)"#,
        vec![
            row.id.as_str().into(),
            row.public_key.as_str().into(),
            row.private_key.as_str().into(),
            row.created_at.as_str().into(),
            row.expires_at.clone().into(),
            row.alg.clone().into(),
            row.crv.clone().into(),
        ],
    )
}

pub fn delete(id: &str) -> Statement {
    Statement::new(r#"delete from "jwks" where "id" = ?1"#, vec![id.into()])
}
