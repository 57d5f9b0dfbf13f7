//! Email verification and email change: `send-verification-email`, `verify-email` (which also
//! completes both steps of an email change) and `change-email`.

use crate::error::{ApiError, Code};
use crate::features::sync::SyncChange;
use crate::features::verification::links;
use crate::features::verification::one_time::{self, Claims, Found, Mailing};
use crate::features::verification::store as verifications;
use crate::kernel::context::Ctx;
use crate::kernel::response::Reply;
use crate::mail::Kind;
use crate::session::{ActiveSession, Source};
use crate::storage::users::{self, User};
use crate::storage::StorageError;
use crate::time::to_iso;
use serde_json::json;

fn require_mailer(ctx: &Ctx<'_>) -> Result<(), ApiError> {
    match ctx.config.email.mailer {
        Some(_) => Ok(()),
        None => Err(ApiError::new(400, Code::VerificationEmailNotEnabled)),
    }
}

/// The statements that queue a verification message for `user` (sign-up, sign-in, and here).
pub fn verification_mail(
    ctx: &mut Ctx<'_>,
    user: &User,
    callback: Option<&str>,
    deliver: bool,
) -> Result<Vec<crate::storage::Statement>, ApiError> {
    crate::features::verification::one_time::mail_token(
        ctx,
        &Mailing {
            kind: Kind::VerifyEmail,
            claims: Claims {
                user_id: user.id.clone(),
                email: user.email.clone(),
                new_email: None,
            },
            to: &user.email,
            name: &user.name,
            callback,
        },
        deliver,
    )
}

/// Without a session the answer is the same, after the same work, whether or not the address
/// belongs to an unverified user; only then is a message sent.
pub async fn send_verification_email(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    require_mailer(ctx)?;
    let email = ctx
        .input
        .text("email")
        .ok_or_else(ApiError::internal)?
        .to_lowercase();
    let callback = ctx.input.text("callbackURL");

    let statements = match ctx.session(Source::Cache).await? {
        Some(session) => {
            if session.user.email.to_lowercase() != email {
                return Err(ApiError::new(400, Code::EmailMismatch));
            }
            if session.user.email_verified {
                return Err(ApiError::new(400, Code::EmailAlreadyVerified));
            }
            verification_mail(ctx, &session.user, callback.as_deref(), true)?
        }
        None => {
            let found = users::find_by_email(ctx.drivers.sql.as_ref(), &email).await?;
            // A verified address gets nothing: its statements, like an unknown one's, store nothing.
            let user = found
                .filter(|u| !u.email_verified)
                .unwrap_or_else(|| stand_in(&email));
            let deliver = !user.id.is_empty();
            let statements = verification_mail(ctx, &user, callback.as_deref(), deliver)?;
            ctx.drivers.sql.batch(statements).await?;
            ctx.pad_answer().await;
            return Ok(Reply::json(json!({"status": true})));
        }
    };
    ctx.drivers.sql.batch(statements).await?;
    Ok(Reply::json(json!({"status": true})))
}

/// A user that does not exist, so that an unknown address costs what a known one does: its
/// statements insert nothing.
fn stand_in(email: &str) -> User {
    User {
        email: email.to_string(),
        ..User::default()
    }
}

/// How `verify-email` answers a failure: a redirect to the callback with `?error=`, or a 401.
fn failure(callback: Option<&str>, code: Code) -> Result<Reply, ApiError> {
    match callback {
        Some(url) => Ok(Reply::redirect(links::with_param(
            url,
            "error",
            code.as_str(),
        ))),
        None => Err(ApiError::new(401, code)),
    }
}

fn success(callback: Option<&str>, body: serde_json::Value) -> Reply {
    match callback {
        Some(url) => Reply::redirect(url),
        None => Reply::json(body),
    }
}

