//! better-auth's magic-link plugin: a link mailed through the queue that signs its holder in, and
//! up for a new address; single use, five minutes by default, stored as a digest.

mod endpoints;

use crate::error::Code;
use crate::handler;
use crate::kernel::catalogue::{Answer, Body, Endpoint, Feature, Field, Kind, Prop, Shape, Switch};
use crate::rate_limit::Rule;

const SWITCH: Switch = Switch {
    setting: "MAGIC_LINK_ENABLED",
    is_on: |config| config.magic_link.enabled,
};

const CALLBACK_URL: Field = Field::optional(
    "callbackURL",
    Kind::Url,
    "Where the link leads once followed (default `/`)",
);
const NEW_USER_CALLBACK_URL: Field = Field::optional(
    "newUserCallbackURL",
    Kind::Url,
    "Where it leads a new user (default `callbackURL`)",
);
const ERROR_CALLBACK_URL: Field = Field::optional(
    "errorCallbackURL",
    Kind::Url,
    "Where a dead link leads, with `?error=` (default `callbackURL`)",
);

pub const FEATURE: Feature = Feature {
    name: "Magic link",
    about: "better-auth's magic-link plugin (`MAGIC_LINK_ENABLED`): a mailed link that signs its holder in, or up for a new address.",
    schemas: &[],
    migrations: &[],
    credential: None,
    endpoints: &[
        Endpoint {
            summary: "Mail a sign-in link to the address (the same answer whether or not it has a user)",
            login: true,
            rate: Some(Rule::MAIL),
            enabled_by: Some(SWITCH),
            body: Body::Object(&[
                Field::required("email", Kind::Email, "The address to mail the link to"),
                Field::optional("name", Kind::Name, "The name of a user the link signs up"),
                CALLBACK_URL,
                NEW_USER_CALLBACK_URL,
                ERROR_CALLBACK_URL,
            ]),
            answers: &[Answer::json(Shape::Object(&[Prop::req("status", Shape::True)]))],
            ..Endpoint::post("/sign-in/magic-link", "signInMagicLink", handler!(endpoints::send_link))
        },
        Endpoint {
            summary: "Follow a link: signed in (and up, for a new address), then on to `callbackURL`, or `{token, user, session}` without one",
            enabled_by: Some(SWITCH),
            query: &[
                Field::required("token", Kind::String, "The token from the link"),
                CALLBACK_URL,
                NEW_USER_CALLBACK_URL,
                ERROR_CALLBACK_URL,
            ],
            answers: &[
                Answer::json(Shape::Object(&[
                    Prop::req("token", Shape::String),
                    Prop::req("user", Shape::Ref("User")),
                    Prop::req("session", Shape::Ref("Session")),
                ])),
                Answer::redirect("To `callbackURL` (`newUserCallbackURL` for a new user) signed in, or to `errorCallbackURL` with `?error=INVALID_TOKEN` (or `new_user_signup_disabled`, `BANNED_USER`)"),
            ],
            errors: &[(403, Code::BannedUser)],
            ..Endpoint::get("/magic-link/verify", "magicLinkVerify", handler!(endpoints::verify))
        },
    ],
};
