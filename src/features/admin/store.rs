//! The admin plugin's writes to the `user` table: roles and bans.

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