pub async fn verify_email(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    let callback = ctx
        .query("callbackURL")
        .filter(|c| !c.is_empty())
        .map(str::to_string);
    let callback = callback.as_deref();
    let token = ctx.query("token").unwrap_or_default().to_string();
    let kinds = [
        Kind::VerifyEmail,
        Kind::ChangeEmailConfirmation,
        Kind::ChangeEmailVerification,
    ];
    let sql = ctx.drivers.sql.as_ref();
    let Some(found) = one_time::find(sql, &kinds, &token, ctx.now).await? else {
        return failure(callback, Code::InvalidToken);
    };
    if found.expired {
        return failure(callback, Code::TokenExpired);
    }
    let Some(user) = users::find_by_id(sql, &found.claims.user_id).await? else {
        return failure(callback, Code::UserNotFound);
    };
    // The address changed since the token was issued: it proves nothing any more.
    if user.email != found.claims.email {
        return failure(callback, Code::InvalidToken);
    }
    let session = ctx.session(Source::Cache).await?;
    if found.kind != Kind::VerifyEmail && session.as_ref().is_some_and(|s| s.user.id != user.id) {
        return failure(callback, Code::InvalidUser);
    }
    let link = Followed {
        found,
        user,
        session,
        callback,
    };
    match link.found.kind {
        Kind::ChangeEmailConfirmation => confirm_email_change(ctx, link).await,
        Kind::ChangeEmailVerification => complete_email_change(ctx, link).await,
        _ => mark_verified(ctx, link).await,
    }
}

/// A followed link whose token is live and still matches its user.
struct Followed<'a> {
    found: Found,
    user: User,
    /// The session the browser that followed it holds, if any (always the user's own for the
    /// email-change steps).
    session: Option<ActiveSession>,
    callback: Option<&'a str>,
}

/// Runs `statements` followed by spending the token; false when another request spent it first
/// (the statements, conditioned on the token, then changed nothing).
async fn spend_with(
    ctx: &Ctx<'_>,
    found: &Found,
    mut statements: Vec<crate::storage::Statement>,
) -> Result<bool, StorageError> {
    statements.push(verifications::consume(&found.identifier, &to_iso(ctx.now)));
    let changes = ctx.drivers.sql.batch(statements).await?;
    Ok(changes.last() == Some(&1))
}

async fn mark_verified(ctx: &mut Ctx<'_>, link: Followed<'_>) -> Result<Reply, ApiError> {
    let Followed {
        found,
        mut user,
        session,
        callback,
    } = link;
    let now_iso = to_iso(ctx.now);
    let mut statements = vec![verifications::mark_verified(
        &user.id,
        &user.email,
        &found.identifier,
        &now_iso,
    )];
    if !user.email_verified {
        statements.extend(crate::features::sync::record(
            ctx,
            &user.id,
            SyncChange::Upsert,
        )?);
    }
    if !spend_with(ctx, &found, statements).await? {
        return failure(callback, Code::InvalidToken);
    }
    if !user.email_verified {
        user.email_verified = true;
        user.updated_at = now_iso;
        ctx.sessions().refresh_cached_user(&user, ctx.now).await?;
    }
    if ctx.config.email.auto_sign_in_after_verification {
        match session {
            Some(s) if s.user.id == user.id => {
                let remember = !ctx.has_dont_remember();
                ctx.set_session_cookie(&s.token, remember);
            }
            _ => {
                let created = ctx
                    .sessions()
                    .create(&user, true, ctx.client_ip(), ctx.user_agent(), ctx.now)
                    .await?;
                ctx.set_session_cookie(&created.token, true);
            }
        }
    }
    Ok(success(callback, json!({"status": true, "user": null})))
}

