//! better-auth's API keys (`@better-auth/api-key`): keys in its format, stored as its table holds
//! them (the digest, never the key), with expiry, `remaining` and refills, per-key rate limits,
//! permissions and metadata; an `x-api-key` that stands for its user's session; and a key stops
//! working as soon as its user is banned or deleted.

mod access;
mod endpoints;
pub mod key;
pub mod store;
pub mod usage;

pub use access::{use_key, Used};

use crate::error::Code;
use crate::handler;
use crate::kernel::catalogue::{
    Answer, Body, Credential, Endpoint, Feature, Field, Kind, Prop, Requires, Shape, Switch,
};
use crate::session::Source;

const SWITCH: Switch = Switch {
    setting: "API_KEYS_ENABLED",
    is_on: |config| config.api_keys.enabled,
};

const KEY_ID: Field = Field::required("keyId", Kind::String, "The key's id");
const NAME: Field = Field::optional("name", Kind::String, "A name, 1 to 32 characters");
const METADATA: Field = Field::optional(
    "metadata",
    Kind::Any,
    "An object kept with the key (only while `API_KEY_METADATA_ENABLED`)",
);
const SERVER_ONLY: [Field; 6] = [
    Field::optional(
        "refillAmount",
        Kind::Number,
        "Admins only: what `remaining` refills to",
    ),
    Field::optional(
        "refillInterval",
        Kind::Number,
        "Admins only: milliseconds between refills",
    ),
    Field::optional(
        "rateLimitTimeWindow",
        Kind::Number,
        "Admins only: the rate limit's window, in milliseconds",
    ),
    Field::optional(
        "rateLimitMax",
        Kind::Number,
        "Admins only: uses allowed per window",
    ),
    Field::optional(
        "rateLimitEnabled",
        Kind::Boolean,
        "Admins only: whether the key is rate limited",
    ),
    Field::optional(
        "permissions",
        Kind::Object,
        "Admins only: what the key grants, `{resource: [action, …]}`",
    ),
];

const API_KEY_ANSWER: Answer = Answer::json(Shape::Ref("ApiKey"));

/// An endpoint of the feature: off unless `API_KEYS_ENABLED`.
const fn keys(endpoint: Endpoint) -> Endpoint {
    Endpoint {
        enabled_by: Some(SWITCH),
        ..endpoint
    }
}

