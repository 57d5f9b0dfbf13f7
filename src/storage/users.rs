//! The `user` table.

use super::{query_one, Sql, Statement, StorageError};
use serde::{Deserialize, Serialize};

/// A user as stored and as returned by the API (better-auth's user JSON).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
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
}

pub async fn find_by_email(sql: &dyn Sql, email: &str) -> Result<Option<User>, StorageError> {
    query_one(sql, Statement::new(r#"select "id", "name", "email", "emailVerified", "image", "createdAt", "updatedAt" from "user" where "email" = ?1"#, vec![email.into()])).await
}

/// A user with the password hash of its credential account (if any), for signing in.
#[derive(Debug, Clone, Deserialize)]
pub struct UserWithPassword {
    #[serde(flatten)]
    pub user: User,
    pub password: Option<String>,
}

/// The user and its credential password in one read, so that a sign-in for an unknown address
/// does the same database work as one for a known address.
pub async fn find_with_password(
    sql: &dyn Sql,
    email: &str,
) -> Result<Option<UserWithPassword>, StorageError> {
    query_one(
        sql,
        Statement::new(
            r#"select u."id", u."name", u."email", u."emailVerified", u."image", u."createdAt", u."updatedAt", a."password" from "user" u left join "account" a on a."userId" = u."id" and a."providerId" = 'credential' where u."email" = ?1 order by a."createdAt" limit 1"#,
            vec![email.into()],
        ),
    )
    .await
}

pub async fn find_by_id(sql: &dyn Sql, id: &str) -> Result<Option<User>, StorageError> {
    query_one(sql, Statement::new(r#"select "id", "name", "email", "emailVerified", "image", "createdAt", "updatedAt" from "user" where "id" = ?1"#, vec![id.into()])).await
}

pub fn insert(user: &User) -> Statement {
    Statement::new(
        r#"insert into "user" ("id", "name", "email", "emailVerified", "image", "createdAt", "updatedAt") values (?1, ?2, ?3, ?4, ?5, ?6, ?7)"#,
        vec![
            user.id.as_str().into(),
            user.name.as_str().into(),
            user.email.as_str().into(),
            user.email_verified.into(),
            user.image.clone().into(),
            user.created_at.as_str().into(),
            user.updated_at.as_str().into(),
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

/// Deletes the user; sessions and accounts go with it (`on delete cascade`, and explicitly, since
/// D1 enforces foreign keys but an imported database may not have them). The first statement
/// returns the deleted sessions' token digests.
pub fn delete(user_id: &str) -> Vec<Statement> {
    vec![
        super::sessions::delete_for_user(user_id),
        Statement::new(
            r#"delete from "account" where "userId" = ?1"#,
            vec![user_id.into()],
        ),
        Statement::new(
            r#"delete from "user" where "id" = ?1"#,
            vec![user_id.into()],
        ),
    ]
}