/// Step one of a verified user's email change: the current address agreed, so the new address
/// now gets its verification link.
async fn confirm_email_change(ctx: &mut Ctx<'_>, link: Followed<'_>) -> Result<Reply, ApiError> {
    let Followed {
        found,
        user,
        callback,
        ..
    } = link;
    let Some(new_email) = found.claims.new_email.clone() else {
        return failure(callback, Code::InvalidToken);
    };
    // A taken address gets no link, and the answer does not say so.
    let taken = users::find_by_email(ctx.drivers.sql.as_ref(), &new_email)
        .await?
        .is_some();
    let claims = Claims {
        user_id: if taken {
            String::new()
        } else {
            user.id.clone()
        },
        ..found.claims.clone()
    };
    let statements = crate::features::verification::one_time::mail_token(
        ctx,
        &Mailing {
            kind: Kind::ChangeEmailVerification,
            claims,
            to: &new_email,
            name: &user.name,
            callback,
        },
        !taken,
    )?;
    if !spend_with(ctx, &found, statements).await? {
        ctx.queued_mail.clear();
        return failure(callback, Code::InvalidToken);
    }
    Ok(success(callback, json!({"status": true})))
}

/// The new address proved itself: the user moves to it, verified.
async fn complete_email_change(ctx: &mut Ctx<'_>, link: Followed<'_>) -> Result<Reply, ApiError> {
    let Followed {
        found,
        mut user,
        session,
        callback,
    } = link;
    let Some(new_email) = found.claims.new_email.clone() else {
        return failure(callback, Code::InvalidToken);
    };
    let now_iso = to_iso(ctx.now);
    let mut statements = vec![verifications::change_email(
        &user.id,
        &user.email,
        &new_email,
        &found.identifier,
        &now_iso,
    )];
    // Reset links sent to the old address stop working.
    statements.push(one_time::revoke_all(Kind::ResetPassword, &user.id));
    statements.extend(crate::features::sync::record(
        ctx,
        &user.id,
        SyncChange::Upsert,
    )?);
    match spend_with(ctx, &found, statements).await {
        Ok(true) => {}
        Ok(false) => return failure(callback, Code::InvalidToken),
        // Someone took the address meanwhile.
        Err(StorageError::Conflict(_)) => {
            ctx.synced_users.clear();
            return failure(callback, Code::UserAlreadyExistsUseAnotherEmail);
        }
        Err(e) => return Err(e.into()),
    }
    user.email = new_email;
    user.email_verified = true;
    user.updated_at = now_iso;
    ctx.sessions().refresh_cached_user(&user, ctx.now).await?;
    if let Some(s) = session {
        let remember = !ctx.has_dont_remember();
        ctx.set_session_cookie(&s.token, remember);
    }
    Ok(success(callback, json!({"status": true, "user": user})))
}

/// A verified user confirms from the current address first, always, so its mailbox cannot tell
/// taken addresses from free ones; whether the new address is taken is decided when that
/// confirmation is followed. An unverified user's new address gets the verification link directly,
/// unless it is taken. Either way the answer is the same.
pub async fn change_email(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    if !ctx.config.email.change_email_enabled {
        return Err(ApiError::new(400, Code::ChangeEmailDisabled));
    }
    let new_email = ctx.input.text("newEmail");
    let callback = ctx.input.text("callbackURL");
    let new_email = new_email.ok_or_else(ApiError::internal)?.to_lowercase();

    let session = ctx.signed_in()?;
    let user = session.user;
    if new_email == user.email {
        return Err(ApiError::message_only(400, "Email is the same"));
    }
    if ctx.config.email.mailer.is_none() {
        return Err(ApiError::message_only(
            400,
            "Verification email isn't enabled",
        ));
    }
    let (kind, to, taken) = if user.email_verified {
        (Kind::ChangeEmailConfirmation, user.email.as_str(), false)
    } else {
        let taken = users::find_by_email(ctx.drivers.sql.as_ref(), &new_email)
            .await?
            .is_some();
        (Kind::ChangeEmailVerification, new_email.as_str(), taken)
    };
    let statements = crate::features::verification::one_time::mail_token(
        ctx,
        &Mailing {
            kind,
            claims: Claims {
                user_id: if taken {
                    String::new()
                } else {
                    user.id.clone()
                },
                email: user.email.clone(),
                new_email: Some(new_email.clone()),
            },
            to,
            name: &user.name,
            callback: callback.as_deref(),
        },
        !taken,
    )?;
    ctx.drivers.sql.batch(statements).await?;
    ctx.pad_answer().await;
    Ok(Reply::json(json!({"status": true})))
}