pub const FEATURE: Feature = Feature {
    name: "API keys",
    about: "better-auth's api-key plugin: keys a user makes for their services, verified by digest, with expiry, quotas, refills, per-key rate limits and permissions. `x-api-key` stands for the key's user's session where an endpoint accepts it (`API_KEY_SESSIONS`).",
    schemas: &[(
        "ApiKey",
        Shape::Object(&[
            Prop::req("id", Shape::String),
            Prop::req("configId", Shape::String),
            Prop::req("name", Shape::Nullable(&Shape::String)),
            Prop::req("start", Shape::Nullable(&Shape::String)),
            Prop::req("prefix", Shape::Nullable(&Shape::String)),
            Prop::req("referenceId", Shape::String),
            Prop::req("refillInterval", Shape::Nullable(&Shape::Integer)),
            Prop::req("refillAmount", Shape::Nullable(&Shape::Integer)),
            Prop::req("lastRefillAt", Shape::Nullable(&Shape::DateTime)),
            Prop::req("enabled", Shape::Boolean),
            Prop::req("rateLimitEnabled", Shape::Boolean),
            Prop::req("rateLimitTimeWindow", Shape::Nullable(&Shape::Integer)),
            Prop::req("rateLimitMax", Shape::Nullable(&Shape::Integer)),
            Prop::req("requestCount", Shape::Integer),
            Prop::req("remaining", Shape::Nullable(&Shape::Integer)),
            Prop::req("lastRequest", Shape::Nullable(&Shape::DateTime)),
            Prop::req("expiresAt", Shape::Nullable(&Shape::DateTime)),
            Prop::req("createdAt", Shape::DateTime),
            Prop::req("updatedAt", Shape::DateTime),
            Prop::req("permissions", Shape::Nullable(&Shape::Map(&Shape::Array(&Shape::String)))),
            Prop::req("metadata", Shape::Any),
            Prop::opt("key", Shape::String),
        ]),
    )],
    migrations: &["0009_api_keys.sql"],
    credential: Some(Credential {
        header: "x-api-key",
        is_on: |config| config.api_keys.sessions_on(),
        check: access::check_credential,
        refusals: &[
            (401, Code::InvalidApiKey),
            (403, Code::InvalidApiKey),
            (401, Code::KeyDisabled),
            (401, Code::KeyExpired),
            (401, Code::InvalidReferenceIdFromApiKey),
            (403, Code::BannedUser),
            (429, Code::UsageExceeded),
            (429, Code::RateLimited),
        ],
    }),
    endpoints: &[
        keys(Endpoint {
            summary: "Make a key for the signed-in user (an admin may name another `userId`); the answer is the only time the key is shown",
            body: Body::OptionalObject(&[
                NAME,
                Field::optional("expiresIn", Kind::Number, "Seconds until it expires (1 to 365 days); default `API_KEY_DEFAULT_EXPIRES_IN`").nullable(),
                Field::optional("prefix", Kind::String, "Put before the key: 1 to 32 letters, digits, `_` or `-`"),
                Field::optional("remaining", Kind::Number, "Admins only: uses left (`null`: unlimited)").nullable(),
                METADATA,
                SERVER_ONLY[0],
                SERVER_ONLY[1],
                SERVER_ONLY[2],
                SERVER_ONLY[3],
                SERVER_ONLY[4],
                SERVER_ONLY[5],
                Field::optional("userId", Kind::String, "Admins only: the user the key is for"),
            ]),
            answers: &[API_KEY_ANSWER],
            errors: &[
                (400, Code::ServerOnlyProperty),
                (400, Code::MetadataDisabled),
                (400, Code::InvalidMetadataType),
                (400, Code::RefillAmountAndIntervalRequired),
                (400, Code::RefillIntervalAndAmountRequired),
                (400, Code::ExpiresInIsTooSmall),
                (400, Code::ExpiresInIsTooLarge),
                (400, Code::InvalidPrefixLength),
                (400, Code::InvalidNameLength),
                (400, Code::NameRequired),
                (401, Code::UnauthorizedSession),
                (404, Code::UserNotFound),
            ],
            ..Endpoint::post("/api-key/create", "createApiKey", handler!(endpoints::create))
        }),
        keys(Endpoint {
            summary: "One of the signed-in user's keys (never the key itself)",
            requires: Requires::Session(Source::Durable),
            query: &[Field::required("id", Kind::String, "The key's id")],
            answers: &[API_KEY_ANSWER],
            errors: &[(404, Code::KeyNotFound)],
            ..Endpoint::get("/api-key/get", "getApiKey", handler!(endpoints::get))
        }),
        keys(Endpoint {
            summary: "Rename, enable or disable, or re-date one of the signed-in user's keys (admins: its limits and permissions too)",
            body: Body::Object(&[
                KEY_ID,
                NAME,
                Field::optional("enabled", Kind::Boolean, "Whether the key works"),
                Field::optional("expiresIn", Kind::Number, "Seconds from now until it expires (1 to 365 days); `null`: never").nullable(),
                METADATA,
                Field::optional("remaining", Kind::Number, "Admins only: uses left"),
                SERVER_ONLY[0],
                SERVER_ONLY[1],
                SERVER_ONLY[2],
                SERVER_ONLY[3],
                SERVER_ONLY[4],
                Field::optional("permissions", Kind::Object, "Admins only: what the key grants; `null` clears it").nullable(),
                Field::optional("userId", Kind::String, "Admins only: the key's owner"),
            ]),
            answers: &[API_KEY_ANSWER],
            errors: &[
                (400, Code::ServerOnlyProperty),
                (400, Code::InvalidMetadataType),
                (400, Code::RefillAmountAndIntervalRequired),
                (400, Code::RefillIntervalAndAmountRequired),
                (400, Code::ExpiresInIsTooSmall),
                (400, Code::ExpiresInIsTooLarge),
                (400, Code::InvalidNameLength),
                (400, Code::NoValuesToUpdate),
                (401, Code::UnauthorizedSession),
                (404, Code::KeyNotFound),
            ],
            ..Endpoint::post("/api-key/update", "updateApiKey", handler!(endpoints::update))
        }),
        keys(Endpoint {
            summary: "Delete one of the signed-in user's keys: it stops working at once",
            requires: Requires::Session(Source::Durable),
            body: Body::Object(&[KEY_ID]),
            answers: &[Answer::json(Shape::Object(&[Prop::req("success", Shape::True)]))],
            errors: &[(404, Code::KeyNotFound)],
            ..Endpoint::post("/api-key/delete", "deleteApiKey", handler!(endpoints::delete))
        }),
        keys(Endpoint {
            summary: "The signed-in user's keys, sorted and paged, and how many they have",
            requires: Requires::Session(Source::Durable),
            query: &[
                Field::optional("limit", Kind::String, "Keys per page (default: all)"),
                Field::optional("offset", Kind::String, "Keys to skip"),
                Field::optional("sortBy", Kind::String, "A key field (default `createdAt`)"),
                Field::optional("sortDirection", Kind::String, "`asc` (default) or `desc`"),
                Field::optional("organizationId", Kind::String, "Refused: organization-owned keys are not supported"),
            ],
            answers: &[Answer::json(Shape::Object(&[
                Prop::req("apiKeys", Shape::Array(&Shape::Ref("ApiKey"))),
                Prop::req("total", Shape::Integer),
                Prop::opt("limit", Shape::Integer),
                Prop::opt("offset", Shape::Integer),
            ]))],
            errors: &[(400, Code::ValidationError)],
            ..Endpoint::get("/api-key/list", "listApiKeys", handler!(endpoints::list))
        }),
        keys(Endpoint {
            summary: "Verify a key (and optionally the permissions it must grant), counting one use; always 200, with `valid`",
            body: Body::Object(&[
                Field::required("key", Kind::String, "The key"),
                Field::optional("permissions", Kind::Object, "What the key must grant, `{resource: [action, …]}`"),
            ]),
            answers: &[Answer::json(Shape::Object(&[
                Prop::req("valid", Shape::Boolean),
                Prop::req("error", Shape::Nullable(&Shape::Ref("Error"))),
                Prop::req("key", Shape::Nullable(&Shape::Ref("ApiKey"))),
            ]))],
            ..Endpoint::post("/api-key/verify", "verifyApiKey", handler!(endpoints::verify))
        }),
    ],
};
