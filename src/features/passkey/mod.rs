//! Passkeys (`@better-auth/passkey`, `PASSKEY_ENABLED`, on by default): WebAuthn registration for
//! a signed-in user, and sign-in with a passkey, conditional UI (autofill) included.

mod ceremony;
mod endpoints;
pub mod relying_party;
mod store;

use crate::error::Code;
use crate::handler;
use crate::kernel::catalogue::{
    Answer, Body, Endpoint, Feature, Field, Kind, Prop, Requires, Shape, Switch,
};
use crate::rate_limit::Rule;
use crate::session::Source;

const SWITCH: Switch = Switch {
    setting: "PASSKEY_ENABLED",
    is_on: |config| config.passkey.enabled,
};

const fn plugin(endpoint: Endpoint) -> Endpoint {
    Endpoint {
        enabled_by: Some(SWITCH),
        ..endpoint
    }
}

const RESPONSE: Field = Field::required(
    "response",
    Kind::Object,
    "The `PublicKeyCredential` as `@simplewebauthn/browser` gives it",
);

pub const FEATURE: Feature = Feature {
    name: "Passkeys",
    about: "`@better-auth/passkey` (`PASSKEY_ENABLED`, on by default): WebAuthn passkeys registered by a signed-in user, then a way to sign in, with conditional UI.",
    schemas: &[(
        "Passkey",
        Shape::Object(&[
            Prop::req("id", Shape::String),
            Prop::req("name", Shape::Nullable(&Shape::String)),
            Prop::req("publicKey", Shape::String),
            Prop::req("userId", Shape::String),
            Prop::req("credentialID", Shape::String),
            Prop::req("counter", Shape::Integer),
            Prop::req("deviceType", Shape::String),
            Prop::req("backedUp", Shape::Boolean),
            Prop::req("transports", Shape::Nullable(&Shape::String)),
            Prop::req("createdAt", Shape::Nullable(&Shape::DateTime)),
            Prop::req("aaguid", Shape::Nullable(&Shape::String)),
        ]),
    )],
    migrations: &["0011_passkeys.sql"],
    credential: None,
    endpoints: &[
        plugin(Endpoint {
            summary: "Registration options for a new passkey of the signed-in user (the challenge is bound to this browser for five minutes)",
            requires: Requires::FreshSession,
            query: &[
                Field::optional("authenticatorAttachment", Kind::String, "`platform` or `cross-platform`"),
                Field::optional("name", Kind::String, "The user name the authenticator shows (the email unless given)"),
                Field::optional("context", Kind::String, "Ignored (better-auth passes it to its hooks)"),
            ],
            answers: &[Answer::json(Shape::Any)],
            errors: &[(400, Code::ValidationError)],
            ..Endpoint::get("/passkey/generate-register-options", "generatePasskeyRegistrationOptions", handler!(endpoints::generate_register_options))
        }),
        plugin(Endpoint {
            summary: "Sign-in options: a challenge bound to this browser; with a session, its passkeys as `allowCredentials`, else any discoverable passkey (conditional UI)",
            answers: &[Answer::json(Shape::Any)],
            ..Endpoint::get("/passkey/generate-authenticate-options", "passkeyGenerateAuthenticateOptions", handler!(endpoints::generate_authenticate_options))
        }),
        plugin(Endpoint {
            summary: "Register the passkey the authenticator made (`none` or `packed` self attestation; ES256, EdDSA or RS256)",
            requires: Requires::FreshSession,
            rate: Some(Rule::CREDENTIALS),
            body: Body::Object(&[
                RESPONSE,
                Field::optional("name", Kind::String, "A name for the passkey").max(256),
                Field::optional("createSession", Kind::Boolean, "Ignored: registering needs a session already"),
            ]),
            answers: &[Answer::json(Shape::Ref("Passkey"))],
            errors: &[
                (400, Code::ChallengeNotFound),
                (400, Code::FailedToVerifyRegistration),
                (401, Code::YouAreNotAllowedToRegisterThisPasskey),
            ],
            ..Endpoint::post("/passkey/verify-registration", "passkeyVerifyRegistration", handler!(endpoints::verify_registration))
        }),
        plugin(Endpoint {
            summary: "Sign in with a passkey: the assertion is checked against the challenge, the trusted origins, the RP ID and the passkey's key and counter",
            rate: Some(Rule::CREDENTIALS),
            body: Body::Object(&[RESPONSE]),
            answers: &[Answer::json(Shape::Object(&[
                Prop::req("session", Shape::Any),
                Prop::req("user", Shape::Ref("User")),
            ]))],
            errors: &[
                (400, Code::ChallengeNotFound),
                (400, Code::AuthenticationFailed),
                (401, Code::AuthenticationFailed),
                (401, Code::PasskeyNotFound),
                (403, Code::BannedUser),
            ],
            ..Endpoint::post("/passkey/verify-authentication", "passkeyVerifyAuthentication", handler!(endpoints::verify_authentication))
        }),
        plugin(Endpoint {
            summary: "The signed-in user's passkeys",
            requires: Requires::Session(Source::Cache),
            answers: &[Answer::json(Shape::Array(&Shape::Ref("Passkey")))],
            ..Endpoint::get("/passkey/list-user-passkeys", "listPasskeys", handler!(endpoints::list_user_passkeys))
        }),
        plugin(Endpoint {
            summary: "Rename one of the signed-in user's passkeys",
            requires: Requires::Session(Source::Durable),
            body: Body::Object(&[
                Field::required("id", Kind::String, "The passkey's id"),
                Field::required("name", Kind::String, "The new name").max(256),
            ]),
            answers: &[Answer::json(Shape::Object(&[Prop::req("passkey", Shape::Ref("Passkey"))]))],
            errors: &[(404, Code::PasskeyNotFound), (401, Code::YouAreNotAllowedToRegisterThisPasskey)],
            ..Endpoint::post("/passkey/update-passkey", "updatePasskey", handler!(endpoints::update_passkey))
        }),
        plugin(Endpoint {
            summary: "Delete one of the signed-in user's passkeys",
            requires: Requires::Session(Source::Durable),
            body: Body::Object(&[Field::required("id", Kind::String, "The passkey's id")]),
            answers: &[Answer::json(Shape::Object(&[Prop::req("status", Shape::Boolean)]))],
            errors: &[(404, Code::PasskeyNotFound)],
            ..Endpoint::post("/passkey/delete-passkey", "deletePasskey", handler!(endpoints::delete_passkey))
        }),
    ],
};
