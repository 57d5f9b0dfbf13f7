//! The admin plugin's writes to the `user` table: roles and bans.

use crate::storage::users::User;
use crate::storage::Statement;

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
