//! Social and OpenID Connect sign-in, as better-auth 1.7's social providers: the built-in
//! providers and any OpenID provider by discovery share one flow (`/sign-in/social`, the
//! provider, `/callback/:providerId`), with the state bound to the browser and kept once in D1,
//! PKCE, a nonce for OpenID providers, ID tokens verified against the provider's keys, account
//! linking by better-auth's rules, and provider tokens sealed at rest.

mod endpoints;
pub use endpoints::begin_hand_off;
pub use state::LinkIntent;
pub mod exchange;
pub mod id_token;
pub mod linking;
pub mod profile;
pub mod providers;
pub mod remote;
pub mod state;
pub mod tokens;

use crate::error::Code;
use crate::handler;
use crate::kernel::catalogue::{
    Answer, Body, Endpoint, Feature, Field, Kind, Prop, Requires, Shape,
};
use crate::rate_limit::Rule;
use crate::session::Source;

const PROVIDER: Field = Field::required(
    "provider",
    Kind::String,
    "A configured provider's id (`google`, `github`, an `OIDC_PROVIDERS` id, …)",
);
const CALLBACK_URL: Field = Field::optional(
    "callbackURL",
    Kind::Url,
    "Where the browser goes after the provider (default: the service's origin)",
);
const ERROR_CALLBACK_URL: Field = Field::optional(
    "errorCallbackURL",
    Kind::Url,
    "Where refusals go, with `?error=` (default: `/api/auth/error`)",
);
const DISABLE_REDIRECT: Field = Field::optional(
    "disableRedirect",
    Kind::Boolean,
    "Answer the URL without a `Location` header",
);
const SCOPES: Field = Field::optional(
    "scopes",
    Kind::StringList,
    "Scopes to ask beyond the provider's defaults",
);
const LOGIN_HINT: Field = Field::optional(
    "loginHint",
    Kind::String,
    "Passed to the provider as `login_hint`",
);
const ID_TOKEN: Field = Field::optional("idToken", Kind::Object, "`{token, nonce?, accessToken?}`: an ID token the client obtained itself (OpenID providers only)");
const REQUEST_SIGN_UP: Field = Field::optional(
    "requestSignUp",
    Kind::Boolean,
    "Accepted for better-auth's clients; sign-up is always open",
);
const ACCOUNT_ID: Field = Field::required(
    "accountId",
    Kind::String,
    "The account's id, as `list-accounts` shows it",
);
const USER_ID: Field = Field::optional(
    "userId",
    Kind::String,
    "Ignored over HTTP: the session's user is used",
);

const REDIRECT_ANSWER: Shape = Shape::Object(&[
    Prop::opt("url", Shape::String),
    Prop::req("redirect", Shape::Boolean),
    Prop::opt("token", Shape::String),
    Prop::opt("user", Shape::Ref("User")),
    Prop::opt("status", Shape::Boolean),
]);

const CALLBACK_FIELDS: &[Field] = &[
    Field::optional("code", Kind::String, "The authorization code"),
    Field::optional("state", Kind::String, "The state the sign-in sent"),
    Field::optional("error", Kind::String, "The provider's refusal"),
    Field::optional(
        "error_description",
        Kind::String,
        "The provider's words on it",
    ),
    Field::optional("iss", Kind::String, "The issuer (RFC 9207)"),
    Field::optional("user", Kind::String, "Apple's first-sign-in name, as JSON"),
    Field::optional("device_id", Kind::String, "Passed through"),
];

