//! The operator endpoints of the sync (payload-better-auth's shapes): `GET /reconcile/status`,
//! `POST /reconcile/run`, `/reconcile/ensure` and `/reconcile/delete`. They need the
//! `x-reconcile-token` header (`RECONCILE_TOKEN`) and are off while that or the sync is unset.

use crate::config::SyncConfig;
use crate::features::sync::SyncChange;
use crate::kernel::context::Ctx;
use crate::kernel::response::Reply;

use crate::error::{ApiError, Code};
use crate::features::sync::drain::Trouble;
use crate::features::sync::outbox;
use crate::features::sync::reconcile::{Reconcile, LAST_SEED_AT, ORPHANS_SEEN};
use crate::storage::users;
use serde_json::{json, Map, Value};

/// The sync configuration (the kernel checked the operator token before).
fn authorize<'a>(ctx: &Ctx<'a>) -> Result<&'a SyncConfig, ApiError> {
    ctx.config.sync.as_ref().ok_or_else(|| {
        ApiError::message_only(
            404,
            "The reconcile endpoints are disabled: set RECONCILE_TOKEN and PAYLOAD_SYNC_URL",
        )
    })
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

fn string_at<'b>(body: &'b Map<String, Value>, path: &[&str]) -> Option<&'b str> {
    let (first, rest) = path.split_first()?;
    let mut value = body.get(*first)?;
    for key in rest {
        value = value.get(key)?;
    }
    value.as_str().filter(|s| !s.is_empty())
}

/// Queues an upsert of a user from portcullis' own data, sent right after the response.
pub async fn ensure(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    authorize(ctx)?;
    let id = string_at(ctx.input.body(), &["user", "id"])
        .ok_or_else(|| ApiError::validation("missing user"))?
        .to_string();
    if users::find_by_id(ctx.drivers.sql.as_ref(), &id)
        .await?
        .is_none()
    {
        return Err(ApiError::new(404, Code::UserNotFound));
    }
    let batch = crate::features::sync::record(ctx, &id, SyncChange::Upsert)?;
    ctx.drivers.sql.batch(batch).await?;
    Ok(Reply::json(json!({"ok": true})))
}

/// Queues the deletion of a user at the receiver.
pub async fn delete(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    authorize(ctx)?;
    let id = string_at(ctx.input.body(), &["baId"])
        .ok_or_else(|| ApiError::validation("missing baId"))?
        .to_string();
    if users::find_by_id(ctx.drivers.sql.as_ref(), &id)
        .await?
        .is_some()
    {
        ctx.log(
            crate::drivers::Level::Warn,
            &format!(
                "[reconcile] deleting {} at the receiver while the user still exists; the next reconcile recreates it",
                crate::drivers::loggable(&id)
            ),
        );
    }
    let batch = crate::features::sync::record(ctx, &id, SyncChange::Delete)?;
    ctx.drivers.sql.batch(batch).await?;
    Ok(Reply::json(json!({"ok": true})))
}
