//! The admin endpoints, each checking the caller's permission first, as better-auth does; the
//! helpers they share.

mod bans;
mod management;
mod user_sessions;

pub use bans::{ban_user, unban_user};
pub use management::{
    create_user, get_user, list_users, remove_user, set_role, set_user_password, update_user,
};
pub use user_sessions::{
    has_permission_endpoint, impersonate_user, list_user_sessions, revoke_user_session,
    revoke_user_sessions, stop_impersonating,
};

use crate::error::{ApiError, Code};
use crate::features::admin::permissions;
use crate::features::sync::{self, SyncChange};
use crate::kernel::context::Ctx;
use crate::kernel::response::Reply;
use crate::session::ActiveSession;
use crate::storage::users::{self, User};
use serde_json::json;

/// The signed-in admin, once `action` on `resource` is allowed to them.
pub(super) fn admin(
    ctx: &mut Ctx<'_>,
    resource: &str,
    action: &str,
    denied: Code,
) -> Result<ActiveSession, ApiError> {
    let session = ctx.signed_in()?;
    permissions::require(ctx.config, &session, resource, action, denied)?;
    Ok(session)
}

pub(super) fn user_id(ctx: &Ctx<'_>) -> Result<String, ApiError> {
    ctx.input
        .exact_text("userId")
        .ok_or_else(ApiError::internal)
}

pub(super) async fn target(ctx: &Ctx<'_>, id: &str) -> Result<User, ApiError> {
    users::find_by_id(ctx.drivers.sql.as_ref(), id)
        .await?
        .ok_or_else(|| ApiError::new(404, Code::UserNotFound))
}

/// Runs a change to the user (with its sync work) and answers `{user}` as it now is.
pub(super) async fn change_and_answer(
    ctx: &mut Ctx<'_>,
    id: &str,
    change: crate::storage::Statement,
) -> Result<Reply, ApiError> {
    let mut batch = vec![change];
    batch.extend(sync::record(ctx, id, SyncChange::Upsert)?);
    ctx.drivers.sql.batch(batch).await?;
    let user = target(ctx, id).await?;
    ctx.sessions().refresh_cached_user(&user, ctx.now).await?;
    Ok(Reply::json(json!({ "user": user })))
}
