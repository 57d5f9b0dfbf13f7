//! The emailOTP endpoints: sending a code (the same answer whether or not the address has a user),
//! signing in with one (and up, for a new address), checking one, verifying the address, and
//! resetting the password.

use super::codes::{self, Purpose};
use crate::crypto::{password, random};
use crate::error::{ApiError, Code};
use crate::features::email_password::credentials::check_new_password;
use crate::features::sync::{self, SyncChange};
use crate::features::verification::proven;
use crate::kernel::context::Ctx;
use crate::kernel::response::Reply;
use crate::storage::accounts;
use crate::storage::users::{self, User};
use crate::time::to_iso;
use serde_json::json;

fn otp(ctx: &Ctx<'_>) -> String {
    ctx.input.exact_text("otp").unwrap_or_default()
}

/// Sends a code of `purpose` to the address; nothing for an address without a user (unless a
/// sign-in may sign one up), with the same answer after the same wait.
async fn send(ctx: &mut Ctx<'_>, purpose: Purpose, email: &str) -> Result<Reply, ApiError> {
    let user = users::find_by_email(ctx.drivers.sql.as_ref(), email).await?;
    let may_sign_up = purpose == Purpose::SignIn && !ctx.config.email_otp.disable_sign_up;
    if user.is_some() || may_sign_up {
        let statements = codes::issue(
            ctx,
            purpose,
            email,
            user.as_ref().map(|u| u.id.as_str()),
            None,
        )?;
        ctx.drivers.sql.batch(statements).await?;
    }
    ctx.pad_answer().await;
    Ok(Reply::json(json!({ "success": true })))
}

pub async fn send_verification_otp(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    let email = ctx.input.email("email")?;
    let kind = ctx.input.exact_text("type").unwrap_or_default();
    let purpose = match (Purpose::parse(&kind), kind.as_str()) {
        (Some(purpose), _) => purpose,
        (None, "change-email") => return Err(ApiError::message_only(400, "Invalid OTP type")),
        (None, _) => {
            return Err(ApiError::validation(
                r#"[body.type] Invalid option: expected one of "email-verification"|"sign-in"|"forget-password"|"change-email""#,
            ))
        }
    };
    send(ctx, purpose, &email).await
}

pub async fn request_password_reset(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    let email = ctx.input.email("email")?;
    send(ctx, Purpose::ForgetPassword, &email).await
}

pub async fn sign_in(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    let email = ctx
        .input
        .exact_text("email")
        .unwrap_or_default()
        .to_lowercase();
    codes::check(ctx, Purpose::SignIn, &email, &otp(ctx), true).await?;
    let name = ctx.input.text("name");
    let sign_up = !ctx.config.email_otp.disable_sign_up;
    let Some((user, _)) = proven::user_for(ctx, &email, name.as_deref(), sign_up).await? else {
        return Err(ApiError::new(400, Code::InvalidOtp));
    };
    let session = ctx
        .sessions()
        .create(&user, true, ctx.client_ip(), ctx.user_agent(), ctx.now)
        .await?;
    ctx.set_session_cookie(&session.token, true);
    Ok(Reply::json(json!({ "token": session.token, "user": user })))
}

async fn known_user(ctx: &Ctx<'_>, email: &str) -> Result<User, ApiError> {
    users::find_by_email(ctx.drivers.sql.as_ref(), email)
        .await?
        .ok_or_else(|| ApiError::new(400, Code::UserNotFound))
}

pub async fn check_verification_otp(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    let email = ctx.input.email("email")?;
    let kind = ctx.input.exact_text("type").unwrap_or_default();
    let purpose =
        Purpose::parse(&kind).ok_or_else(|| ApiError::message_only(400, "Invalid OTP type"))?;
    codes::check(ctx, purpose, &email, &otp(ctx), false).await?;
    known_user(ctx, &email).await?;
    Ok(Reply::json(json!({ "success": true })))
}

pub async fn verify_email(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    let email = ctx.input.email("email")?;
    codes::check(ctx, Purpose::EmailVerification, &email, &otp(ctx), true).await?;
    let mut user = known_user(ctx, &email).await?;
    let now_iso = to_iso(ctx.now);
    let mut batch = vec![users::mark_verified(&user.id, &now_iso)];
    batch.extend(sync::record(ctx, &user.id, SyncChange::Upsert)?);
    ctx.drivers.sql.batch(batch).await?;
    user.email_verified = true;
    user.updated_at = now_iso;
    ctx.sessions().refresh_cached_user(&user, ctx.now).await?;
    if !ctx.config.email.auto_sign_in_after_verification {
        return Ok(Reply::json(
            json!({ "status": true, "token": null, "user": user }),
        ));
    }
    let session = ctx
        .sessions()
        .create(&user, true, ctx.client_ip(), ctx.user_agent(), ctx.now)
        .await?;
    ctx.set_session_cookie(&session.token, true);
    Ok(Reply::json(
        json!({ "status": true, "token": session.token, "user": user }),
    ))
}

pub async fn reset_password(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    let email = ctx.input.email("email")?;
    let new_password = ctx.input.exact_text("password").unwrap_or_default();
    check_new_password(ctx.config, &new_password)?;
    codes::check(ctx, Purpose::ForgetPassword, &email, &otp(ctx), true).await?;
    let user = known_user(ctx, &email).await?;
    let hash = password::hash(ctx.drivers.kdf.as_ref(), &new_password)?;
    let sql = ctx.drivers.sql.as_ref();
    let now_iso = to_iso(ctx.now);
    let credential = match accounts::credential_for_user(sql, &user.id).await? {
        Some(account) => accounts::set_password(&account.id, &hash, &now_iso),
        None => accounts::insert_credential(&random::alphanumeric(32)?, &user.id, &hash, &now_iso),
    };
    let mut batch = vec![credential, users::mark_verified(&user.id, &now_iso)];
    batch.extend(sync::record(ctx, &user.id, SyncChange::Upsert)?);
    ctx.drivers.sql.batch(batch).await?;
    if ctx.config.email.revoke_sessions_on_reset {
        ctx.sessions().revoke_all(&user.id, None).await?;
    }
    Ok(Reply::json(json!({ "success": true })))
}
