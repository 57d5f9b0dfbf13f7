//! Email and password: sign-up, sign-in, and the password reset flow (better-auth's core
//! `emailAndPassword`), with the credential rules they share.

pub mod credentials;
mod reset;
mod sign_in;
pub mod sign_up;

use crate::error::Code;
use crate::features::two_factor;
use crate::handler;
use crate::kernel::catalogue::{Answer, Body, Endpoint, Feature, Field, Kind, Prop, Shape};
use crate::kernel::formats::MAX_IMAGE_LEN;
use crate::rate_limit::Rule;

const CALLBACK: Field = Field::optional(
    "callbackURL",
    Kind::Url,
    "Where the verification link leads once followed (a trusted origin or a relative path)",
);
const REMEMBER: Field = Field::optional(
    "rememberMe",
    Kind::Boolean,
    "`false`: the session cookie lasts for the browser session only (default `true`)",
);

const SIGNED_IN: Shape = Shape::Object(&[
    Prop::req("token", Shape::Nullable(&Shape::String)),
    Prop::req("user", Shape::Ref("User")),
]);
const STATUS: Shape = Shape::Object(&[Prop::req("status", Shape::Boolean)]);

pub const FEATURE: Feature = Feature {
    migrations: &[],
    credential: None,
    name: "Email and password",
    about: "Sign-up, sign-in and the password reset flow (better-auth's `emailAndPassword`).",
    schemas: &[],
    endpoints: &[
        Endpoint {
            summary: "Create a user with a password; opens a session unless verification is required",
            login: true,
            form: true,
            rate: Some(Rule::CREDENTIALS),
            body: Body::Object(&[
                Field::required("name", Kind::Name, "Display name, without control characters"),
                Field::required("email", Kind::Email, "Email address (stored lowercased)"),
                Field::required("password", Kind::Password, "Password (`PASSWORD_MIN_LENGTH` to `PASSWORD_MAX_LENGTH` characters)").min(1),
                Field::optional("image", Kind::String, "Picture URL").nullable().max(MAX_IMAGE_LEN),
                REMEMBER,
                CALLBACK,
            ]),
            answers: &[Answer::json(SIGNED_IN)],
            errors: &[
                (400, Code::PasswordTooShort),
                (400, Code::PasswordTooLong),
                (422, Code::UserAlreadyExistsUseAnotherEmail),
            ],
            ..Endpoint::post("/sign-up/email", "signUpEmail", handler!(sign_up::sign_up_email))
        },
        Endpoint {
            summary: "Sign in with email and password",
            login: true,
            form: true,
            rate: Some(Rule::CREDENTIALS),
            body: Body::Object(&[
                Field::required("email", Kind::String, "Email address"),
                Field::required("password", Kind::String, "Password"),
                REMEMBER,
                Field::optional("callbackURL", Kind::Url, "Returned as `url` (and `Location`) for the client to go to"),
            ]),
            answers: &[Answer::json(Shape::OneOf(&[
                Shape::Object(&[
                    Prop::req("redirect", Shape::Boolean),
                    Prop::req("token", Shape::String),
                    Prop::opt("url", Shape::String),
                    Prop::req("user", Shape::Ref("User")),
                ]),
                two_factor::CHALLENGE_ANSWER,
            ]))],
            errors: &[
                (400, Code::InvalidEmail),
                (400, Code::PasswordTooLong),
                (401, Code::InvalidEmailOrPassword),
                (403, Code::EmailNotVerified),
            ],
            ..Endpoint::post("/sign-in/email", "signInEmail", handler!(sign_in::sign_in_email))
        },
        Endpoint {
            summary: "Mail a password reset link; the same answer whether or not the address has an account",
            rate: Some(Rule::MAIL),
            body: Body::Object(&[
                Field::required("email", Kind::Email, "Email address"),
                Field::optional("redirectTo", Kind::Url, "The application's reset page the link leads to"),
            ]),
            answers: &[Answer::json(Shape::Object(&[
                Prop::req("status", Shape::Boolean),
                Prop::req("message", Shape::String),
            ]))],
            errors: &[(400, Code::ResetPasswordDisabled)],
            ..Endpoint::post("/request-password-reset", "requestPasswordReset", handler!(reset::request_password_reset))
        },
        Endpoint {
            summary: "The reset link: redirects to `callbackURL` with `?token=`, or `?error=INVALID_TOKEN`",
            query: &[Field::required("callbackURL", Kind::Url, "The application's reset page")],
            answers: &[Answer::redirect("To the reset page, with the token or an error")],
            ..Endpoint::get("/reset-password/:token", "resetPasswordCallback", handler!(reset::reset_password_callback))
        },
        Endpoint {
            summary: "Set a new password with a reset token; ends the user's sessions",
            body: Body::Object(&[
                Field::required("newPassword", Kind::Password, "The new password"),
                Field::optional("token", Kind::String, "The reset token (or `?token=`)"),
            ]),
            query: &[Field::optional("token", Kind::String, "The reset token, when not in the body")],
            answers: &[Answer::json(STATUS)],
            errors: &[
                (400, Code::InvalidToken),
                (400, Code::UserNotFound),
                (400, Code::PasswordTooShort),
                (400, Code::PasswordTooLong),
            ],
            ..Endpoint::post("/reset-password", "resetPassword", handler!(reset::reset_password))
        },
    ],
};
