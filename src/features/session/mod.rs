//! The session endpoints: `get-session`, `sign-out`, `list-sessions` and the revocations. The
//! session machinery itself is [`crate::session`], below the kernel.

mod endpoints;

use crate::kernel::catalogue::{
    Answer, Body, Endpoint, Feature, Field, Kind, Prop, Requires, Shape,
};
use crate::session::Source;
use crate::{error::Code, handler};

const STATUS: Shape = Shape::Object(&[Prop::req("status", Shape::Boolean)]);

pub const FEATURE: Feature = Feature {
    migrations: &[],
    credential: None,
    name: "Sessions",
    about: "Reading the current session, signing out, and listing and revoking sessions. A session is presented as the signed `better-auth.session_token` cookie or as `Authorization: Bearer`.",
    schemas: &[(
        "Session",
        Shape::Object(&[
            Prop::req("id", Shape::String),
            Prop::req("expiresAt", Shape::DateTime),
            Prop::req("token", Shape::String),
            Prop::req("createdAt", Shape::DateTime),
            Prop::req("updatedAt", Shape::DateTime),
            Prop::req("ipAddress", Shape::Nullable(&Shape::String)),
            Prop::req("userAgent", Shape::Nullable(&Shape::String)),
            Prop::req("userId", Shape::String),
            Prop::opt("impersonatedBy", Shape::Nullable(&Shape::String)),
        ]),
    )],
    endpoints: &[
        Endpoint {
            summary: "The current session and its user, or `null`; refreshes a session past its update age",
            query: &[
                Field::optional("disableRefresh", Kind::String, "Any non-empty value: do not extend the session"),
                Field::optional("disableCookieCache", Kind::String, "Accepted for compatibility"),
            ],
            answers: &[Answer::json(Shape::Nullable(&Shape::Object(&[
                Prop::req("session", Shape::Ref("Session")),
                Prop::req("user", Shape::Ref("User")),
            ])))],
            errors: &[(401, Code::FailedToGetSession)],
            accepts_credential: true,
            ..Endpoint::get("/get-session", "getSession", handler!(endpoints::get_session))
        },
        Endpoint {
            summary: "Refused: a POST needs better-auth's deferred session refresh, which is off",
            body: Body::None,
            answers: &[],
            errors: &[(405, Code::MethodNotAllowedDeferSessionRequired)],
            ..Endpoint::post("/get-session", "getSessionPost", handler!(endpoints::get_session_post))
        },
        Endpoint {
            summary: "End the presented session and clear the session cookies",
            answers: &[Answer::json(Shape::Object(&[Prop::req("success", Shape::Boolean)]))],
            ..Endpoint::post("/sign-out", "signOut", handler!(endpoints::sign_out))
        },
        Endpoint {
            summary: "The user's live sessions (others' tokens as their SHA-256 digests); needs a fresh session",
            requires: Requires::FreshSession,
            answers: &[Answer::json(Shape::Array(&Shape::Ref("Session")))],
            ..Endpoint::get("/list-sessions", "listSessions", handler!(endpoints::list_sessions))
        },
        Endpoint {
            summary: "Revoke one of the user's sessions by token or digest (others' sessions are left alone)",
            requires: Requires::Session(Source::Durable),
            body: Body::Object(&[Field::required("token", Kind::String, "A session token, or its digest from `list-sessions`")]),
            answers: &[Answer::json(STATUS)],
            ..Endpoint::post("/revoke-session", "revokeSession", handler!(endpoints::revoke_session))
        },
        Endpoint {
            summary: "Revoke every session of the user, the current one included",
            requires: Requires::Session(Source::Durable),
            answers: &[Answer::json(STATUS)],
            ..Endpoint::post("/revoke-sessions", "revokeSessions", handler!(endpoints::revoke_sessions))
        },
        Endpoint {
            summary: "Revoke every session of the user but the current one",
            requires: Requires::Session(Source::Durable),
            answers: &[Answer::json(STATUS)],
            ..Endpoint::post("/revoke-other-sessions", "revokeOtherSessions", handler!(endpoints::revoke_other_sessions))
        },
    ],
};
