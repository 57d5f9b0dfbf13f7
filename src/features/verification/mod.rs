//! Email verification and change of address: the one-time tokens behind every mailed link, their
//! SQL, the links themselves, and the endpoints that send and redeem them.

pub mod codes;
pub mod email;
pub mod hand_off;
pub mod links;
pub mod one_time;
pub mod proven;
pub mod store;
pub mod tries;

use crate::error::Code;
use crate::handler;
use crate::kernel::catalogue::{
    Answer, Body, Endpoint, Feature, Field, Kind, Prop, Requires, Shape,
};
use crate::rate_limit::Rule;
use crate::session::Source;

const STATUS: Shape = Shape::Object(&[Prop::req("status", Shape::Boolean)]);

pub const FEATURE: Feature = Feature {
    migrations: &[],
    credential: None,
    name: "Email verification",
    about: "Verification links, and changing the address (confirmed from the old address first when it is verified).",
    schemas: &[],
    endpoints: &[
        Endpoint {
            summary: "Mail a verification link; without a session, the same answer for every address",
            rate: Some(Rule::MAIL),
            body: Body::Object(&[
                Field::required("email", Kind::Email, "The address to verify"),
                Field::optional("callbackURL", Kind::Url, "Where the link leads once followed"),
            ]),
            answers: &[Answer::json(STATUS)],
            errors: &[
                (400, Code::VerificationEmailNotEnabled),
                (400, Code::EmailMismatch),
                (400, Code::EmailAlreadyVerified),
            ],
            ..Endpoint::post("/send-verification-email", "sendVerificationEmail", handler!(email::send_verification_email))
        },
        Endpoint {
            summary: "Follow a mailed link: verifies the address or completes a step of an address change",
            query: &[
                Field::required("token", Kind::String, "The token from the link"),
                Field::optional("callbackURL", Kind::Url, "Redirect here (with `?error=` on failure) instead of answering JSON"),
            ],
            answers: &[
                Answer::json(Shape::Object(&[
                    Prop::req("status", Shape::Boolean),
                    Prop::opt("user", Shape::Nullable(&Shape::Ref("User"))),
                ])),
                Answer::redirect("To `callbackURL`, with `?error=` on failure"),
            ],
            errors: &[
                (401, Code::InvalidToken),
                (401, Code::TokenExpired),
                (401, Code::UserNotFound),
                (401, Code::InvalidUser),
                (401, Code::UserAlreadyExistsUseAnotherEmail),
            ],
            ..Endpoint::get("/verify-email", "verifyEmail", handler!(email::verify_email))
        },
        Endpoint {
            summary: "Start changing the user's address: a link to confirm it is mailed",
            requires: Requires::Session(Source::Durable),
            rate: Some(Rule::CREDENTIALS),
            body: Body::Object(&[
                Field::required("newEmail", Kind::Email, "The new address"),
                Field::optional("callbackURL", Kind::Url, "Where the links lead once followed"),
            ]),
            answers: &[Answer::json(STATUS)],
            errors: &[(400, Code::ChangeEmailDisabled)],
            uncoded: &[
                (400, "Email is the same"),
                (400, "Verification email isn't enabled"),
            ],
            ..Endpoint::post("/change-email", "changeEmail", handler!(email::change_email))
        },
    ],
};
