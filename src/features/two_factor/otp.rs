//! Codes by email as a second factor (better-auth's two-factor OTP): six digits sent through the
//! mail queue, kept as an HMAC with the count of wrong tries, and bound to the challenge or the
//! session they were sent for.

use super::challenge::Prover;
use crate::crypto::{constant_time_eq, random, sha256_hex};
use crate::error::{ApiError, Code};
use crate::features::verification::one_time::{self, Carrying};
use crate::features::verification::store as verifications;
use crate::features::verification::tries::{self, Taken};
use crate::kernel::context::Ctx;
use crate::mail::{queue, Kind};
use crate::time::{to_iso, SECOND};

const DIGITS: usize = 6;

fn identifier(prover: &Prover) -> String {
    format!("two-factor-otp:{}", sha256_hex(prover.key().as_bytes()))
}

fn digest(ctx: &Ctx<'_>, code: &str) -> String {
    tries::code_digest(ctx.config.secret.expose(), "two-factor-otp", code)
}

/// Mails a new code to the user (replacing any earlier one for the same challenge or session).
pub async fn send(ctx: &mut Ctx<'_>, prover: &Prover) -> Result<(), ApiError> {
    let config = ctx.config;
    let user = prover.user();
    let code = random::digits(DIGITS)?;
    let expires_in = config.two_factor.otp_expires_in;
    let expires_at = ctx.now + expires_in * SECOND;
    let id = identifier(prover);
    let message = one_time::message(
        config,
        Kind::TwoFactorCode,
        &user.email,
        &user.name,
        Carrying::Code(&code),
        expires_in,
    )?;
    let guard = one_time::guard(config, &user.email, ctx.now);
    let statements = vec![
        one_time::count_message(&guard),
        tries::remove(&id),
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
            Some(&user.id),
            expires_at,
            ctx.now,
            &guard,
        )
        .map_err(ApiError::internal_because)?,
    ];
    ctx.drivers.sql.batch(statements).await?;
    ctx.queued_mail.push(message.id);
    Ok(())
}

/// Whether `code` is the code sent, which is then spent: 400 `OTP_HAS_EXPIRED` without a live
/// code, 400 `TOO_MANY_ATTEMPTS_REQUEST_NEW_CODE` once its tries are used up.
pub async fn check(ctx: &Ctx<'_>, prover: &Prover, code: &str) -> Result<bool, ApiError> {
    let sql = ctx.drivers.sql.as_ref();
    let id = identifier(prover);
    let allowed = ctx.config.two_factor.otp_allowed_attempts;
    let stored = match tries::take(sql, &id, allowed, ctx.now).await? {
        Taken::Missing | Taken::Expired => return Err(ApiError::new(400, Code::OtpHasExpired)),
        Taken::Exhausted => return Err(ApiError::new(400, Code::TooManyAttemptsRequestNewCode)),
        Taken::Payload(stored) => stored,
    };
    if !constant_time_eq(digest(ctx, code).as_bytes(), stored.as_bytes()) {
        return Ok(false);
    }
    Ok(sql.execute(tries::remove(&id)).await? == 1)
}
