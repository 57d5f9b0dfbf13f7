//! better-auth's twoFactor plugin (`TWO_FACTOR_ENABLED`, on by default): an authenticator app
//! (TOTP), codes by email and backup codes as a second factor for password sign-ins, and devices
//! trusted to skip it.

mod backup_codes;
mod challenge;
mod endpoints;
mod lockout;
mod otp;
mod store;
mod totp;
mod trust;

use crate::error::{ApiError, Code};
use crate::handler;
use crate::kernel::catalogue::{
    Answer, Body, Endpoint, Feature, Field, Kind, Prop, Requires, Shape, Switch,
};
use crate::kernel::context::Ctx;
use crate::kernel::response::Reply;
use crate::rate_limit::Rule;
use crate::session::Source;
use crate::storage::users::User;

const SWITCH: Switch = Switch {
    setting: "TWO_FACTOR_ENABLED",
    is_on: |config| config.two_factor.enabled,
};

/// What a password sign-in answers instead of a session when a second factor is due.
pub const CHALLENGE_ANSWER: Shape = Shape::Object(&[
    Prop::req("twoFactorRedirect", Shape::True),
    Prop::req("twoFactorMethods", Shape::Array(&Shape::String)),
]);

/// For a password sign-in of `user`: `None` when no second factor is due (the user has none, or
/// the device is trusted), else the challenge's answer.
pub async fn challenge_password_sign_in(
    ctx: &mut Ctx<'_>,
    user: &User,
    remember: bool,
) -> Result<Option<Reply>, ApiError> {
    if !ctx.config.two_factor.enabled || !user.two_factor_enabled {
        return Ok(None);
    }
    if trust::recognise(ctx, &user.id).await? {
        return Ok(None);
    }
    challenge::begin(ctx, user, remember).await.map(Some)
}

const PASSWORD: Field = Field::required("password", Kind::String, "The user's password");
const CODE: Field = Field::required("code", Kind::String, "The code");
const TRUST_DEVICE: Field = Field::optional(
    "trustDevice",
    Kind::Boolean,
    "Trust this device: its next password sign-ins skip the second factor (`TRUST_DEVICE_MAX_AGE`)",
);
const SIGNED_IN: Shape = Shape::Object(&[
    Prop::req("token", Shape::String),
    Prop::req("user", Shape::Ref("User")),
]);
const STATUS: Shape = Shape::Object(&[Prop::req("status", Shape::True)]);
const PROVING_ERRORS: [(u16, Code); 3] = [
    (401, Code::InvalidTwoFactorCookie),
    (400, Code::TooManyAttemptsRequestNewCode),
    (429, Code::AccountTemporarilyLocked),
];

/// An endpoint of the plugin: off with `TWO_FACTOR_ENABLED=false`, 3 in 10 seconds per client
/// (better-auth's rule for `/two-factor/*`).
const fn plugin(endpoint: Endpoint) -> Endpoint {
    Endpoint {
        enabled_by: Some(SWITCH),
        rate: Some(Rule::CREDENTIALS),
        ..endpoint
    }
}

