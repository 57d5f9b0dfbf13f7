//! better-auth's admin plugin: roles and permissions, bans (enforced wherever a session is
//! opened, see [`crate::session::bans`]), and the `/admin/*` endpoints operators and services use
//! through `adminClient()`.

mod endpoints;
pub mod listing;
pub mod permissions;
mod store;

use crate::error::Code;
use crate::handler;
use crate::kernel::catalogue::{
    Answer, Body, Endpoint, Feature, Field, Kind, Prop, Requires, Shape,
};
use crate::session::Source;

const USER_ID: Field = Field::required("userId", Kind::String, "The user's id");
const USER: Shape = Shape::Object(&[Prop::req("user", Shape::Ref("User"))]);
const SESSION_AND_USER: Shape = Shape::Object(&[
    Prop::req("session", Shape::Ref("Session")),
    Prop::req("user", Shape::Ref("User")),
]);
const SUCCESS: Shape = Shape::Object(&[Prop::req("success", Shape::True)]);

/// An admin endpoint: the caller's session is read from D1 (never the cache), as better-auth's
/// admin middleware does, and an API key may stand for it (its permissions then narrow the
/// admin's); each handler then checks the caller's permission.
const fn admin(endpoint: Endpoint) -> Endpoint {
    Endpoint {
        requires: Requires::Session(Source::Durable),
        accepts_credential: true,
        ..endpoint
    }
}

/// An admin endpoint that opens or closes sessions in the browser: a real session only.
const fn admin_in_browser(endpoint: Endpoint) -> Endpoint {
    Endpoint {
        accepts_credential: false,
        ..admin(endpoint)
    }
}

