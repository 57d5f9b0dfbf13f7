//! Who may do what (better-auth's admin access control): the admin roles hold better-auth's
//! default admin statements, other roles hold none, and `ADMIN_USER_IDS` pass every check. A user
//! may hold several comma-separated roles; any one granting a permission is enough.

use crate::config::Config;
use crate::error::{ApiError, Code};
use crate::storage::users::User;
use serde_json::Value;

/// better-auth's default `admin` role: every user and session action but `impersonate-admins`.
const ADMIN: &[(&str, &[&str])] = &[
    (
        "user",
        &[
            "create",
            "list",
            "set-role",
            "ban",
            "impersonate",
            "delete",
            "set-password",
            "set-email",
            "get",
            "update",
        ],
    ),
    ("session", &["list", "revoke", "delete"]),
];

/// What `role` grants.
fn statements(config: &Config, role: &str) -> &'static [(&'static str, &'static [&'static str])] {
    if config.admin.admin_roles.iter().any(|r| r == role) {
        ADMIN
    } else {
        &[]
    }
}

/// A permission request: resources with the actions asked on each.
pub type Requested = Vec<(String, Vec<String>)>;

/// `{"user": ["ban"], …}` as a request; `None` when it is not that shape.
pub fn parse_requested(value: &Value) -> Option<Requested> {
    value
        .as_object()?
        .iter()
        .map(|(resource, actions)| {
            let actions = actions
                .as_array()?
                .iter()
                .map(|a| a.as_str().map(str::to_string))
                .collect::<Option<Vec<_>>>()?;
            Some((resource.clone(), actions))
        })
        .collect()
}

/// better-auth's `hasPermission`: an `ADMIN_USER_IDS` user passes; otherwise one of the user's
/// roles (the default role when it has none) must grant every requested action. An empty request
/// grants nothing.
pub fn has_permission(
    config: &Config,
    user_id: &str,
    role: Option<&str>,
    requested: &[(String, Vec<String>)],
) -> bool {
    if config.admin.user_ids.iter().any(|id| id == user_id) {
        return true;
    }
    if requested.is_empty() {
        return false;
    }
    let roles = role.unwrap_or(&config.admin.default_role);
    roles.split(',').map(str::trim).any(|role| {
        let granted = statements(config, role);
        requested.iter().all(|(resource, actions)| {
            granted
                .iter()
                .find(|(r, _)| r == resource)
                .is_some_and(|(_, allowed)| actions.iter().all(|a| allowed.contains(&a.as_str())))
        })
    })
}

/// The 403 with `denied` unless `user` may do `action` on `resource`.
pub fn require(
    config: &Config,
    user: &User,
    resource: &str,
    action: &str,
    denied: Code,
) -> Result<(), ApiError> {
    let requested = [(resource.to_string(), vec![action.to_string()])];
    if has_permission(config, &user.id, user.role.as_deref(), &requested) {
        Ok(())
    } else {
        Err(ApiError::new(403, denied))
    }
}
