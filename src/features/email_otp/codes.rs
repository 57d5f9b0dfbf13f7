//! One-time codes by email (better-auth's emailOTP): six digits, five minutes, a few wrong tries.
//! D1 keeps an HMAC of the code under the secret with the count of wrong tries
//! ([`tries`]), and the address only as a digest; a code is spent by deleting its row, so racing
//! uses cannot spend one code twice.

use crate::crypto::{constant_time_eq, random, sha256_hex};
use crate::error::{ApiError, Code};
use crate::features::verification::one_time::{self, Carrying};
use crate::features::verification::store as verifications;
use crate::features::verification::tries::{self, Taken};
use crate::kernel::context::Ctx;
use crate::mail::{queue, Kind};
use crate::storage::Statement;
use crate::time::{to_iso, SECOND};

const CODE_LEN: usize = 6;

/// What a code is for, as better-auth names it (`type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    SignIn,
    EmailVerification,
    ForgetPassword,
}

impl Purpose {
    pub fn parse(text: &str) -> Option<Purpose> {
        match text {
            "sign-in" => Some(Purpose::SignIn),
            "email-verification" => Some(Purpose::EmailVerification),
            "forget-password" => Some(Purpose::ForgetPassword),
            _ => None,
        }
    }

    fn kind(self) -> Kind {
        match self {
            Purpose::SignIn => Kind::SignInCode,
            Purpose::EmailVerification => Kind::VerificationCode,
            Purpose::ForgetPassword => Kind::ResetPasswordCode,
        }
    }
}

fn identifier(purpose: Purpose, email: &str) -> String {
    format!(
        "{}:{}",
        purpose.kind().as_str(),
        sha256_hex(email.to_lowercase().as_bytes())
    )
}

fn digest(ctx: &Ctx<'_>, code: &str) -> String {
    tries::code_digest(ctx.config.secret.expose(), "email-otp", code)
}

/// Statements storing a new code for the address (replacing any earlier one) and queueing its
/// message; `user_id` is the address's user, `None` for a sign-in that may sign one up.
pub fn issue(
    ctx: &mut Ctx<'_>,
    purpose: Purpose,
    email: &str,
    user_id: Option<&str>,
) -> Result<Vec<Statement>, ApiError> {
    let config = ctx.config;
    let code = random::digits(CODE_LEN)?;
    let expires_in = config.email_otp.expires_in;
    let expires_at = ctx.now + expires_in * SECOND;
    let id = identifier(purpose, email);
    let message = one_time::message(
        config,
        purpose.kind(),
        email,
        "",
        Carrying::Code(&code),
        expires_in,
    )?;
    let guard = one_time::guard(config, email, ctx.now);
    let statements = vec![
        one_time::count_message(&guard),
        Statement::new(
            r#"delete from "verification" where "identifier" = ?1"#,
            vec![id.as_str().into()],
        ),
        verifications::insert_unbound(
            &random::alphanumeric(32)?,
            &id,
            &tries::fresh(&digest(ctx, &code)),
            &to_iso(expires_at),
            &to_iso(ctx.now),
        ),
        queue::enqueue(
            config.secret.expose(),
            &message,
            user_id,
            expires_at,
            ctx.now,
            &guard,
        )
        .map_err(ApiError::internal_because)?,
    ];
    ctx.queued_mail.push(message.id);
    Ok(statements)
}

/// Checks a code: 400 `INVALID_OTP` (wrong, unknown or spent), 400 `OTP_EXPIRED`, 403
/// `TOO_MANY_ATTEMPTS` (the code is gone). Each try first takes one of the code's tries, then
/// compares. A right code is spent when `spend`; otherwise its try is given back.
pub async fn check(
    ctx: &Ctx<'_>,
    purpose: Purpose,
    email: &str,
    code: &str,
    spend: bool,
) -> Result<(), ApiError> {
    let sql = ctx.drivers.sql.as_ref();
    let id = identifier(purpose, email);
    let invalid = || ApiError::new(400, Code::InvalidOtp);
    let allowed = ctx.config.email_otp.allowed_attempts;
    let stored = match tries::take(sql, &id, allowed, ctx.now).await? {
        Taken::Missing => return Err(invalid()),
        Taken::Expired => return Err(ApiError::new(400, Code::OtpExpired)),
        Taken::Exhausted => return Err(ApiError::new(403, Code::TooManyAttempts)),
        Taken::Payload(stored) => stored,
    };
    if !constant_time_eq(digest(ctx, code).as_bytes(), stored.as_bytes()) {
        return Err(invalid());
    }
    if !spend {
        sql.execute(tries::give_back(&id)).await?;
        return Ok(());
    }
    if sql.execute(tries::remove(&id)).await? != 1 {
        return Err(invalid());
    }
    Ok(())
}
