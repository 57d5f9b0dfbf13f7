//! The signed-in user's own account: `update-user`, `change-password`, `delete-user` and
//! `list-accounts`.

mod accounts;
mod endpoints;

use crate::error::Code;
use crate::handler;
use crate::kernel::catalogue::{
    Answer, Body, Endpoint, Feature, Field, Kind, Prop, Requires, Shape, Switch,
};
use crate::kernel::formats::MAX_IMAGE_LEN;
use crate::rate_limit::Rule;
use crate::session::Source;

pub const FEATURE: Feature = Feature {
    migrations: &[],
    credential: None,
    name: "User",
    about: "The signed-in user's own profile, password, accounts and deletion.",
    schemas: &[
        (
            "User",
            Shape::Object(&[
                Prop::req("id", Shape::String),
                Prop::req("name", Shape::String),
                Prop::req("email", Shape::String),
                Prop::req("emailVerified", Shape::Boolean),
                Prop::req("image", Shape::Nullable(&Shape::String)),
                Prop::req("createdAt", Shape::DateTime),
                Prop::req("updatedAt", Shape::DateTime),
                Prop::req("role", Shape::Nullable(&Shape::String)),
                Prop::req("banned", Shape::Boolean),
                Prop::req("banReason", Shape::Nullable(&Shape::String)),
                Prop::req("banExpires", Shape::Nullable(&Shape::DateTime)),
                Prop::req("twoFactorEnabled", Shape::Boolean),
            ]),
        ),
        (
            "Account",
            Shape::Object(&[
                Prop::req("id", Shape::String),
                Prop::req("providerId", Shape::String),
                Prop::req("accountId", Shape::String),
                Prop::req("userId", Shape::String),
                Prop::req("createdAt", Shape::DateTime),
                Prop::req("updatedAt", Shape::DateTime),
                Prop::req("scopes", Shape::Array(&Shape::String)),
            ]),
        ),
    ],
    endpoints: &[
        Endpoint {
            summary: "Change the user's name or picture (not the email: see `change-email`)",
            requires: Requires::Session(Source::Cache),
            accepts_credential: true,
            body: Body::Record(&[
                Field::optional("name", Kind::Name, "Display name"),
                Field::optional("image", Kind::String, "Picture URL, or `null` to remove it")
                    .nullable()
                    .max(MAX_IMAGE_LEN),
            ]),
            answers: &[Answer::json(Shape::Object(&[Prop::req(
                "status",
                Shape::Boolean,
            )]))],
            errors: &[(400, Code::EmailCanNotBeUpdated)],
            uncoded: &[(400, "No fields to update")],
            ..Endpoint::post(
                "/update-user",
                "updateUser",
                handler!(endpoints::update_user),
            )
        },
        Endpoint {
            summary: "Change the password; optionally end every other session and open a new one",
            requires: Requires::Session(Source::Durable),
            rate: Some(Rule::CREDENTIALS),
            body: Body::Object(&[
                Field::required("newPassword", Kind::Password, "The new password"),
                Field::required("currentPassword", Kind::String, "The current password"),
                Field::optional(
                    "revokeOtherSessions",
                    Kind::Boolean,
                    "End every session and open a new one (default `false`)",
                ),
            ]),
            answers: &[Answer::json(Shape::Object(&[
                Prop::req("token", Shape::Nullable(&Shape::String)),
                Prop::req("user", Shape::Ref("User")),
            ]))],
            errors: &[
                (400, Code::PasswordTooShort),
                (400, Code::PasswordTooLong),
                (400, Code::InvalidPassword),
                (400, Code::CredentialAccountNotFound),
            ],
            ..Endpoint::post(
                "/change-password",
                "changePassword",
                handler!(endpoints::change_password),
            )
        },
        Endpoint {
            summary: "Delete the user, with its password (or, without one, from a fresh session)",
            requires: Requires::Session(Source::Durable),
            body: Body::OptionalObject(&[
                Field::optional("password", Kind::String, "The user's password"),
                Field::optional("callbackURL", Kind::Url, "Accepted for compatibility"),
            ]),
            answers: &[Answer::json(Shape::Object(&[
                Prop::req("success", Shape::Boolean),
                Prop::req("message", Shape::String),
            ]))],
            errors: &[
                (400, Code::InvalidPassword),
                (400, Code::PasswordTooLong),
                (400, Code::CredentialAccountNotFound),
                (400, Code::UserAlreadyHasPassword),
                (400, Code::SessionExpired),
            ],
            enabled_by: Some(Switch {
                setting: "DELETE_USER_ENABLED",
                is_on: |config| config.delete_user_enabled,
            }),
            ..Endpoint::post(
                "/delete-user",
                "deleteUser",
                handler!(endpoints::delete_user),
            )
        },
        Endpoint {
            summary: "The user's linked accounts, without tokens or password",
            requires: Requires::Session(Source::Cache),
            answers: &[Answer::json(Shape::Array(&Shape::Ref("Account")))],
            ..Endpoint::get(
                "/list-accounts",
                "listAccounts",
                handler!(accounts::list_accounts),
            )
        },
    ],
};
