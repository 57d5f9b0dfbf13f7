//! Email: the messages portcullis sends, the `Mailer` driver that delivers them, and the durable
//! queue in between (a provider outage delays mail; it never loses it).

pub mod drain;
pub mod outbox;
pub mod providers;
pub mod queue;
pub mod templates;

use crate::time::Millis;
use async_trait::async_trait;
use serde::{Deserialize, Serialize};

/// What a message is for; also the purpose of the one-time token it carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    VerifyEmail,
    /// To the current address of a verified user asking to change it.
    ChangeEmailConfirmation,
    /// To the new address, proving the user owns it.
    ChangeEmailVerification,
    ResetPassword,
    /// A link that signs its holder in (and up, for a new address).
    MagicLink,
    /// One-time codes (better-auth's email OTP): sign-in, address verification, password reset.
    SignInCode,
    VerificationCode,
    ResetPasswordCode,
    /// A second factor by email (better-auth's two-factor OTP).
    TwoFactorCode,
    /// A code confirming a sensitive change (Supabase's reauthentication nonce).
    ReauthenticationCode,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::VerifyEmail => "verify-email",
            Kind::ChangeEmailConfirmation => "change-email-confirmation",
            Kind::ChangeEmailVerification => "change-email-verification",
            Kind::ResetPassword => "reset-password",
            Kind::MagicLink => "magic-link",
            Kind::SignInCode => "sign-in-otp",
            Kind::VerificationCode => "email-verification-otp",
            Kind::ResetPasswordCode => "forget-password-otp",
            Kind::TwoFactorCode => "two-factor-otp",
            Kind::ReauthenticationCode => "reauthentication-otp",
        }
    }
}

/// A rendered message, as queued (encrypted) and as handed to the provider.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Message {
    /// Stable across retries: providers and webhooks use it to drop duplicates.
    pub id: String,
    pub kind: Kind,
    pub to: String,
    pub subject: String,
    pub text: String,
    pub html: String,
    /// The link the message carries.
    pub url: String,
    pub app_name: String,
}

/// How a delivery attempt ended.
#[derive(Debug, Clone, PartialEq)]
pub enum Delivery {
    Sent,
    /// Try again later (no answer, 429, 5xx); `retry_after` is the provider's wish.
    Retry {
        reason: String,
        retry_after: Option<Millis>,
    },
    /// The provider will never accept this message (a malformed address, say).
    Refused(String),
}

/// Hands a message to whoever sends it.
#[async_trait(?Send)]
pub trait Mailer {
    async fn deliver(&self, message: &Message, now: Millis) -> Delivery;
}
