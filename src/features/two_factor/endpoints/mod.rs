//! The two-factor endpoints: setting factors up and down (`setup`), and proving one (`verify`),
//! with what they share: the password confirmation and the session that replaces the current one
//! when the user's switch changes.

pub mod setup;
pub mod verify;

use super::store;
use crate::error::{ApiError, Code};
use crate::features::email_password::credentials::{self, check_not_too_long, Check};
use crate::features::sync::{self, SyncChange};
use crate::kernel::context::Ctx;
use crate::session::ActiveSession;
use crate::storage::users::User;
use crate::time::to_iso;

/// The body's `password` must be the user's: 400 `INVALID_PASSWORD` otherwise, also for a user
/// without one (better-auth's answer).
async fn confirm_password(ctx: &Ctx<'_>, user_id: &str) -> Result<(), ApiError> {
    let password = ctx.input.exact_text("password").unwrap_or_default();
    check_not_too_long(ctx.config, &password)?;
    let checked = credentials::check(
        ctx.drivers.sql.as_ref(),
        ctx.drivers.kdf.as_ref(),
        user_id,
        &password,
    )
    .await?;
    match checked {
        Check::Valid(_) => Ok(()),
        Check::Invalid | Check::NoCredential => Err(ApiError::new(400, Code::InvalidPassword)),
    }
}

/// Turns the user's second factor on or off (told to the sync), and replaces the session with
/// one that knows it, as better-auth does: the new session keeps the old one's expiry and
/// impersonation. Returns the new token and the user as changed.
async fn switch(
    ctx: &mut Ctx<'_>,
    session: &ActiveSession,
    enabled: bool,
    extra: Vec<crate::storage::Statement>,
) -> Result<(String, User), ApiError> {
    let now_iso = to_iso(ctx.now);
    let mut user = session.user.clone();
    user.two_factor_enabled = enabled;
    user.updated_at = now_iso.clone();
    let mut batch = extra;
    batch.push(store::set_enabled(&user.id, enabled, &now_iso));
    batch.extend(sync::record(ctx, &user.id, SyncChange::Upsert)?);
    ctx.drivers.sql.batch(batch).await?;

    let remember = !ctx.has_dont_remember();
    let sessions = ctx.sessions();
    let mut fresh = sessions.new_session(
        &user.id,
        remember,
        ctx.client_ip(),
        ctx.user_agent(),
        ctx.now,
    )?;
    fresh.record.expires_at = session.record.expires_at.clone();
    fresh.record.impersonated_by = session.record.impersonated_by.clone();
    sessions.store(&fresh, &user, ctx.now).await?;
    sessions
        .revoke_digests(std::slice::from_ref(&session.record.token_digest))
        .await?;
    ctx.set_session_cookie(&fresh.token, remember);
    Ok((fresh.token, user))
}
