//! Codes by email: `POST /otp` (a sign-in code), `POST /recover` (a recovery code), each with its
//! link ([`super::links`]); `POST /verify` (a code, or a link's token as `token_hash`, for a
//! session), `POST /resend` and `GET /reauthenticate` (the nonce a password change may need).
//! Sign-in and recovery codes are better-auth's email OTP codes, with its lifetimes, tries and
//! per-address mail limit.

use super::{delegate, links, new_session, nothing, opened, redirect_to};
use crate::error::ApiError;
use crate::features::email_otp;
use crate::features::email_otp::codes::{self as otp, Purpose};
use crate::features::supabase::answers::{error, validation};
use crate::features::supabase::tokens;
use crate::features::verification::codes::{self, Checked, Mailing};
use crate::features::verification::proven;
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

/// `POST /otp`: a sign-in code and link to the address (signing a new address up when used,
/// unless `create_user` is false). The answer is the same whether the address has a user or not.
pub async fn otp(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    let email = email(ctx)?;
    let create_user = ctx.input.flag("create_user").unwrap_or(true);
    send(ctx, Purpose::SignIn, &email, create_user).await
}

/// `POST /recover`: a recovery code and link to the address, if it has a user.
pub async fn recover(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    let email = email(ctx)?;
    send(ctx, Purpose::ForgetPassword, &email, false).await
}

async fn send(
    ctx: &mut Ctx<'_>,
    purpose: Purpose,
    email: &str,
    create_user: bool,
) -> Result<Reply, ApiError> {
    let user = users::find_by_email(ctx.drivers.sql.as_ref(), email).await?;
    let may_sign_up =
        purpose == Purpose::SignIn && create_user && !ctx.config.email_otp.disable_sign_up;
    if user.is_some() || may_sign_up {
        let user_id = user.as_ref().map(|u| u.id.as_str());
        let statements = links::issue(ctx, purpose, email, user_id, create_user)?;
        ctx.drivers.sql.batch(statements).await?;
    } else {
        // The same checks as a sending: bad input is refused alike, whoever the address is.
        links::challenge(ctx)?;
        redirect_to(ctx)?;
    }
    ctx.pad_answer().await;
    Ok(nothing())
}

/// `POST /resend`: the address-confirmation message again (`signup`); an email change has its
/// links resent by asking for the change again.
pub async fn resend(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    let email = email(ctx)?;
    match ctx.input.text("type").as_deref() {
        Some("signup") => {
            let user = users::find_by_email(ctx.drivers.sql.as_ref(), &email).await?;
            match user.filter(|u| !u.email_verified) {
                Some(user) => {
                    let statements = links::issue(
                        ctx,
                        Purpose::EmailVerification,
                        &email,
                        Some(&user.id),
                        false,
                    )?;
                    ctx.drivers.sql.batch(statements).await?;
                }
                None => {
                    links::challenge(ctx)?;
                    redirect_to(ctx)?;
                }
            }
            ctx.pad_answer().await;
            Ok(nothing())
        }
        Some("email_change") => Ok(nothing()),
        _ => Err(validation(
            "Missing one of these types: signup, email_change, sms, phone_change",
        )),
    }
}

/// `POST /verify` with `{email, token, type}` (`email` and `magiclink` sign in, or up, with a
/// sign-in code; `signup` confirms the address with its confirmation code; `recovery` signs in
/// with a recovery code, after which the password can be set), or with `{token_hash, type}`, the
/// token of the code's link.
pub async fn verify(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    let kind = ctx
        .input
        .text("type")
        .ok_or_else(|| validation("Verify requires a verification type"))?;
    if let Some(token) = ctx.input.text("token_hash") {
        let r = links::redeem(ctx, &token, &kind).await?;
        return Ok(Reply::json(
            tokens::open(ctx, &r.record, r.user, r.method).await?,
        ));
    }
    let email = email(ctx)?;
    let code = ctx
        .input
        .text("token")
        .ok_or_else(|| validation("Verify requires a token or a token hash"))?;
    let (record, user, method) = match kind.as_str() {
        "email" | "magiclink" => {
            let body = json!({"email": email, "otp": code});
            let answer = delegate(ctx, &email_otp::FEATURE, "/sign-in/email-otp", body).await?;
            let (record, user) = opened(ctx, &answer).await?;
            (record, user, "otp")
        }
        "signup" => {
            otp::check(ctx, Purpose::EmailVerification, &email, &code, true).await?;
            let user = links::confirm(ctx, &email).await?;
            (new_session(ctx, &user).await?, user, "otp")
        }
        "recovery" => {
            otp::check(ctx, Purpose::ForgetPassword, &email, &code, true).await?;
            let found = proven::user_for(ctx, &email, None, false).await?;
            let (user, _) = found.ok_or_else(expired)?;
            (new_session(ctx, &user).await?, user, "recovery")
        }
        _ => return Err(validation("Unsupported verification type")),
    };
    Ok(Reply::json(tokens::open(ctx, &record, user, method).await?))
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
            link: None,
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
