//! Codes by email as a second factor (better-auth's two-factor OTP): six digits through the mail
//! queue ([`codes`]), bound to the challenge or the session they were sent for.

use super::challenge::Prover;
use crate::crypto::sha256_hex;
use crate::error::{ApiError, Code};
use crate::features::verification::codes::{self, Checked, Mailing};
use crate::kernel::context::Ctx;
use crate::mail::Kind;

/// What the codes' digests are keyed with.
const LABEL: &str = "two-factor-otp";

fn identifier(prover: &Prover) -> String {
    format!("two-factor-otp:{}", sha256_hex(prover.key().as_bytes()))
}

/// Mails a new code to the user (replacing any earlier one for the same challenge or session).
pub async fn send(ctx: &mut Ctx<'_>, prover: &Prover) -> Result<(), ApiError> {
    let user = prover.user();
    let expires_in = ctx.config.two_factor.otp_expires_in;
    let statements = codes::issue(
        ctx,
        Mailing {
            kind: Kind::TwoFactorCode,
            label: LABEL,
            identifier: &identifier(prover),
            to: &user.email,
            name: &user.name,
            user_id: Some(&user.id),
            expires_in,
            link: None,
        },
    )?;
    ctx.drivers.sql.batch(statements).await?;
    Ok(())
}

/// Whether `code` is the code sent, which is then spent: 400 `OTP_HAS_EXPIRED` without a live
/// code, 400 `TOO_MANY_ATTEMPTS_REQUEST_NEW_CODE` once its tries are used up.
pub async fn check(ctx: &Ctx<'_>, prover: &Prover, code: &str) -> Result<bool, ApiError> {
    let allowed = ctx.config.two_factor.otp_allowed_attempts;
    match codes::check(ctx, LABEL, &identifier(prover), code, allowed, true).await? {
        Checked::Right => Ok(true),
        Checked::Wrong => Ok(false),
        Checked::Missing | Checked::Expired => Err(ApiError::new(400, Code::OtpHasExpired)),
        Checked::Exhausted => Err(ApiError::new(400, Code::TooManyAttemptsRequestNewCode)),
    }
}
