//! Codes by email: `POST /otp` (a sign-in code), `POST /recover` (a recovery code), `POST /verify`
//! (either, for a session), `POST /resend` and `GET /reauthenticate` (the nonce a password change
//! may need). Sign-in and recovery codes are better-auth's email OTP codes, with its lifetimes,
//! tries and per-address mail limit.

use super::{delegate, nothing, redirect_to};
use crate::error::ApiError;
use crate::features::email_otp::codes::{self as otp, Purpose};
use crate::features::supabase::answers::{error, validation};
use crate::features::supabase::tokens;
use crate::features::verification::codes::{self, Checked, Mailing};
use crate::features::verification::proven;
use crate::features::{email_otp, verification};
use crate::kernel::context::Ctx;
use crate::kernel::formats::is_valid_email;
use crate::kernel::response::Reply;
use crate::mail::Kind;
use crate::storage::users::{self, User};
use serde_json::json;

const NONCE_LABEL: &str = "supabase-reauthentication";

fn email(ctx: &Ctx<'_>) -> Result<String, ApiError> {
    let email = ctx.input.text("email").unwrap_or_default().to_lowercase();
    if !is_valid_email(&email) {
        return Err(validation(
            "Unable to validate email address: invalid format",
        ));
    }
    Ok(email)
}

fn expired() -> ApiError {
    error(403, "otp_expired", "Token has expired or is invalid")
}

/// `POST /otp`: a sign-in code to the address (signing a new address up when it is used, unless
/// `create_user` is false). The answer is the same whether the address has a user or not.
pub async fn otp(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    let email = email(ctx)?;
    let create_user = ctx.input.flag("create_user").unwrap_or(true);
    if !create_user {
        let known = users::find_by_email(ctx.drivers.sql.as_ref(), &email).await?;
        if known.is_none() {
            ctx.pad_answer().await;
            return Ok(nothing());
        }
    }
    mail_code(ctx, &email, "sign-in").await
}

/// Mails better-auth's email code of `kind` (`sign-in`, `forget-password`) to the address.
async fn mail_code(ctx: &mut Ctx<'_>, email: &str, kind: &str) -> Result<Reply, ApiError> {
    let body = json!({"email": email, "type": kind});
    delegate(
        ctx,
        &email_otp::FEATURE,
        "/email-otp/send-verification-otp",
        body,
    )
    .await?;
    Ok(nothing())
}

/// `POST /recover`: a recovery code to the address, if it has a user.
pub async fn recover(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    let email = email(ctx)?;
    mail_code(ctx, &email, "forget-password").await
}

/// `POST /resend`: the address-confirmation message again (`signup`); an email change has its
/// links resent by asking for the change again.
pub async fn resend(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    let email = email(ctx)?;
    match ctx.input.text("type").as_deref() {
        Some("signup") => {
            let mut body = json!({"email": email});
            if let Some(url) = redirect_to(ctx)? {
                body["callbackURL"] = json!(url);
            }
            delegate(
                ctx,
                &verification::FEATURE,
                "/send-verification-email",
                body,
            )
            .await?;
            Ok(nothing())
        }
        Some("email_change") => Ok(nothing()),
        _ => Err(validation(
            "Missing one of these types: signup, email_change, sms, phone_change",
        )),
    }
}

/// `POST /verify` with `{email, token, type}`: `email` and `magiclink` sign in (or up) with a
/// sign-in code, `recovery` with a recovery code (the password can then be set).
pub async fn verify(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    if ctx.input.text("token_hash").is_some() {
        return Err(expired());
    }
    let email = email(ctx)?;
    let code = ctx
        .input
        .text("token")
        .ok_or_else(|| validation("Verify requires a token or a token hash"))?;
    let (user, method) = match ctx.input.text("type").as_deref() {
        Some("email" | "magiclink" | "signup") => {
            let body = json!({"email": email, "otp": code});
            let (_, answer) =
                delegate(ctx, &email_otp::FEATURE, "/sign-in/email-otp", body).await?;
            let user: User = serde_json::from_value(answer["user"].clone())
                .map_err(ApiError::internal_because)?;
            (user, "otp")
        }
        Some("recovery") => {
            otp::check(ctx, Purpose::ForgetPassword, &email, &code, true).await?;
            let found = proven::user_for(ctx, &email, None, false).await?;
            let (user, _) = found.ok_or_else(expired)?;
            (user, "recovery")
        }
        Some(_) => return Err(validation("Unsupported verification type")),
        None => return Err(validation("Verify requires a verification type")),
    };
    let session = ctx
        .sessions()
        .create(&user, true, ctx.client_ip(), ctx.user_agent(), ctx.now)
        .await?;
    ctx.take_cookies();
    Ok(Reply::json(
        tokens::open(ctx, &session.record, user, method).await?,
    ))
}

fn nonce_identifier(user_id: &str) -> String {
    format!("{}:{user_id}", Kind::ReauthenticationCode.as_str())
}

/// `GET /reauthenticate`: a nonce by email to the signed-in user, for `PUT /user`'s password.
pub async fn reauthenticate(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    let bearer = tokens::bearer(ctx).await?;
    let user = bearer.user;
    if !user.email_verified && ctx.config.email.require_verification {
        return Err(error(422, "email_not_confirmed", "Email not confirmed"));
    }
    let expires_in = ctx
        .config
        .supabase
        .as_ref()
        .map_or(3_600, |sb| sb.otp_expires_in);
    let identifier = nonce_identifier(&user.id);
    let statements = codes::issue(
        ctx,
        Mailing {
            kind: Kind::ReauthenticationCode,
            label: NONCE_LABEL,
            identifier: &identifier,
            to: &user.email,
            name: &user.name,
            user_id: Some(&user.id),
            expires_in,
        },
    )?;
    ctx.drivers.sql.batch(statements).await?;
    Ok(nothing())
}

/// Spends the user's nonce: 422 `reauthentication_not_valid` when it is wrong, spent or old.
pub async fn spend_nonce(ctx: &Ctx<'_>, user: &User, nonce: &str) -> Result<(), ApiError> {
    let allowed = ctx.config.email_otp.allowed_attempts;
    match codes::check(
        ctx,
        NONCE_LABEL,
        &nonce_identifier(&user.id),
        nonce,
        allowed,
        true,
    )
    .await?
    {
        Checked::Right => Ok(()),
        _ => Err(error(
            422,
            "reauthentication_not_valid",
            "Nonce has expired or is invalid",
        )),
    }
}
