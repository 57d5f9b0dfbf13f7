//! better-auth's emailOTP plugin (`EMAIL_OTP_ENABLED`): six-digit codes by email to sign in (and
//! up), to verify an address and to reset a password.

pub mod codes;
mod endpoints;

use crate::error::Code;
use crate::handler;
use crate::kernel::catalogue::{Answer, Body, Endpoint, Feature, Field, Kind, Prop, Shape, Switch};
use crate::rate_limit::Rule;

const SWITCH: Switch = Switch {
    setting: "EMAIL_OTP_ENABLED",
    is_on: |config| config.email_otp.enabled,
};

const EMAIL: Field = Field::required("email", Kind::String, "The address");
const OTP: Field = Field::required("otp", Kind::String, "The code from the message");
const TYPE: Field = Field::required(
    "type",
    Kind::String,
    "`sign-in`, `email-verification` or `forget-password`",
);
const SUCCESS: Shape = Shape::Object(&[Prop::req("success", Shape::True)]);
const CODE_ERRORS: [(u16, Code); 3] = [
    (400, Code::InvalidOtp),
    (400, Code::OtpExpired),
    (403, Code::TooManyAttempts),
];

/// An endpoint of the plugin: off unless `EMAIL_OTP_ENABLED`, 3 a minute per client (better-auth's
/// rule).
const fn otp(endpoint: Endpoint) -> Endpoint {
    Endpoint {
        enabled_by: Some(SWITCH),
        rate: Some(Rule::MAIL),
        ..endpoint
    }
}

pub const FEATURE: Feature = Feature {
    name: "Email OTP",
    about: "better-auth's emailOTP plugin (`EMAIL_OTP_ENABLED`): six-digit codes by email, five minutes, three wrong tries, to sign in (and up), verify an address or reset a password.",
    schemas: &[],
    migrations: &[],
    credential: None,
    endpoints: &[
        otp(Endpoint {
            summary: "Mail a code (the same answer whether or not the address has a user)",
            login: true,
            body: Body::Object(&[EMAIL, TYPE]),
            answers: &[Answer::json(SUCCESS)],
            errors: &[(400, Code::InvalidEmail)],
            uncoded: &[(400, "Invalid OTP type")],
            ..Endpoint::post("/email-otp/send-verification-otp", "sendVerificationOtp", handler!(endpoints::send_verification_otp))
        }),
        otp(Endpoint {
            summary: "Sign in with a code (and up, for a new address)",
            login: true,
            body: Body::Object(&[EMAIL, OTP, Field::optional("name", Kind::Name, "The name of a user the code signs up")]),
            answers: &[Answer::json(Shape::Object(&[Prop::req("token", Shape::String), Prop::req("user", Shape::Ref("User"))]))],
            errors: &[CODE_ERRORS[0], CODE_ERRORS[1], CODE_ERRORS[2], (403, Code::BannedUser)],
            ..Endpoint::post("/sign-in/email-otp", "signInEmailOtp", handler!(endpoints::sign_in))
        }),
        otp(Endpoint {
            summary: "Whether a code is right, without spending it",
            body: Body::Object(&[EMAIL, TYPE, OTP]),
            answers: &[Answer::json(SUCCESS)],
            errors: &[CODE_ERRORS[0], CODE_ERRORS[1], CODE_ERRORS[2], (400, Code::InvalidEmail), (400, Code::UserNotFound)],
            uncoded: &[(400, "Invalid OTP type")],
            ..Endpoint::post("/email-otp/check-verification-otp", "checkVerificationOtp", handler!(endpoints::check_verification_otp))
        }),
        otp(Endpoint {
            summary: "Verify the address with a code (signed in too with `AUTO_SIGN_IN_AFTER_VERIFICATION`)",
            body: Body::Object(&[EMAIL, OTP]),
            answers: &[Answer::json(Shape::Object(&[
                Prop::req("status", Shape::True),
                Prop::req("token", Shape::Nullable(&Shape::String)),
                Prop::req("user", Shape::Ref("User")),
            ]))],
            errors: &[CODE_ERRORS[0], CODE_ERRORS[1], CODE_ERRORS[2], (400, Code::InvalidEmail), (400, Code::UserNotFound)],
            ..Endpoint::post("/email-otp/verify-email", "verifyEmailOtp", handler!(endpoints::verify_email))
        }),
        otp(Endpoint {
            summary: "Mail a password-reset code (the same answer whether or not the address has a user)",
            body: Body::Object(&[EMAIL]),
            answers: &[Answer::json(SUCCESS)],
            errors: &[(400, Code::InvalidEmail)],
            ..Endpoint::post("/email-otp/request-password-reset", "requestPasswordResetEmailOtp", handler!(endpoints::request_password_reset))
        }),
        otp(Endpoint {
            summary: "The same as `/email-otp/request-password-reset` (better-auth's older path)",
            body: Body::Object(&[EMAIL]),
            answers: &[Answer::json(SUCCESS)],
            errors: &[(400, Code::InvalidEmail)],
            ..Endpoint::post("/forget-password/email-otp", "forgetPasswordEmailOtp", handler!(endpoints::request_password_reset))
        }),
        otp(Endpoint {
            summary: "Choose a new password with a reset code (the sessions end with `REVOKE_SESSIONS_ON_PASSWORD_RESET`)",
            body: Body::Object(&[EMAIL, OTP, Field::required("password", Kind::Password, "The new password")]),
            answers: &[Answer::json(SUCCESS)],
            errors: &[
                CODE_ERRORS[0],
                CODE_ERRORS[1],
                CODE_ERRORS[2],
                (400, Code::InvalidEmail),
                (400, Code::UserNotFound),
                (400, Code::PasswordTooShort),
                (400, Code::PasswordTooLong),
            ],
            ..Endpoint::post("/email-otp/reset-password", "resetPasswordEmailOtp", handler!(endpoints::reset_password))
        }),
    ],
};
