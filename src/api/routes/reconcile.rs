//! The operator endpoints of the sync (payload-better-auth's shapes): `GET /reconcile/status`,
//! `POST /reconcile/run`, `/reconcile/ensure` and `/reconcile/delete`. They need the
//! `x-reconcile-token` header (`RECONCILE_TOKEN`) and are off while that or the sync is unset.

use crate::api::context::{Ctx, SyncChange};
use crate::api::request::header;
use crate::api::response::Reply;
use crate::config::SyncConfig;
use crate::crypto::{constant_time_eq, sha256_hex};
use crate::error::{ApiError, Code};
use crate::storage::{outbox, users};
use crate::sync::drain::Trouble;
use crate::sync::reconcile::{Reconcile, LAST_SEED_AT, ORPHANS_SEEN};
use serde_json::{json, Value};

/// The sync configuration, once the caller proved it holds the token.
fn authorize<'a>(ctx: &Ctx<'a>) -> Result<&'a SyncConfig, ApiError> {
    let (Some(token), Some(sync)) = (
        ctx.config.reconcile_token.as_ref(),
        ctx.config.sync.as_ref(),
    ) else {
        return Err(ApiError::message_only(
            404,
            "The reconcile endpoints are disabled: set RECONCILE_TOKEN and PAYLOAD_SYNC_URL",
        ));
    };
    let given = header(ctx.req, "x-reconcile-token").unwrap_or_default();
    // Digests first, so the comparison takes the same time whatever the given length.
    if !constant_time_eq(
        sha256_hex(given.as_bytes()).as_bytes(),
        sha256_hex(token.expose()).as_bytes(),
    ) {
        return Err(ApiError::new(401, Code::Unauthorized));
    }
    Ok(sync)
}

pub async fn status(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    authorize(ctx)?;
    let sql = ctx.drivers.sql.as_ref();
    let s = outbox::summary(sql, ctx.now).await?;
    let state = outbox::state(sql).await?;
    // D1 binds JavaScript numbers, which can come back as "5003.0".
    let number = |k: &str| {
        state
            .get(k)
            .and_then(|v| v.parse::<f64>().ok())
            .map(|v| v as i64)
    };
    Ok(Reply::json(json!({
        "queueSize": s.queue_size,
        "userOperationTasks": s.user_operations,
        "fullReconcileTasks": s.reconcile_tasks,
        "processing": s.processing > 0,
        "reconciling": state.contains_key("reconcile.id"),
        "processed": number("processed").unwrap_or(0),
        "failed": number("failed").unwrap_or(0),
        "lastError": state.get("lastError"),
        "lastSeedAt": number(LAST_SEED_AT),
        "deadTasks": s.dead,
        "pendingDeletions": s.deletions,
        "receiverOnlyUsers": number(ORPHANS_SEEN),
        "lastErrors": Trouble::ALL
            .iter()
            .map(|t| (t.name().to_string(), json!(state.get(t.state_key()))))
            .collect::<serde_json::Map<_, _>>(),
        "oldestPendingAgeMs": s.oldest_pending_created_at.map(|t| ctx.now - t),
        "lastDrainAt": number("lastDrainAt"),
    })))
}

/// Starts a full reconcile and returns at once; the cron advances it.
pub async fn run(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    let sync = authorize(ctx)?;
    let reconcile = Reconcile {
        sql: ctx.drivers.sql.as_ref(),
        outbound: ctx.drivers.outbound.as_ref(),
        clock: ctx.drivers.timer.as_ref(),
        sync,
    };
    let id = reconcile
        .start(ctx.now)
        .await
        .map_err(|e| ApiError::internal_because(e.to_string()))?;
    Ok(Reply::json(json!({"ok": true, "reconcileId": id})))
}

fn string_at<'b>(body: &'b Option<Value>, path: &[&str]) -> Option<&'b str> {
    let mut value = body.as_ref()?;
    for key in path {
        value = value.get(key)?;
    }
    value.as_str().filter(|s| !s.is_empty())
}

/// Queues an upsert of a user from portcullis' own data, sent right after the response.
pub async fn ensure(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    authorize(ctx)?;
    let id = string_at(&ctx.body, &["user", "id"])
        .ok_or_else(|| ApiError::message_only(400, "missing user"))?
        .to_string();
    if users::find_by_id(ctx.drivers.sql.as_ref(), &id)
        .await?
        .is_none()
    {
        return Err(ApiError::new(404, Code::UserNotFound));
    }
    let batch = ctx.sync_statements(&id, SyncChange::Upsert)?;
    ctx.drivers.sql.batch(batch).await?;
    Ok(Reply::json(json!({"ok": true})))
}

/// Queues the deletion of a user at the receiver.
pub async fn delete(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    authorize(ctx)?;
    let id = string_at(&ctx.body, &["baId"])
        .ok_or_else(|| ApiError::message_only(400, "missing baId"))?
        .to_string();
    if users::find_by_id(ctx.drivers.sql.as_ref(), &id)
        .await?
        .is_some()
    {
        ctx.log(
            crate::app::Level::Warn,
            &format!(
                "[reconcile] deleting {} at the receiver while the user still exists; the next reconcile recreates it",
                crate::app::loggable(&id)
            ),
        );
    }
    let batch = ctx.sync_statements(&id, SyncChange::Delete)?;
    ctx.drivers.sql.batch(batch).await?;
    Ok(Reply::json(json!({"ok": true})))
}
