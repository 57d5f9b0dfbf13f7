//! Banning and unbanning users.

use super::{admin, change_and_answer, target, user_id};
use crate::error::{ApiError, Code};
use crate::features::admin::store;
use crate::features::sync::{self, SyncChange};
use crate::kernel::context::Ctx;
use crate::kernel::response::Reply;
use crate::session::store as session_table;
use crate::storage::users;
use crate::time::{to_iso, SECOND};
use serde_json::json;
/// Bans the user and ends every session of theirs, D1 and KV, in the ban's own batch.
pub async fn ban_user(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    let session = admin(ctx, "user", "ban", Code::NotAllowedToBanUsers)?;
    let id = user_id(ctx)?;
    if id == session.user.id {
        return Err(ApiError::new(400, Code::YouCannotBanYourself));
    }
    target(ctx, &id).await?;
    let reason = ctx
        .input
        .text("banReason")
        .unwrap_or_else(|| "No reason".into());
    let seconds = ctx
        .input
        .number("banExpiresIn")
        .map(|s| s as i64)
        .or(ctx.config.admin.default_ban_expires_in);
    let expires = seconds.map(|s| to_iso(ctx.now + s * SECOND));
    let now_iso = to_iso(ctx.now);
    let mut batch = vec![store::ban(&id, &reason, expires.as_deref(), &now_iso)];
    batch.extend(sync::record(ctx, &id, SyncChange::Upsert)?);
    let deleting = batch.len();
    batch.push(session_table::delete_for_user(&id));
    ctx.sessions()
        .run_revoking(&id, batch, Some(deleting))
        .await?;
    let user = target(ctx, &id).await?;
    Ok(Reply::json(json!({ "user": user })))
}

pub async fn unban_user(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    admin(ctx, "user", "ban", Code::NotAllowedToBanUsers)?;
    let id = user_id(ctx)?;
    target(ctx, &id).await?;
    let change = users::lift_ban(&id, &to_iso(ctx.now));
    change_and_answer(ctx, &id, change).await
}
