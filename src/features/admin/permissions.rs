//! Who may do what (better-auth's admin access control): the admin roles hold better-auth's
//! default admin statements, roles from `ADMIN_ROLE_PERMISSIONS` what they are given, other roles
//! nothing, and `ADMIN_USER_IDS` pass every check. A user
//! may hold several comma-separated roles; any one granting a permission is enough.

use crate::config::{Config, ADMIN_STATEMENTS};
use crate::error::{ApiError, Code};
use crate::session::ActiveSession;
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
pub type Requested = crate::config::Grants;

/// `{"user": ["ban"], …}` as a request; `None` when it is not that shape.
pub fn parse_requested(value: &Value) -> Option<Requested> {
    crate::config::parse_grants(value)
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

/// Whether the session may do everything `requested` asks: its user must, and so must the API key
/// standing for the session when it names permissions (a key narrows its user's rights).
pub fn session_has_permission(
    config: &Config,
    session: &ActiveSession,
    requested: &Requested,
) -> bool {
    let user = &session.user;
    let key_allows = match session
        .api_key
        .as_ref()
        .and_then(|k| k.permissions.as_ref())
    {
        Some(granted) => crate::config::grants_allow(granted, requested),
        None => true,
    };
    key_allows && has_permission(config, &user.id, user.role.as_deref(), requested)
}

/// Whether the user is an admin: named in `ADMIN_USER_IDS`, or holding one of `ADMIN_ROLES`.
pub fn is_admin(config: &Config, user: &User) -> bool {
    let roles = user.role.as_deref().unwrap_or(&config.admin.default_role);
    config.admin.user_ids.contains(&user.id)
        || roles
            .split(',')
            .any(|r| config.admin.admin_roles.iter().any(|a| a == r.trim()))
}

/// The 403 with `denied` unless the session may do `action` on `resource`.
pub fn require(
    config: &Config,
    session: &ActiveSession,
    resource: &str,
    action: &str,
    denied: Code,
) -> Result<(), ApiError> {
    let requested = vec![(resource.to_string(), vec![action.to_string()])];
    if session_has_permission(config, session, &requested) {
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
