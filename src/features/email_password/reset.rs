//! Password reset: `request-password-reset`, the link's landing `GET /reset-password/:token`, and
//! `POST /reset-password`, which spends the token atomically.

use crate::crypto::{password, random};
use crate::error::{ApiError, Code};
use crate::features::email_password::credentials::check_new_password;
use crate::features::verification::links;
use crate::features::verification::one_time::{self, Claims, Mailing};
use crate::features::verification::store as verifications;
use crate::kernel::context::Ctx;
use crate::kernel::response::Reply;
use crate::mail::Kind;
use crate::storage::users;
use crate::time::to_iso;
use percent_encoding::percent_decode_str;
use serde_json::json;

/// The same answer, after the same work, whether or not the address has an account.
pub async fn request_password_reset(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    if ctx.config.email.mailer.is_none() {
        return Err(ApiError::new(400, Code::ResetPasswordDisabled));
    }
    let email = ctx
        .input
        .text("email")
        .ok_or_else(ApiError::internal)?
        .to_lowercase();
    let redirect_to = ctx.input.text("redirectTo");

    let user = users::find_by_email(ctx.drivers.sql.as_ref(), &email).await?;
    let statements = crate::features::verification::one_time::mail_token(
        ctx,
        &Mailing {
            kind: Kind::ResetPassword,
            claims: Claims {
                user_id: user.as_ref().map(|u| u.id.clone()).unwrap_or_default(),
                email: email.clone(),
                new_email: None,
            },
            to: &email,
            name: user.as_ref().map_or("", |u| u.name.as_str()),
            callback: redirect_to.as_deref(),
        },
        user.is_some(),
    )?;
    ctx.drivers.sql.batch(statements).await?;
    ctx.pad_answer().await;
    Ok(Reply::json(json!({
        "status": true,
        "message": "If this email exists in our system, check your email for the reset link"
    })))
}

/// The link in the message: to the application's page with `?token=`, or with
/// `?error=INVALID_TOKEN` when the token is unknown, used or expired.
pub async fn reset_password_callback(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    let callback = ctx.query("callbackURL").unwrap_or_default().to_string();
    let token = percent_decode_str(ctx.param(0))
        .decode_utf8_lossy()
        .into_owned();
    if callback.is_empty() || token.is_empty() {
        let page = format!("{}/error", ctx.config.base_url());
        return Ok(Reply::redirect(links::with_param(
            &page,
            "error",
            "INVALID_TOKEN",
        )));
    }
    let target = links::absolute(&ctx.config.base_origin, &callback);
    let found = one_time::find(
        ctx.drivers.sql.as_ref(),
        &[Kind::ResetPassword],
        &token,
        ctx.now,
    )
    .await?;
    Ok(Reply::redirect(match found {
        Some(f) if !f.expired => links::with_param(&target, "token", &token),
        _ => links::with_param(&target, "error", "INVALID_TOKEN"),
    }))
}

/// Sets the new password and, by default, ends every session of the user, in one batch that
/// also spends the token: of two concurrent submissions exactly one succeeds.
pub async fn reset_password(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    let new_password = ctx
        .input
        .exact_text("newPassword")
        .ok_or_else(ApiError::internal)?;
    let body_token = ctx.input.text("token");
    let token = body_token
        .or_else(|| {
            ctx.query("token")
                .filter(|t| !t.is_empty())
                .map(str::to_string)
        })
        .ok_or_else(|| ApiError::new(400, Code::InvalidToken))?;
    check_new_password(ctx.config, &new_password)?;

    let sql = ctx.drivers.sql.as_ref();
    let found = one_time::find(sql, &[Kind::ResetPassword], &token, ctx.now).await?;
    let Some(found) = found.filter(|f| !f.expired) else {
        return Err(ApiError::new(400, Code::InvalidToken));
    };
    let Some(user) = users::find_by_id(sql, &found.claims.user_id).await? else {
        return Err(ApiError::new(400, Code::UserNotFound));
    };
    // The link was sent to another address than the account has now.
    if user.email != found.claims.email {
        return Err(ApiError::new(400, Code::InvalidToken));
    }
    let hash = password::hash(ctx.drivers.kdf.as_ref(), &new_password)?;
    let now_iso = to_iso(ctx.now);
    let revoke = ctx.config.email.revoke_sessions_on_reset;
    let mut batch = verifications::reset_password(
        &user.id,
        &random::alphanumeric(32)?,
        &hash,
        &found.identifier,
        &now_iso,
    );
    let revoking = revoke.then_some(batch.len());
    if revoke {
        batch.push(verifications::revoke_sessions(
            &user.id,
            &found.identifier,
            &now_iso,
        ));
    }
    let spend_at = batch.len();
    batch.push(verifications::consume(&found.identifier, &now_iso));
    // Every other reset link of this user dies with this one.
    batch.push(one_time::revoke_all(Kind::ResetPassword, &user.id));
    let changes = ctx
        .sessions()
        .run_revoking(&user.id, batch, revoking)
        .await?;
    if changes.get(spend_at) != Some(&1) {
        return Err(ApiError::new(400, Code::InvalidToken));
    }
    Ok(Reply::json(json!({"status": true})))
}