pub const FEATURE: Feature = Feature {
    name: "Admin",
    about: "better-auth's admin plugin: roles (`ADMIN_ROLES` hold the admin permissions, `ADMIN_ROLE_PERMISSIONS` defines more, `ADMIN_USER_IDS` pass every check), bans, and managing other users and their sessions.",
    schemas: &[],
    migrations: &["0007_admin.sql", "0008_user_listing_index.sql"],
    credential: None,
    endpoints: &[
        admin(Endpoint {
            summary: "Create a user (with a credential account when a password is given)",
            body: Body::Object(&[
                Field::required("email", Kind::String, "Email address (stored lowercased)"),
                Field::optional("password", Kind::String, "Password; without one the user has no credential account"),
                Field::required("name", Kind::String, "Display name"),
                Field::optional("role", Kind::StringList, "A role or a list of roles (default `DEFAULT_ROLE`)"),
                Field::optional("data", Kind::Object, "More fields: `emailVerified`, `image`, `banned`, `banReason`, `banExpires`"),
            ]),
            answers: &[Answer::json(USER)],
            errors: &[
                (400, Code::InvalidEmail),
                (400, Code::PasswordTooLong),
                (400, Code::UserAlreadyExistsUseAnotherEmail),
                (400, Code::NotAllowedToSetNonExistentValue),
                (403, Code::NotAllowedToCreateUsers),
                (403, Code::NotAllowedToChangeUsersRole),
                (403, Code::NotAllowedToBanUsers),
            ],
            ..Endpoint::post("/admin/create-user", "createUser", handler!(endpoints::create_user))
        }),
        admin(Endpoint {
            summary: "Change a user's fields (each behind its permission); a ban ends their sessions",
            body: Body::Object(&[
                USER_ID,
                Field::required("data", Kind::Object, "Any of `name`, `image`, `email`, `emailVerified`, `role`, `banned`, `banReason`, `banExpires`"),
            ]),
            answers: &[Answer::json(Shape::Ref("User"))],
            errors: &[
                (400, Code::NoDataToUpdate),
                (400, Code::PasswordCannotBeUpdatedViaUpdateUser),
                (400, Code::UserIdCannotBeUpdated),
                (400, Code::InvalidRoleType),
                (400, Code::NotAllowedToSetNonExistentValue),
                (400, Code::InvalidEmail),
                (400, Code::UserAlreadyExistsUseAnotherEmail),
                (400, Code::YouCannotBanYourself),
                (403, Code::NotAllowedToUpdateUsers),
                (403, Code::NotAllowedToChangeUsersRole),
                (403, Code::NotAllowedToBanUsers),
                (403, Code::NotAllowedToSetUsersEmail),
                (404, Code::UserNotFound),
            ],
            ..Endpoint::post("/admin/update-user", "adminUpdateUser", handler!(endpoints::update_user))
        }),
        admin(Endpoint {
            summary: "Set a user's roles (several roles are stored comma-separated)",
            body: Body::Object(&[USER_ID, Field::required("role", Kind::StringList, "A role or a list of roles")]),
            answers: &[Answer::json(USER)],
            errors: &[
                (400, Code::NotAllowedToSetNonExistentValue),
                (403, Code::NotAllowedToChangeUsersRole),
                (404, Code::UserNotFound),
            ],
            ..Endpoint::post("/admin/set-role", "setRole", handler!(endpoints::set_role))
        }),
        admin(Endpoint {
            summary: "Users: search, filter, sort and page, with the total under the same conditions",
            query: &[
                Field::optional("searchValue", Kind::String, "Text to search for"),
                Field::optional("searchField", Kind::String, "`email` (default) or `name`"),
                Field::optional("searchOperator", Kind::String, "`contains` (default), `starts_with` or `ends_with`"),
                Field::optional("filterField", Kind::String, "A user field (default `email`)"),
                Field::optional("filterValue", Kind::String, "The value (repeat it, or separate with commas, for `in` and `not_in`)"),
                Field::optional("filterOperator", Kind::String, "`eq` (default), `ne`, `lt`, `lte`, `gt`, `gte`, `in`, `not_in`, `contains`, `starts_with`, `ends_with`"),
                Field::optional("sortBy", Kind::String, "A user field (default `createdAt`)"),
                Field::optional("sortDirection", Kind::String, "`asc` (default) or `desc`"),
                Field::optional("limit", Kind::String, "Users per page (default 100, at most 1000)"),
                Field::optional("offset", Kind::String, "Users to skip"),
            ],
            answers: &[Answer::json(Shape::Object(&[
                Prop::req("users", Shape::Array(&Shape::Ref("User"))),
                Prop::req("total", Shape::Integer),
                Prop::opt("limit", Shape::Integer),
                Prop::opt("offset", Shape::Integer),
            ]))],
            errors: &[(403, Code::NotAllowedToListUsers)],
            ..Endpoint::get("/admin/list-users", "listUsers", handler!(endpoints::list_users))
        }),
        admin(Endpoint {
            summary: "A user, by id (the bare user object, as better-auth answers)",
            query: &[Field::required("id", Kind::String, "The user's id")],
            answers: &[Answer::json(Shape::Ref("User"))],
            errors: &[(403, Code::NotAllowedToGetUser), (404, Code::UserNotFound)],
            ..Endpoint::get("/admin/get-user", "getUser", handler!(endpoints::get_user))
        }),
        admin(Endpoint {
            summary: "Ban a user: every session of theirs ends now, and none opens until the ban ends",
            body: Body::Object(&[
                USER_ID,
                Field::optional("banReason", Kind::String, "Shown to operators (default \"No reason\")"),
                Field::optional("banExpiresIn", Kind::Number, "Seconds until the ban lifts itself (default `DEFAULT_BAN_EXPIRES_IN`, else never)"),
            ]),
            answers: &[Answer::json(USER)],
            errors: &[
                (400, Code::YouCannotBanYourself),
                (403, Code::NotAllowedToBanUsers),
                (404, Code::UserNotFound),
            ],
            ..Endpoint::post("/admin/ban-user", "banUser", handler!(endpoints::ban_user))
        }),
        admin(Endpoint {
            summary: "Lift a user's ban",
            body: Body::Object(&[USER_ID]),
            answers: &[Answer::json(USER)],
            errors: &[(403, Code::NotAllowedToBanUsers), (404, Code::UserNotFound)],
            ..Endpoint::post("/admin/unban-user", "unbanUser", handler!(endpoints::unban_user))
        }),
        admin(Endpoint {
            summary: "A user's live sessions (each `token` is the handle `revoke-user-session` takes)",
            body: Body::Object(&[USER_ID]),
            answers: &[Answer::json(Shape::Object(&[Prop::req("sessions", Shape::Array(&Shape::Ref("Session")))]))],
            errors: &[(403, Code::NotAllowedToListUsersSessions)],
            ..Endpoint::post("/admin/list-user-sessions", "listUserSessions", handler!(endpoints::list_user_sessions))
        }),
        admin(Endpoint {
            summary: "End one session, by token or handle",
            body: Body::Object(&[Field::required("sessionToken", Kind::String, "A session token, or its handle from `list-user-sessions`")]),
            answers: &[Answer::json(SUCCESS)],
            errors: &[(403, Code::NotAllowedToRevokeUsersSessions)],
            ..Endpoint::post("/admin/revoke-user-session", "revokeUserSession", handler!(endpoints::revoke_user_session))
        }),
        admin(Endpoint {
            summary: "End every session of a user",
            body: Body::Object(&[USER_ID]),
            answers: &[Answer::json(SUCCESS)],
            errors: &[(403, Code::NotAllowedToRevokeUsersSessions)],
            ..Endpoint::post("/admin/revoke-user-sessions", "revokeUserSessions", handler!(endpoints::revoke_user_sessions))
        }),
        admin(Endpoint {
            summary: "Delete a user with their accounts and sessions",
            body: Body::Object(&[USER_ID]),
            answers: &[Answer::json(SUCCESS)],
            errors: &[
                (400, Code::YouCannotRemoveYourself),
                (403, Code::NotAllowedToDeleteUsers),
                (404, Code::UserNotFound),
            ],
            ..Endpoint::post("/admin/remove-user", "removeUser", handler!(endpoints::remove_user))
        }),
        admin(Endpoint {
            summary: "Set a user's password",
            body: Body::Object(&[
                Field::required("newPassword", Kind::Password, "The new password"),
                USER_ID,
            ]),
            answers: &[Answer::json(Shape::Object(&[Prop::req("status", Shape::Boolean)]))],
            errors: &[
                (400, Code::PasswordTooShort),
                (400, Code::PasswordTooLong),
                (403, Code::NotAllowedToSetUsersPassword),
                (404, Code::UserNotFound),
            ],
            ..Endpoint::post("/admin/set-user-password", "setUserPassword", handler!(endpoints::set_user_password))
        }),
        admin_in_browser(Endpoint {
            summary: "Sign in as the user for a while (`IMPERSONATION_SESSION_DURATION`); the admin's session waits in a cookie",
            body: Body::Object(&[USER_ID]),
            answers: &[Answer::json(SESSION_AND_USER)],
            errors: &[
                (403, Code::NotAllowedToImpersonateUsers),
                (403, Code::YouCannotImpersonateAdmins),
                (403, Code::BannedUser),
                (404, Code::UserNotFound),
            ],
            ..Endpoint::post("/admin/impersonate-user", "impersonateUser", handler!(endpoints::impersonate_user))
        }),
        admin_in_browser(Endpoint {
            summary: "End the impersonation and return to the admin's own session",
            answers: &[Answer::json(SESSION_AND_USER)],
            uncoded: &[
                (400, "You are not impersonating anyone"),
                (500, "Failed to find admin session"),
            ],
            ..Endpoint::post("/admin/stop-impersonating", "stopImpersonating", handler!(endpoints::stop_impersonating))
        }),
        Endpoint {
            summary: "Whether the signed-in user holds the permissions asked",
            // Roles change under cached sessions: the answer reads the user from D1.
            requires: Requires::Session(Source::Durable),
            accepts_credential: true,
            body: Body::Object(&[
                Field::optional("permissions", Kind::Object, "`{resource: [action, …]}`, e.g. `{\"user\": [\"ban\"]}`"),
                Field::optional("permission", Kind::Object, "The same (deprecated)"),
                Field::optional("userId", Kind::String, "Ignored over HTTP: the session's user is checked"),
                Field::optional("role", Kind::String, "Ignored over HTTP: the session's user is checked"),
            ]),
            answers: &[Answer::json(Shape::Object(&[
                Prop::req("error", Shape::Null),
                Prop::req("success", Shape::Boolean),
            ]))],
            uncoded: &[(400, "invalid permission check. no permission(s) were passed.")],
            ..Endpoint::post("/admin/has-permission", "hasPermission", handler!(endpoints::has_permission_endpoint))
        },
    ],
};
