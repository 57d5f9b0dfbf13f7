//! `POST /sign-up/email`: a user, its credential account and its first session in one batch.

use crate::crypto::{password, random};
use crate::error::{ApiError, Code};
use crate::features::email_password::credentials::check_new_password;
use crate::features::sync::SyncChange;
use crate::features::verification::email::verification_mail;
use crate::kernel::context::Ctx;
use crate::kernel::response::Reply;
use crate::storage::users::{self, User};
use crate::storage::{accounts, StorageError};
use crate::time::to_iso;
use serde_json::json;

pub async fn sign_up_email(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    let options = &ctx.config.email;
    let verification_mail = options.send_on_sign_up && options.mailer.is_some();
    sign_up(ctx, verification_mail).await
}

/// The sign-up of the checked input. `send_verification` queues better-auth's verification link;
/// a caller that confirms addresses its own way passes `false`.
pub async fn sign_up(ctx: &mut Ctx<'_>, send_verification: bool) -> Result<Reply, ApiError> {
    let input = &ctx.input;
    let (Some(name), Some(email), Some(password)) = (
        input.exact_text("name"),
        input.text("email"),
        input.text("password"),
    ) else {
        return Err(ApiError::internal());
    };
    let image = input.nullable_text("image");
    let remember = input.flag("rememberMe").unwrap_or(true);
    let callback = input.text("callbackURL");
    check_new_password(ctx.config, &password)?;

    let email = email.to_lowercase();
    let options = &ctx.config.email;
    // When sign-up opens no session, a taken address must not be told apart from a free one.
    let opens_session = options.auto_sign_in && !options.require_verification;
    let now_iso = to_iso(ctx.now);
    let user = User {
        id: random::alphanumeric(32)?,
        name,
        email,
        email_verified: false,
        image: image.flatten(),
        created_at: now_iso.clone(),
        updated_at: now_iso.clone(),
        role: Some(ctx.config.admin.default_role.clone()),
        ..User::default()
    };
    let duplicate = || {
        if opens_session {
            Err(ApiError::new(422, Code::UserAlreadyExistsUseAnotherEmail))
        } else {
            Ok(Reply::json(json!({"token": null, "user": user})))
        }
    };
    let sql = ctx.drivers.sql.as_ref();
    let hash = password::hash(ctx.drivers.kdf.as_ref(), &password)?;
    if users::find_by_email(sql, &user.email).await?.is_some() {
        if !opens_session {
            ctx.pad_answer().await;
        }
        return duplicate();
    }

    let sessions = ctx.sessions();
    let session = if opens_session {
        Some(sessions.new_session(
            &user.id,
            remember,
            ctx.client_ip(),
            ctx.user_agent(),
            ctx.now,
        )?)
    } else {
        None
    };
    let mut batch = vec![
        users::insert(&user),
        accounts::insert_credential(&random::alphanumeric(32)?, &user.id, &hash, &now_iso),
    ];
    batch.extend(session.as_ref().map(|s| s.insert()));
    batch.extend(crate::features::sync::record(
        ctx,
        &user.id,
        SyncChange::Upsert,
    )?);
    if send_verification {
        batch.extend(verification_mail(ctx, &user, callback.as_deref(), true)?);
    }
    match sql.batch(batch).await {
        Ok(_) => {}
        // Two sign-ups raced for one address: the loser sees what a later duplicate would.
        Err(StorageError::Conflict(_)) => {
            ctx.synced_users.clear();
            ctx.queued_mail.clear();
            if !opens_session {
                ctx.pad_answer().await;
            }
            return duplicate();
        }
        Err(e) => return Err(e.into()),
    }
    let Some(session) = session else {
        ctx.pad_answer().await;
        return Ok(Reply::json(json!({"token": null, "user": user})));
    };
    sessions.cache(&session.record, &user, ctx.now).await;
    ctx.set_session_cookie(&session.token, remember);
    Ok(Reply::json(json!({"token": session.token, "user": user})))
}