pub const FEATURE: Feature = Feature {
    name: "Social sign-in",
    about: "better-auth's social providers: Google, GitHub, Microsoft, Apple, Discord and GitLab (each on when its client id and secret are set), and any OpenID provider by discovery (`OIDC_PROVIDERS`), with account linking.",
    schemas: &[],
    migrations: &[],
    credential: None,
    endpoints: &[
        Endpoint {
            summary: "Start a sign-in with a provider (`{url, redirect}`), or sign in with an ID token the client obtained",
            login: true,
            rate: Some(Rule::CREDENTIALS),
            body: Body::Object(&[
                PROVIDER,
                CALLBACK_URL,
                Field::optional("newUserCallbackURL", Kind::Url, "Where a new user goes instead of `callbackURL`"),
                ERROR_CALLBACK_URL,
                DISABLE_REDIRECT,
                SCOPES,
                LOGIN_HINT,
                REQUEST_SIGN_UP,
                ID_TOKEN,
            ]),
            answers: &[Answer::json(REDIRECT_ANSWER)],
            errors: &[
                (404, Code::ProviderNotFound),
                (404, Code::IdTokenNotSupported),
                (401, Code::InvalidToken),
                (401, Code::FailedToGetUserInfo),
                (401, Code::UserEmailNotFound),
                (401, Code::OauthLinkError),
                (403, Code::BannedUser),
            ],
            ..Endpoint::post("/sign-in/social", "signInSocial", handler!(endpoints::sign_in_social))
        },
        Endpoint {
            summary: "The provider sends the browser back here: on to `callbackURL` signed in, or to the error URL with `?error=`",
            query: CALLBACK_FIELDS,
            answers: &[Answer::redirect("To `callbackURL` (`newUserCallbackURL` for a new user) with the session cookie, or to the error URL with `?error=<code>`")],
            ..Endpoint::get("/callback/:providerId", "callbackOAuth", handler!(endpoints::callback))
        },
        Endpoint {
            summary: "A `form_post` callback (Apple): sent on to the GET callback",
            form: true,
            body: Body::OptionalObject(CALLBACK_FIELDS),
            answers: &[Answer::redirect("To `GET /callback/:providerId` with the same fields")],
            ..Endpoint::post("/callback/:providerId", "callbackOAuthPost", handler!(endpoints::callback_form))
        },
        Endpoint {
            summary: "Link a provider's account to the signed-in user (`{url, redirect}`, or at once with an ID token)",
            requires: Requires::Session(Source::Durable),
            body: Body::Object(&[PROVIDER, CALLBACK_URL, ERROR_CALLBACK_URL, DISABLE_REDIRECT, SCOPES, LOGIN_HINT, REQUEST_SIGN_UP, ID_TOKEN]),
            answers: &[Answer::json(REDIRECT_ANSWER)],
            errors: &[
                (404, Code::ProviderNotFound),
                (404, Code::IdTokenNotSupported),
                (401, Code::InvalidToken),
                (401, Code::FailedToGetUserInfo),
                (401, Code::UserEmailNotFound),
                (401, Code::LinkingNotAllowed),
                (401, Code::LinkingDifferentEmailsNotAllowed),
                (409, Code::SocialAccountAlreadyLinked),
            ],
            ..Endpoint::post("/link-social", "linkSocial", handler!(endpoints::link_social))
        },
        Endpoint {
            summary: "Unlink one of the user's accounts (never the last one)",
            requires: Requires::FreshSession,
            body: Body::Object(&[ACCOUNT_ID]),
            answers: &[Answer::json(Shape::Object(&[Prop::req("status", Shape::True)]))],
            errors: &[(400, Code::FailedToUnlinkLastAccount), (400, Code::AccountNotFound)],
            ..Endpoint::post("/unlink-account", "unlinkAccount", handler!(endpoints::unlink_account))
        },
        Endpoint {
            summary: "The provider's access token for one of the user's accounts, refreshed first when it is about to expire",
            requires: Requires::Session(Source::Durable),
            body: Body::Object(&[ACCOUNT_ID, USER_ID]),
            answers: &[Answer::json(Shape::Object(&[
                Prop::req("accessToken", Shape::Nullable(&Shape::String)),
                Prop::opt("accessTokenExpiresAt", Shape::DateTime),
                Prop::req("scopes", Shape::Array(&Shape::String)),
                Prop::opt("idToken", Shape::String),
            ]))],
            errors: &[
                (400, Code::AccountNotFound),
                (400, Code::ProviderNotSupported),
                (400, Code::FailedToGetAccessToken),
            ],
            ..Endpoint::post("/get-access-token", "getAccessToken", handler!(endpoints::get_access_token))
        },
        Endpoint {
            summary: "New tokens from the provider for one of the user's accounts",
            requires: Requires::Session(Source::Durable),
            body: Body::Object(&[ACCOUNT_ID, USER_ID]),
            answers: &[Answer::json(Shape::Object(&[
                Prop::req("accessToken", Shape::Nullable(&Shape::String)),
                Prop::req("refreshToken", Shape::Nullable(&Shape::String)),
                Prop::req("accessTokenExpiresAt", Shape::Nullable(&Shape::DateTime)),
                Prop::req("refreshTokenExpiresAt", Shape::Nullable(&Shape::DateTime)),
                Prop::req("scope", Shape::Nullable(&Shape::String)),
                Prop::opt("idToken", Shape::String),
                Prop::req("providerId", Shape::String),
                Prop::req("accountId", Shape::String),
            ]))],
            errors: &[
                (400, Code::AccountNotFound),
                (400, Code::ProviderNotSupported),
                (400, Code::RefreshTokenNotFound),
                (400, Code::FailedToRefreshAccessToken),
            ],
            ..Endpoint::post("/refresh-token", "refreshToken", handler!(endpoints::refresh_token))
        },
        Endpoint {
            summary: "The provider's profile of one of the user's accounts",
            requires: Requires::Session(Source::Durable),
            query: &[Field::required("accountId", Kind::String, "The account's id, as `list-accounts` shows it")],
            answers: &[Answer::json(Shape::Object(&[
                Prop::req("user", Shape::Any),
                Prop::req("data", Shape::Any),
                Prop::req("account", Shape::Any),
            ]))],
            errors: &[
                (400, Code::AccountNotFound),
                (400, Code::ProviderNotConfigured),
                (400, Code::AccessTokenNotFound),
                (400, Code::FailedToGetAccessToken),
                (401, Code::FailedToGetUserInfo),
            ],
            ..Endpoint::get("/account-info", "accountInfo", handler!(endpoints::account_info))
        },
    ],
};
