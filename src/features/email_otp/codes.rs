//! One-time codes by email (better-auth's emailOTP): six digits, five minutes, a few wrong tries,
//! one code per purpose and address ([`codes`]); D1 knows the address only as a digest.

use crate::crypto::sha256_hex;
use crate::error::{ApiError, Code};
use crate::features::verification::codes::{self, Checked, Link, Mailing};
use crate::kernel::context::Ctx;
use crate::mail::Kind;
use crate::storage::Statement;

/// What the codes' digests are keyed with.
const LABEL: &str = "email-otp";

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

/// Statements storing a new code for the address (replacing any earlier one) and queueing its
/// message, with `link` beside the code when given; `user_id` is the address's user, `None` for a
/// sign-in that may sign one up.
pub fn issue(
    ctx: &mut Ctx<'_>,
    purpose: Purpose,
    email: &str,
    user_id: Option<&str>,
    link: Option<Link<'_>>,
) -> Result<Vec<Statement>, ApiError> {
    let expires_in = ctx.config.email_otp.expires_in;
    codes::issue(
        ctx,
        Mailing {
            kind: purpose.kind(),
            label: LABEL,
            identifier: &identifier(purpose, email),
            to: email,
            name: "",
            user_id,
            expires_in,
            link,
        },
    )
}

/// Checks a code: 400 `INVALID_OTP` (wrong, unknown or spent), 400 `OTP_EXPIRED`, 403
/// `TOO_MANY_ATTEMPTS` (the code is gone). A right code is spent when `spend`.
pub async fn check(
    ctx: &Ctx<'_>,
    purpose: Purpose,
    email: &str,
    code: &str,
    spend: bool,
) -> Result<(), ApiError> {
    let allowed = ctx.config.email_otp.allowed_attempts;
    let id = identifier(purpose, email);
    match codes::check(ctx, LABEL, &id, code, allowed, spend).await? {
        Checked::Right => Ok(()),
        Checked::Missing | Checked::Wrong => Err(ApiError::new(400, Code::InvalidOtp)),
        Checked::Expired => Err(ApiError::new(400, Code::OtpExpired)),
        Checked::Exhausted => Err(ApiError::new(403, Code::TooManyAttempts)),
    }
}
