//! The endpoint table under the base path; one file per endpoint family.

pub use jwt::well_known;

mod account;
pub mod email;
mod jwt;
mod pages;
mod password;
mod reconcile;
mod session;
mod sign_in;
mod sign_up;
mod user;

use super::context::Ctx;
use super::response::Reply;
use crate::error::{ApiError, Code};
use http::Method;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Route {
    SignUpEmail,
    SignInEmail,
    SignOut,
    GetSession,
    ListSessions,
    RevokeSession,
    RevokeSessions,
    RevokeOtherSessions,
    UpdateUser,
    ChangePassword,
    DeleteUser,
    ListAccounts,
    Jwks,
    Token,
    ReconcileStatus,
    ReconcileRun,
    ReconcileEnsure,
    ReconcileDelete,
    SendVerificationEmail,
    VerifyEmail,
    ChangeEmail,
    RequestPasswordReset,
    /// `GET /reset-password/:token`
    ResetPasswordCallback,
    ResetPassword,
    ErrorPage,
    DevMailbox,
    Ok,
}

const TABLE: &[(&str, Method, Route)] = &[
    ("/sign-up/email", Method::POST, Route::SignUpEmail),
    ("/sign-in/email", Method::POST, Route::SignInEmail),
    ("/sign-out", Method::POST, Route::SignOut),
    ("/get-session", Method::GET, Route::GetSession),
    ("/list-sessions", Method::GET, Route::ListSessions),
    ("/revoke-session", Method::POST, Route::RevokeSession),
    ("/revoke-sessions", Method::POST, Route::RevokeSessions),
    (
        "/revoke-other-sessions",
        Method::POST,
        Route::RevokeOtherSessions,
    ),
    ("/update-user", Method::POST, Route::UpdateUser),
    ("/change-password", Method::POST, Route::ChangePassword),
    ("/delete-user", Method::POST, Route::DeleteUser),
    ("/list-accounts", Method::GET, Route::ListAccounts),
    ("/jwks", Method::GET, Route::Jwks),
    ("/token", Method::GET, Route::Token),
    ("/reconcile/status", Method::GET, Route::ReconcileStatus),
    ("/reconcile/run", Method::POST, Route::ReconcileRun),
    ("/reconcile/ensure", Method::POST, Route::ReconcileEnsure),
    ("/reconcile/delete", Method::POST, Route::ReconcileDelete),
    (
        "/send-verification-email",
        Method::POST,
        Route::SendVerificationEmail,
    ),
    ("/verify-email", Method::GET, Route::VerifyEmail),
    ("/change-email", Method::POST, Route::ChangeEmail),
    (
        "/request-password-reset",
        Method::POST,
        Route::RequestPasswordReset,
    ),
    ("/reset-password", Method::POST, Route::ResetPassword),
    ("/error", Method::GET, Route::ErrorPage),
    ("/dev/mailbox", Method::GET, Route::DevMailbox),
    ("/ok", Method::GET, Route::Ok),
];

/// `/reset-password/` followed by one path segment: the token.
const RESET_PASSWORD_CALLBACK: &str = "/reset-password/";

impl Route {
    /// Unknown paths and known paths with another method are a bodiless 404, as in better-auth.
    pub fn resolve(method: &Method, path: &str) -> Result<Route, ApiError> {
        if path == "/get-session" && method == Method::POST {
            return Err(ApiError::new(
                405,
                Code::MethodNotAllowedDeferSessionRequired,
            ));
        }
        if method == Method::GET
            && path
                .strip_prefix(RESET_PASSWORD_CALLBACK)
                .is_some_and(|token| !token.is_empty() && !token.contains('/'))
        {
            return Ok(Route::ResetPasswordCallback);
        }
        TABLE
            .iter()
            .find(|(p, m, _)| *p == path && m == method)
            .map(|(_, _, r)| *r)
            .ok_or_else(ApiError::not_found)
    }

    pub fn method(self) -> Method {
        TABLE
            .iter()
            .find(|(_, _, r)| *r == self)
            .map(|(_, m, _)| m.clone())
            .unwrap_or(Method::GET)
    }

    pub fn is_login(self) -> bool {
        matches!(self, Route::SignUpEmail | Route::SignInEmail)
    }

    pub fn accepts_form(self) -> bool {
        self.is_login()
    }

    pub async fn run(self, ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
        match self {
            Route::SignUpEmail => sign_up::sign_up_email(ctx).await,
            Route::SignInEmail => sign_in::sign_in_email(ctx).await,
            Route::SignOut => session::sign_out(ctx).await,
            Route::GetSession => session::get_session(ctx).await,
            Route::ListSessions => session::list_sessions(ctx).await,
            Route::RevokeSession => session::revoke_session(ctx).await,
            Route::RevokeSessions => session::revoke_sessions(ctx).await,
            Route::RevokeOtherSessions => session::revoke_other_sessions(ctx).await,
            Route::UpdateUser => user::update_user(ctx).await,
            Route::ChangePassword => user::change_password(ctx).await,
            Route::DeleteUser => user::delete_user(ctx).await,
            Route::ListAccounts => account::list_accounts(ctx).await,
            Route::Jwks => jwt::jwks(ctx).await,
            Route::Token => jwt::token(ctx).await,
            Route::ReconcileStatus => reconcile::status(ctx).await,
            Route::ReconcileRun => reconcile::run(ctx).await,
            Route::ReconcileEnsure => reconcile::ensure(ctx).await,
            Route::ReconcileDelete => reconcile::delete(ctx).await,
            Route::SendVerificationEmail => email::send_verification_email(ctx).await,
            Route::VerifyEmail => email::verify_email(ctx).await,
            Route::ChangeEmail => email::change_email(ctx).await,
            Route::RequestPasswordReset => password::request_password_reset(ctx).await,
            Route::ResetPasswordCallback => {
                let path = ctx.req.uri().path();
                let token = path.rsplit('/').next().unwrap_or_default().to_string();
                password::reset_password_callback(ctx, &token).await
            }
            Route::ResetPassword => password::reset_password(ctx).await,
            Route::ErrorPage => Ok(pages::error_page(ctx)),
            Route::DevMailbox => pages::dev_mailbox(ctx).await,
            Route::Ok => Ok(Reply::json(serde_json::json!({"ok": true}))),
        }
    }
}
