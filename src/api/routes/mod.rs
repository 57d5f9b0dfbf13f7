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
use crate::rate_limit::Rule;
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

/// Each endpoint once: path, method, and the per-client rate rule requests to it count under
/// (`None`: not limited). The rules are better-auth's.
#[rustfmt::skip]
const TABLE: &[(&str, Method, Route, Option<Rule>)] = &[
    ("/sign-up/email", Method::POST, Route::SignUpEmail, Some(Rule::CREDENTIALS)),
    ("/sign-in/email", Method::POST, Route::SignInEmail, Some(Rule::CREDENTIALS)),
    ("/sign-out", Method::POST, Route::SignOut, Some(Rule::DEFAULT)),
    ("/get-session", Method::GET, Route::GetSession, Some(Rule::DEFAULT)),
    ("/list-sessions", Method::GET, Route::ListSessions, Some(Rule::DEFAULT)),
    ("/revoke-session", Method::POST, Route::RevokeSession, Some(Rule::DEFAULT)),
    ("/revoke-sessions", Method::POST, Route::RevokeSessions, Some(Rule::DEFAULT)),
    ("/revoke-other-sessions", Method::POST, Route::RevokeOtherSessions, Some(Rule::DEFAULT)),
    ("/update-user", Method::POST, Route::UpdateUser, Some(Rule::DEFAULT)),
    ("/change-password", Method::POST, Route::ChangePassword, Some(Rule::CREDENTIALS)),
    ("/delete-user", Method::POST, Route::DeleteUser, Some(Rule::DEFAULT)),
    ("/list-accounts", Method::GET, Route::ListAccounts, Some(Rule::DEFAULT)),
    ("/jwks", Method::GET, Route::Jwks, Some(Rule::DEFAULT)),
    ("/token", Method::GET, Route::Token, Some(Rule::DEFAULT)),
    // The operator token is a credential: guesses are limited like passwords.
    ("/reconcile/status", Method::GET, Route::ReconcileStatus, Some(Rule::CREDENTIALS)),
    ("/reconcile/run", Method::POST, Route::ReconcileRun, Some(Rule::CREDENTIALS)),
    ("/reconcile/ensure", Method::POST, Route::ReconcileEnsure, Some(Rule::CREDENTIALS)),
    ("/reconcile/delete", Method::POST, Route::ReconcileDelete, Some(Rule::CREDENTIALS)),
    ("/send-verification-email", Method::POST, Route::SendVerificationEmail, Some(Rule::MAIL)),
    ("/verify-email", Method::GET, Route::VerifyEmail, Some(Rule::DEFAULT)),
    ("/change-email", Method::POST, Route::ChangeEmail, Some(Rule::CREDENTIALS)),
    ("/request-password-reset", Method::POST, Route::RequestPasswordReset, Some(Rule::MAIL)),
    ("/reset-password/:token", Method::GET, Route::ResetPasswordCallback, Some(Rule::DEFAULT)),
    ("/reset-password", Method::POST, Route::ResetPassword, Some(Rule::DEFAULT)),
    ("/error", Method::GET, Route::ErrorPage, Some(Rule::DEFAULT)),
    ("/dev/mailbox", Method::GET, Route::DevMailbox, Some(Rule::DEFAULT)),
    // The health check does nothing: limiting it would cost more than answering it.
    ("/ok", Method::GET, Route::Ok, None),
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
            .find(|(p, m, r, _)| *p == path && m == method && *r != Route::ResetPasswordCallback)
            .map(|(_, _, r, _)| *r)
            .ok_or_else(ApiError::not_found)
    }

    fn declaration(self) -> Option<&'static (&'static str, Method, Route, Option<Rule>)> {
        TABLE.iter().find(|(_, _, r, _)| *r == self)
    }

    pub fn method(self) -> Method {
        self.declaration()
            .map(|(_, m, _, _)| m.clone())
            .unwrap_or(Method::GET)
    }

    /// The declared path (`/reset-password/:token` for the token links): what rate limits key on.
    pub fn path(self) -> &'static str {
        self.declaration().map_or("", |(p, _, _, _)| p)
    }

    /// The endpoint's own rate rule.
    pub fn rate_rule(self) -> Option<Rule> {
        self.declaration().and_then(|(_, _, _, rule)| *rule)
    }

    /// Every rule an endpoint declares.
    pub fn declared_rules() -> impl Iterator<Item = Rule> {
        TABLE.iter().filter_map(|(_, _, _, rule)| *rule)
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
