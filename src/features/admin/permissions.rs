//! Who may do what (better-auth's admin access control): the admin roles hold better-auth's
//! default admin statements, roles from `ADMIN_ROLE_PERMISSIONS` what they are given, other roles
//! nothing, and `ADMIN_USER_IDS` pass every check. A user
//! may hold several comma-separated roles; any one granting a permission is enough.

use crate::config::{Config, ADMIN_STATEMENTS};
use crate::error::{ApiError, Code};
use crate::storage::users::User;
use serde_json::Value;

/// Whether `role` grants `action` on `resource`.
fn grants(config: &Config, role: &str, resource: &str, action: &str) -> bool {
    if let Some(custom) = config.admin.custom_roles.iter().find(|r| r.name == role) {
        return custom
            .grants
            .iter()
            .any(|(r, actions)| r == resource && actions.iter().any(|a| a == action));
    }
    // better-auth's default `admin` role: every action but `impersonate-admins`.
    config.admin.admin_roles.iter().any(|r| r == role)
        && action != "impersonate-admins"
        && ADMIN_STATEMENTS
            .iter()
            .any(|(r, actions)| *r == resource && actions.contains(&action))
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
        requested
            .iter()
            .all(|(resource, actions)| actions.iter().all(|a| grants(config, role, resource, a)))
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

/// `YOU_ARE_NOT_ALLOWED_TO_SET_NON_EXISTENT_VALUE` unless every role is one the deployment knows.
pub fn require_known_roles(config: &Config, roles: &[String]) -> Result<(), ApiError> {
    match roles.iter().all(|r| config.admin.is_known_role(r)) {
        true => Ok(()),
        false => Err(ApiError::new(400, Code::NotAllowedToSetNonExistentValue)),
    }
}
