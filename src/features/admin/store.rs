//! The admin plugin's writes to the `user` table: roles and bans.

use crate::storage::users::User;
use crate::storage::Statement;
use serde_json::Value;

pub fn set_role(user_id: &str, role: &str, now_iso: &str) -> Statement {
    Statement::new(
        r#"update "user" set "role" = ?2, "updatedAt" = ?3 where "id" = ?1"#,
        vec![user_id.into(), role.into(), now_iso.into()],
    )
}

pub fn ban(user_id: &str, reason: &str, expires: Option<&str>, now_iso: &str) -> Statement {
    Statement::new(
        r#"update "user" set "banned" = 1, "banReason" = ?2, "banExpires" = ?3, "updatedAt" = ?4 where "id" = ?1"#,
        vec![
            user_id.into(),
            reason.into(),
            expires.map(str::to_string).into(),
            now_iso.into(),
        ],
    )
}

/// The ban's reason and end for a user created banned (the insert sets `banned`).
pub fn ban_details(user: &User) -> Statement {
    Statement::new(
        r#"update "user" set "banReason" = ?2, "banExpires" = ?3 where "id" = ?1"#,
        vec![
            user.id.as_str().into(),
            user.ban_reason.clone().into(),
            user.ban_expires.clone().into(),
        ],
    )
}

/// A field `update-user` may set, in the order [`update`] binds them.
pub const UPDATABLE: [&str; 8] = [
    "name",
    "image",
    "email",
    "emailVerified",
    "role",
    "banned",
    "banReason",
    "banExpires",
];

/// Sets the given fields (`Some`: set to this value, `None`: left alone), in [`UPDATABLE`] order.
pub fn update(user_id: &str, values: [Option<Value>; 8], now_iso: &str) -> Statement {
    let params = crate::storage::optional_sets(
        user_id,
        values.map(|value| {
            value.map(|v| match v {
                Value::Bool(b) => b.into(),
                Value::String(s) => s.into(),
                _ => crate::storage::Value::Null,
            })
        }),
        now_iso,
    );
    Statement::new(
        r#"update "user" set
            "name" = case when ?2 then ?3 else "name" end,
            "image" = case when ?4 then ?5 else "image" end,
            "email" = case when ?6 then ?7 else "email" end,
            "emailVerified" = case when ?8 then ?9 else "emailVerified" end,
            "role" = case when ?10 then ?11 else "role" end,
            "banned" = case when ?12 then ?13 else "banned" end,
            "banReason" = case when ?14 then ?15 else "banReason" end,
            "banExpires" = case when ?16 then ?17 else "banExpires" end,
            "updatedAt" = ?18
          where "id" = ?1"#,
        params,
    )
}
