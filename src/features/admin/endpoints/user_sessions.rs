//! Another user's sessions, impersonation, and permission checks.

use super::{admin, target, user_id};
use crate::error::{ApiError, Code};
use crate::features::admin::permissions::{self, parse_requested, session_has_permission};
use crate::kernel::context::Ctx;
use crate::kernel::response::Reply;
use crate::session::{self as sessions, Source};
use crate::time::{to_iso, SECOND};
use serde_json::{json, Value};
/// The cookie that keeps the admin's own session while they impersonate someone.
const ADMIN_SESSION: &str = "admin_session";

/// Signs the admin in as the user, in a session of its own (`impersonatedBy`, an hour by
/// default, cookie for the browser session only); the admin's session waits in a signed cookie.
pub async fn impersonate_user(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    let session = admin(
        ctx,
        "user",
        "impersonate",
        Code::NotAllowedToImpersonateUsers,
    )?;
    let id = user_id(ctx)?;
    let user = target(ctx, &id).await?;
    let config = ctx.config;
    if permissions::is_admin(config, &user) {
        permissions::require(
            config,
            &session,
            "user",
            "impersonate-admins",
            Code::YouCannotImpersonateAdmins,
        )?;
    }
    let sessions = ctx.sessions();
    let mut impersonation =
        sessions.new_session(&user.id, false, ctx.client_ip(), ctx.user_agent(), ctx.now)?;
    impersonation.record.impersonated_by = Some(session.user.id.clone());
    impersonation.record.expires_at =
        to_iso(ctx.now + config.admin.impersonation_session_duration * SECOND);
    sessions.store(&impersonation, &user, ctx.now).await?;
    let dont_remember = if ctx.has_dont_remember() { "true" } else { "" };
    ctx.set_signed_cookie(
        ADMIN_SESSION,
        &format!("{}:{dont_remember}", session.token),
        None,
    );
    ctx.set_session_cookie(&impersonation.token, false);
    Ok(Reply::json(json!({
        "session": sessions::json(&impersonation.record, &impersonation.token),
        "user": user,
    })))
}

/// Ends the impersonation session and gives the admin their own session back.
pub async fn stop_impersonating(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    let session = ctx.signed_in()?;
    let Some(admin_id) = session.record.impersonated_by.clone() else {
        return Err(ApiError::message_only(
            400,
            "You are not impersonating anyone",
        ));
    };
    let lost = || ApiError::message_only(500, "Failed to find admin session");
    let kept = ctx.signed_cookie(ADMIN_SESSION).ok_or_else(lost)?;
    let (admin_token, dont_remember) = kept.split_once(':').unwrap_or((kept.as_str(), ""));
    let admin_session = ctx
        .sessions()
        .find(admin_token, Source::Durable, ctx.now)
        .await?
        .filter(|s| s.user.id == admin_id)
        .ok_or_else(lost)?;
    ctx.sessions()
        .revoke_digests(std::slice::from_ref(&session.record.token_digest))
        .await?;
    ctx.set_session_cookie(&admin_session.token, dont_remember.is_empty());
    ctx.expire_cookie(ADMIN_SESSION);
    Ok(Reply::json(json!({
        "session": sessions::json(&admin_session.record, &admin_session.token),
        "user": admin_session.user,
    })))
}

/// The user's live sessions; each `token` is the handle `revoke-user-session` takes (tokens are
/// stored only as digests).
pub async fn list_user_sessions(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    admin(ctx, "session", "list", Code::NotAllowedToListUsersSessions)?;
    let id = user_id(ctx)?;
    let list: Vec<Value> = ctx
        .sessions()
        .list(&id, ctx.now)
        .await?
        .iter()
        .map(|r| sessions::json(r, &r.token_digest))
        .collect();
    Ok(Reply::json(json!({ "sessions": list })))
}

pub async fn revoke_user_session(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    admin(
        ctx,
        "session",
        "revoke",
        Code::NotAllowedToRevokeUsersSessions,
    )?;
    let handle = ctx
        .input
        .exact_text("sessionToken")
        .ok_or_else(ApiError::internal)?;
    ctx.sessions()
        .revoke_digests(&[sessions::handle_digest(&handle)])
        .await?;
    Ok(Reply::json(json!({ "success": true })))
}

pub async fn revoke_user_sessions(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    admin(
        ctx,
        "session",
        "revoke",
        Code::NotAllowedToRevokeUsersSessions,
    )?;
    let id = user_id(ctx)?;
    ctx.sessions().revoke_all(&id, None).await?;
    Ok(Reply::json(json!({ "success": true })))
}

/// Whether the signed-in user holds the permissions asked (better-auth checks the session's user
/// over HTTP, whatever `userId` or `role` the body names).
pub async fn has_permission_endpoint(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    let asked = ctx
        .input
        .raw("permissions")
        .or_else(|| ctx.input.raw("permission"))
        .cloned();
    let Some(asked) = asked else {
        return Err(ApiError::message_only(
            400,
            "invalid permission check. no permission(s) were passed.",
        ));
    };
    let session = ctx.signed_in()?;
    let requested = parse_requested(&asked).unwrap_or_default();
    let granted = session_has_permission(ctx.config, &session, &requested);
    Ok(Reply::json(json!({ "error": null, "success": granted })))
}