pub const FEATURE: Feature = Feature {
    name: "Two-factor",
    about: "better-auth's twoFactor plugin (`TWO_FACTOR_ENABLED`, on by default): an authenticator app, codes by email or backup codes as a second factor after the password, with trusted devices. Only password sign-ins ask for it.",
    schemas: &[],
    migrations: &["0010_two_factor.sql"],
    credential: None,
    endpoints: &[
        plugin(Endpoint {
            summary: "Turn a second factor on: `totp` answers the secret to verify with `verify-totp` and backup codes; `otp` turns codes by email on at once",
            requires: Requires::Session(Source::Durable),
            body: Body::Object(&[
                PASSWORD,
                Field::optional("method", Kind::String, "`totp` (the default) or `otp`"),
                Field::optional("issuer", Kind::String, "The issuer in the TOTP URI (`TWO_FACTOR_ISSUER` unless given)"),
            ]),
            answers: &[Answer::json(Shape::Object(&[
                Prop::req("method", Shape::String),
                Prop::opt("totpURI", Shape::String),
                Prop::opt("backupCodes", Shape::Array(&Shape::String)),
            ]))],
            errors: &[
                (400, Code::InvalidPassword),
                (400, Code::PasswordTooLong),
                (400, Code::TotpAlreadyEnabled),
                (400, Code::OtpNotConfigured),
            ],
            ..Endpoint::post("/two-factor/enable", "enableTwoFactor", handler!(endpoints::setup::enable))
        }),
        plugin(Endpoint {
            summary: "Turn the second factor off; its factors and the user's trusted devices go",
            requires: Requires::Session(Source::Durable),
            body: Body::Object(&[PASSWORD]),
            answers: &[Answer::json(STATUS)],
            errors: &[(400, Code::InvalidPassword), (400, Code::PasswordTooLong)],
            ..Endpoint::post("/two-factor/disable", "disableTwoFactor", handler!(endpoints::setup::disable))
        }),
        plugin(Endpoint {
            summary: "The TOTP URI again (for another authenticator app)",
            requires: Requires::Session(Source::Durable),
            body: Body::Object(&[PASSWORD]),
            answers: &[Answer::json(Shape::Object(&[Prop::req("totpURI", Shape::String)]))],
            errors: &[(400, Code::TotpNotEnabled), (400, Code::InvalidPassword), (400, Code::PasswordTooLong)],
            ..Endpoint::post("/two-factor/get-totp-uri", "getTotpUri", handler!(endpoints::setup::get_totp_uri))
        }),
        plugin(Endpoint {
            summary: "Prove a TOTP code: ends a sign-in's challenge in a session, or completes the setup of a signed-in user (a code works once)",
            body: Body::Object(&[CODE, TRUST_DEVICE]),
            answers: &[Answer::json(SIGNED_IN)],
            errors: &[
                PROVING_ERRORS[0],
                PROVING_ERRORS[1],
                PROVING_ERRORS[2],
                (400, Code::TotpNotEnabled),
                (401, Code::InvalidCode),
            ],
            ..Endpoint::post("/two-factor/verify-totp", "verifyTotp", handler!(endpoints::verify::verify_totp))
        }),
        plugin(Endpoint {
            summary: "Mail a code for the sign-in's challenge (or the signed-in user)",
            body: Body::OptionalObject(&[TRUST_DEVICE]),
            answers: &[Answer::json(STATUS)],
            errors: &[PROVING_ERRORS[0], (400, Code::OtpNotConfigured)],
            ..Endpoint::post("/two-factor/send-otp", "sendTwoFactorOtp", handler!(endpoints::verify::send_otp))
        }),
        plugin(Endpoint {
            summary: "Prove a mailed code: ends a sign-in's challenge in a session, or turns codes by email on for a signed-in user",
            body: Body::Object(&[CODE, TRUST_DEVICE]),
            answers: &[Answer::json(SIGNED_IN)],
            errors: &[
                PROVING_ERRORS[0],
                PROVING_ERRORS[1],
                PROVING_ERRORS[2],
                (400, Code::OtpHasExpired),
                (401, Code::InvalidCode),
            ],
            ..Endpoint::post("/two-factor/verify-otp", "verifyTwoFactorOtp", handler!(endpoints::verify::verify_otp))
        }),
        plugin(Endpoint {
            summary: "Prove a backup code (each works once): ends a sign-in's challenge in a session unless `disableSession`",
            body: Body::Object(&[
                CODE,
                Field::optional("disableSession", Kind::Boolean, "Check the code without opening a session"),
                TRUST_DEVICE,
            ]),
            answers: &[Answer::json(Shape::Object(&[
                Prop::req("token", Shape::Nullable(&Shape::String)),
                Prop::req("user", Shape::Ref("User")),
            ]))],
            errors: &[
                PROVING_ERRORS[0],
                PROVING_ERRORS[1],
                PROVING_ERRORS[2],
                (400, Code::BackupCodesNotEnabled),
                (401, Code::InvalidBackupCode),
            ],
            uncoded: &[(409, "Failed to verify backup code. Please try again.")],
            ..Endpoint::post("/two-factor/verify-backup-code", "verifyBackupCode", handler!(endpoints::verify::verify_backup_code))
        }),
        plugin(Endpoint {
            summary: "New backup codes, replacing the old ones",
            requires: Requires::Session(Source::Durable),
            body: Body::Object(&[PASSWORD]),
            answers: &[Answer::json(Shape::Object(&[
                Prop::req("status", Shape::True),
                Prop::req("backupCodes", Shape::Array(&Shape::String)),
            ]))],
            errors: &[(400, Code::TwoFactorNotEnabled), (400, Code::InvalidPassword), (400, Code::PasswordTooLong)],
            ..Endpoint::post("/two-factor/generate-backup-codes", "generateBackupCodes", handler!(endpoints::setup::generate_backup_codes))
        }),
    ],
};
