//! Profile and account endpoints: `update-user`, `change-password`, `delete-user`.

use crate::crypto::password;
use crate::error::{ApiError, Code};
use crate::features::email_password::credentials::{self, check_new_password, check_not_too_long};
use crate::features::sync::SyncChange;
use crate::features::verification::one_time;
use crate::kernel::context::Ctx;
use crate::kernel::response::Reply;
use crate::mail::Kind;
use crate::session::store as session_table;
use crate::session::ActiveSession;
use crate::storage::{accounts, users};
use crate::time::{parse_iso, to_iso, SECOND};
use serde_json::json;

pub async fn update_user(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    if ctx.input.raw("email").is_some() {
        return Err(ApiError::new(400, Code::EmailCanNotBeUpdated));
    }
    let name = ctx.input.exact_text("name");
    let image = ctx.input.nullable_text("image");
    if name.is_none() && image.is_none() {
        return Err(ApiError::message_only(400, "No fields to update"));
    }

    let session = ctx.signed_in()?;
    let mut user = session.user.clone();
    if let Some(name) = name {
        user.name = name;
    }
    if let Some(image) = image {
        user.image = image;
    }
    user.updated_at = to_iso(ctx.now);
    let mut batch = vec![users::update_profile(&user)];
    batch.extend(crate::features::sync::record(
        ctx,
        &user.id,
        SyncChange::Upsert,
    )?);
    ctx.drivers.sql.batch(batch).await?;
    ctx.sessions().refresh_cached_user(&user, ctx.now).await?;
    let remember = !ctx.has_dont_remember();
    ctx.set_session_cookie(&session.token, remember);
    Ok(Reply::json(json!({"status": true})))
}

pub async fn change_password(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    let new_password = ctx.input.exact_text("newPassword");
    let current_password = ctx.input.exact_text("currentPassword");
    let revoke_others = ctx.input.flag("revokeOtherSessions").unwrap_or(false);
    let (Some(new_password), Some(current_password)) = (new_password, current_password) else {
        return Err(ApiError::internal());
    };
    check_new_password(ctx.config, &new_password)?;
    check_not_too_long(ctx.config, &current_password)?;

    let session = ctx.signed_in()?;
    let sql = ctx.drivers.sql.as_ref();
    let kdf = ctx.drivers.kdf.as_ref();
    let account =
        credentials::require_password(sql, kdf, &session.user.id, &current_password).await?;
    let now_iso = to_iso(ctx.now);
    let set_password = vec![
        accounts::set_password(&account.id, &password::hash(kdf, &new_password)?, &now_iso),
        // Reset links sent before the change stop working.
        one_time::revoke_all(Kind::ResetPassword, &session.user.id),
    ];
    if !revoke_others {
        sql.batch(set_password).await?;
        return Ok(Reply::json(json!({"token": null, "user": session.user})));
    }

    // Every session dies, the current one included, and a new one replaces it: all in one batch.
    let sessions = ctx.sessions();
    let remember = !ctx.has_dont_remember();
    let fresh = sessions.new_session(
        &session.user.id,
        remember,
        ctx.client_ip(),
        ctx.user_agent(),
        ctx.now,
    )?;
    let mut batch = set_password;
    let deleting = batch.len();
    batch.extend([
        session_table::delete_for_user(&session.user.id),
        fresh.insert(),
    ]);
    sessions
        .run_revoking(&session.user.id, batch, Some(deleting))
        .await?;
    sessions.cache(&fresh.record, &session.user, ctx.now).await;
    ctx.set_session_cookie(&fresh.token, remember);
    Ok(Reply::json(
        json!({"token": fresh.token, "user": session.user}),
    ))
}

pub async fn delete_user(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    let password = ctx.input.exact_text("password");
    let session = ctx.signed_in()?;
    let sql = ctx.drivers.sql.as_ref();
    match password {
        Some(password) => {
            check_not_too_long(ctx.config, &password)?;
            credentials::require_password(
                sql,
                ctx.drivers.kdf.as_ref(),
                &session.user.id,
                &password,
            )
            .await?;
        }
        None => require_passwordless_deletion(ctx, &session).await?,
    }

    let mut batch = crate::features::sync::record(ctx, &session.user.id, SyncChange::Delete)?;
    let deleting = batch.len();
    // The sessions first: that statement returns the deleted sessions' token digests.
    batch.push(session_table::delete_for_user(&session.user.id));
    batch.extend(users::delete(&session.user.id));
    ctx.sessions()
        .run_revoking(&session.user.id, batch, Some(deleting))
        .await?;
    ctx.clear_session_cookies();
    Ok(Reply::json(
        json!({"success": true, "message": "User deleted"}),
    ))
}

/// Without a password, only a user who has none may delete the account, and only from a session
/// that is still fresh.
async fn require_passwordless_deletion(
    ctx: &Ctx<'_>,
    session: &ActiveSession,
) -> Result<(), ApiError> {
    let account = accounts::credential_for_user(ctx.drivers.sql.as_ref(), &session.user.id).await?;
    if account.and_then(|a| a.password).is_some() {
        return Err(ApiError::new(400, Code::UserAlreadyHasPassword));
    }
    let fresh_age = ctx.config.session_fresh_age;
    let created = parse_iso(&session.record.created_at).unwrap_or(0);
    if fresh_age > 0 && ctx.now - created >= fresh_age * SECOND {
        return Err(ApiError::new(400, Code::SessionExpired));
    }
    Ok(())
}
