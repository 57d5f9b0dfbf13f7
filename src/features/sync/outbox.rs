//! The sync outbox (`sync_outbox`, `sync_version`, `sync_state`): statements that join the batch of
//! a user change, so that if the change commits its sync work exists; and the claim, completion
//! and retry statements of the drain. One live row per user; a delete supersedes a pending upsert,
//! never the reverse; completion, retries and refusals are versioned, so a newer change made while
//! a row was in flight is still sent, whatever became of the older one.

use crate::storage::{query_all, Sql, Statement, StorageError};
use crate::time::Millis;
use serde::Deserialize;

/// `priority` of work caused by a user's own change (sent before reconcile work).
pub const USER_OPERATION: i64 = 0;
/// `priority` of work found by a full reconcile.
pub const RECONCILE: i64 = 1;
/// `sync_state` key: unix ms before which nothing is sent (the receiver's `Retry-After`).
pub const PAUSED_UNTIL: &str = "pausedUntil";

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OutboxRow {
    pub user_id: String,
    pub op: String,
    pub version: i64,
    pub event_id: String,
    pub priority: i64,
    pub status: String,
    pub attempts: i64,
    pub next_attempt_at: i64,
    pub lease_owner: Option<String>,
    pub lease_until: Option<i64>,
    pub last_error: Option<String>,
    /// When the change was made (unix ms); unset on rows queued before the column existed.
    #[serde(default)]
    pub changed_at: Option<i64>,
}

fn bump_version(user_id: &str) -> Statement {
    Statement::new(
        r#"insert into "sync_version" ("userId", "version") values (?1, 1) on conflict ("userId") do update set "version" = "sync_version"."version" + 1"#,
        vec![user_id.into()],
    )
}

/// A user was created or changed: bump its version and make sure an upsert is pending.
pub fn record_change(user_id: &str, event_id: &str, now: Millis) -> Vec<Statement> {
    vec![
        bump_version(user_id),
        Statement::new(
            r#"insert into "sync_outbox" ("userId", "op", "version", "eventId", "priority", "status", "attempts", "nextAttemptAt", "createdAt", "updatedAt", "changedAt")
               select "userId", 'upsert', "version", ?2, 0, 'pending', 0, ?3, ?3, ?3, ?3 from "sync_version" where "userId" = ?1
               on conflict ("userId") do update set
                 "op" = case when "sync_outbox"."op" = 'delete' then 'delete' else 'upsert' end,
                 "changedAt" = case when "sync_outbox"."op" = 'delete' then "sync_outbox"."changedAt" else excluded."changedAt" end,
                 "eventId" = case when "sync_outbox"."op" = 'delete' then "sync_outbox"."eventId" else excluded."eventId" end,
                 "version" = max("sync_outbox"."version", excluded."version"),
                 "priority" = 0,
                 "status" = case when "sync_outbox"."status" = 'inflight' then 'inflight' else 'pending' end,
                 "attempts" = 0,
                 "nextAttemptAt" = min("sync_outbox"."nextAttemptAt", excluded."nextAttemptAt"),
                 "lastError" = null,
                 "updatedAt" = excluded."updatedAt""#,
            vec![user_id.into(), event_id.into(), now.into()],
        ),
    ]
}

/// A user is being deleted: its delete, one version above everything sent before, replaces any
/// pending upsert. Put these statements in the same batch as the delete itself.
pub fn record_delete(user_id: &str, event_id: &str, now: Millis) -> Vec<Statement> {
    vec![
        bump_version(user_id),
        Statement::new(
            r#"insert into "sync_outbox" ("userId", "op", "version", "eventId", "priority", "status", "attempts", "nextAttemptAt", "createdAt", "updatedAt", "changedAt")
               select "userId", 'delete', "version", ?2, 0, 'pending', 0, ?3, ?3, ?3, ?3 from "sync_version" where "userId" = ?1
               on conflict ("userId") do update set
                 "op" = 'delete',
                 "changedAt" = excluded."changedAt",
                 "eventId" = excluded."eventId",
                 "version" = excluded."version",
                 "priority" = 0,
                 "status" = case when "sync_outbox"."status" = 'inflight' then 'inflight' else 'pending' end,
                 "attempts" = 0,
                 "nextAttemptAt" = excluded."nextAttemptAt",
                 "lastError" = null,
                 "updatedAt" = excluded."updatedAt""#,
            vec![user_id.into(), event_id.into(), now.into()],
        ),
    ]
}

/// Claims up to `limit` due rows (pending and due, or in flight with an expired lease) for
/// `owner` until `now + lease_ms`, user operations first; none while the receiver's pause lasts. One statement, so overlapping runs never
/// claim the same row. `user_id` narrows the claim to one user (the fast path after a change).
pub async fn claim(
    sql: &dyn Sql,
    owner: &str,
    now: Millis,
    lease_ms: Millis,
    limit: i64,
    user_id: Option<&str>,
) -> Result<Vec<OutboxRow>, StorageError> {
    query_all(
        sql,
        Statement::new(
            r#"update "sync_outbox" set "status" = 'inflight', "leaseOwner" = ?1, "leaseUntil" = ?2 + ?3
               where "userId" in (
                 select "userId" from "sync_outbox"
                 where (("status" = 'pending' and "nextAttemptAt" <= ?2) or ("status" = 'inflight' and "leaseUntil" < ?2))
                   and (?5 is null or "userId" = ?5)
                   and coalesce((select cast("value" as integer) from "sync_state" where "key" = 'pausedUntil'), 0) <= ?2
                 order by "priority", "nextAttemptAt" limit ?4)
               returning "userId", "op", "version", "eventId", "priority", "status", "attempts", "nextAttemptAt", "leaseOwner", "leaseUntil", "lastError", "changedAt""#,
            vec![owner.into(), now.into(), lease_ms.into(), limit.into(), user_id.into()],
        ),
    )
    .await
}

fn count(key: &'static str) -> Statement {
    count_by(key, 1)
}

fn count_by(key: &'static str, n: i64) -> Statement {
    Statement::new(
        r#"insert into "sync_state" ("key", "value") values (?1, cast(?2 as text)) on conflict ("key") do update set "value" = cast("sync_state"."value" as integer) + cast(?2 as integer)"#,
        vec![key.into(), n.into()],
    )
}

/// The receiver has these versions (`(userId, version)`, rows leased by `owner`): their rows go
/// in one statement, unless a newer version arrived meanwhile, which goes back to pending.
pub fn complete_all(delivered: &[(&str, i64)], owner: &str) -> Vec<Statement> {
    let pairs = serde_json::json!(delivered
        .iter()
        .map(|(id, version)| serde_json::json!([id, version]))
        .collect::<Vec<_>>())
    .to_string();
    let ids = serde_json::json!(delivered.iter().map(|(id, _)| id).collect::<Vec<_>>()).to_string();
    vec![
        Statement::new(
            r#"delete from "sync_outbox" where "userId" in (select json_extract("value", '$[0]') from json_each(?1))
                 and "version" = (select json_extract(d."value", '$[1]') from json_each(?1) d where json_extract(d."value", '$[0]') = "sync_outbox"."userId")"#,
            vec![pairs.into()],
        ),
        release_all(&ids, owner),
        count_by("processed", delivered.len() as i64),
    ]
}

/// Rows of `user_ids_json` leased by `owner` go back to pending as they are (not sent this
/// round, or a newer version written while they were in flight).
pub fn release_all(user_ids_json: &str, owner: &str) -> Statement {
    Statement::new(
        r#"update "sync_outbox" set "status" = 'pending', "leaseOwner" = null, "leaseUntil" = null
           where "userId" in (select "value" from json_each(?1)) and "status" = 'inflight' and "leaseOwner" = ?2"#,
        vec![user_ids_json.into(), owner.into()],
    )
}

/// Sets a `sync_state` value.
pub fn set_state(key: &'static str, value: &str) -> Statement {
    Statement::new(
        r#"insert into "sync_state" ("key", "value") values (?1, ?2) on conflict ("key") do update set "value" = excluded."value""#,
        vec![key.into(), value.into()],
    )
}

/// The receiver has `row`'s version: remove the row unless a newer version arrived meanwhile, in
/// which case it goes back to pending for the next send.
pub fn complete(row: &OutboxRow, owner: &str) -> Vec<Statement> {
    vec![
        Statement::new(
            r#"delete from "sync_outbox" where "userId" = ?1 and "version" = ?2"#,
            vec![row.user_id.as_str().into(), row.version.into()],
        ),
        release(&row.user_id, owner),
        count("processed"),
    ]
}

fn release(user_id: &str, owner: &str) -> Statement {
    Statement::new(
        r#"update "sync_outbox" set "status" = 'pending', "leaseOwner" = null, "leaseUntil" = null where "userId" = ?1 and "status" = 'inflight' and "leaseOwner" = ?2"#,
        vec![user_id.into(), owner.into()],
    )
}

/// A send of `row`'s version failed and may succeed later: back to pending at `next_attempt_at`.
/// A newer change written while it was in flight is not held back: it stays due, its attempts
/// untouched.
pub fn retry(
    row: &OutboxRow,
    owner: &str,
    next_attempt_at: Millis,
    error: &str,
    now: Millis,
) -> Vec<Statement> {
    vec![
        Statement::new(
            r#"update "sync_outbox" set "status" = 'pending',
                 "attempts" = case when "version" = ?6 then "attempts" + 1 else "attempts" end,
                 "nextAttemptAt" = case when "version" = ?6 then ?3 else "nextAttemptAt" end,
                 "lastError" = ?4, "leaseOwner" = null, "leaseUntil" = null, "updatedAt" = ?5
               where "userId" = ?1 and "leaseOwner" = ?2"#,
            vec![
                row.user_id.as_str().into(),
                owner.into(),
                next_attempt_at.into(),
                error.into(),
                now.into(),
                row.version.into(),
            ],
        ),
        count("failed"),
        set_state("lastError", error),
    ]
}

/// A send of `row`'s version failed for good (refused, or out of attempts): parked as dead until
/// a reconcile revives the work. A newer change written while it was in flight is never buried
/// with it: it goes back to pending, due at once.
pub fn bury(row: &OutboxRow, owner: &str, error: &str, now: Millis) -> Vec<Statement> {
    vec![
        Statement::new(
            r#"update "sync_outbox" set
                 "status" = case when "version" = ?5 then 'dead' else 'pending' end,
                 "attempts" = case when "version" = ?5 then "attempts" + 1 else "attempts" end,
                 "lastError" = ?3, "leaseOwner" = null, "leaseUntil" = null, "updatedAt" = ?4
               where "userId" = ?1 and "leaseOwner" = ?2"#,
            vec![
                row.user_id.as_str().into(),
                owner.into(),
                error.into(),
                now.into(),
                row.version.into(),
            ],
        ),
        count("failed"),
        set_state("lastError", error),
    ]
}

pub async fn rows(sql: &dyn Sql) -> Result<Vec<OutboxRow>, StorageError> {
    query_all(
        sql,
        Statement::new(
            r#"select "userId", "op", "version", "eventId", "priority", "status", "attempts", "nextAttemptAt", "leaseOwner", "leaseUntil", "lastError", "changedAt" from "sync_outbox" order by "priority", "nextAttemptAt""#,
            vec![],
        ),
    )
    .await
}

/// A reconcile found the receiver missing these users (`user_ids_json`, a JSON array) or behind:
/// queue upserts at reconcile priority, in two statements, without disturbing pending user
/// operations (dead rows are revived). Event ids are made in SQL.
pub fn reconcile_upsert_all(user_ids_json: &str, now: Millis) -> Vec<Statement> {
    vec![
        Statement::new(
            r#"insert into "sync_version" ("userId", "version") select "value", 1 from json_each(?1) where true
               on conflict ("userId") do nothing"#,
            vec![user_ids_json.into()],
        ),
        Statement::new(
            r#"insert into "sync_outbox" ("userId", "op", "version", "eventId", "priority", "status", "attempts", "nextAttemptAt", "createdAt", "updatedAt", "changedAt")
               select "userId", 'upsert', "version", 'evt_' || lower(hex(randomblob(12))), 1, 'pending', 0, ?2, ?2, ?2, ?2
               from "sync_version" where "userId" in (select "value" from json_each(?1))
               on conflict ("userId") do update set
                 "status" = case when "sync_outbox"."status" = 'dead' then 'pending' else "sync_outbox"."status" end,
                 "attempts" = case when "sync_outbox"."status" = 'dead' then 0 else "sync_outbox"."attempts" end,
                 "nextAttemptAt" = case when "sync_outbox"."status" = 'dead' then excluded."nextAttemptAt" else "sync_outbox"."nextAttemptAt" end"#,
            vec![user_ids_json.into(), now.into()],
        ),
    ]
}

/// A reconcile found a receiver-side user portcullis does not have (deleted here, or never
/// known and pruning is on): queue its delete with a version above the receiver's. Nothing for a
/// user that exists by the time the batch runs (created meanwhile).
pub fn reconcile_delete(
    user_id: &str,
    remote_version: i64,
    event_id: &str,
    now: Millis,
) -> Vec<Statement> {
    vec![
        Statement::new(
            r#"insert into "sync_version" ("userId", "version") select ?1, ?2 where not exists (select 1 from "user" where "id" = ?1)
               on conflict ("userId") do update set "version" = max("sync_version"."version" + 1, excluded."version")"#,
            vec![user_id.into(), (remote_version + 1).into()],
        ),
        Statement::new(
            r#"insert into "sync_outbox" ("userId", "op", "version", "eventId", "priority", "status", "attempts", "nextAttemptAt", "createdAt", "updatedAt", "changedAt")
               select "userId", 'delete', "version", ?2, 1, 'pending', 0, ?3, ?3, ?3, ?3 from "sync_version" where "userId" = ?1
                 and not exists (select 1 from "user" where "id" = ?1)
               on conflict ("userId") do update set "op" = 'delete', "version" = excluded."version", "eventId" = excluded."eventId", "changedAt" = excluded."changedAt",
                 "status" = case when "sync_outbox"."status" = 'inflight' then 'inflight' else 'pending' end, "attempts" = 0,
                 "nextAttemptAt" = excluded."nextAttemptAt", "updatedAt" = excluded."updatedAt""#,
            vec![user_id.into(), event_id.into(), now.into()],
        ),
    ]
}

/// Of the ids in `ids_json` (a JSON array), those portcullis once synced: a `sync_version` row
/// outlives its user, so these are users it deleted.
pub async fn known_ids(sql: &dyn Sql, ids_json: &str) -> Result<Vec<String>, StorageError> {
    let rows = sql
        .query(Statement::new(
            r#"select "userId" from "sync_version" where "userId" in (select "value" from json_each(?1))"#,
            vec![ids_json.into()],
        ))
        .await?;
    Ok(rows
        .into_iter()
        .filter_map(|r| Some(r.get("userId")?.as_str()?.to_string()))
        .collect())
}

/// Dead rows whose change the receiver holds after all (`settled_json`: `[[userId, version], …]`
/// of users at or past their local version): nothing is left to send for them.
pub fn clear_settled_dead(settled_json: &str) -> Statement {
    Statement::new(
        r#"delete from "sync_outbox" where "status" = 'dead' and exists (
             select 1 from json_each(?1) s
             where json_extract(s."value", '$[0]') = "sync_outbox"."userId" and json_extract(s."value", '$[1]') >= "sync_outbox"."version")"#,
        vec![settled_json.into()],
    )
}

/// Dead deletions of users the receiver does not have in `(after, up_to]` (`remote_json`: the ids
/// it has there): what they would have done is done.
pub fn clear_absent_dead_deletes(after: &str, up_to: Option<&str>, remote_json: &str) -> Statement {
    Statement::new(
        r#"delete from "sync_outbox" where "status" = 'dead' and "op" = 'delete' and "userId" > ?1
             and (?2 is null or "userId" <= ?2) and "userId" not in (select "value" from json_each(?3))"#,
        vec![after.into(), up_to.into(), remote_json.into()],
    )
}

/// One keyset page of local users after `after`, with their sync versions (0: never queued).
pub async fn local_page(
    sql: &dyn Sql,
    after: &str,
    limit: i64,
) -> Result<Vec<(String, i64)>, StorageError> {
    let rows = sql
        .query(Statement::new(
            r#"select u."id" as "id", coalesce(v."version", 0) as "version" from "user" u left join "sync_version" v on v."userId" = u."id" where u."id" > ?1 order by u."id" limit ?2"#,
            vec![after.into(), limit.into()],
        ))
        .await?;
    Ok(rows
        .into_iter()
        .filter_map(|r| {
            Some((
                r.get("id")?.as_str()?.to_string(),
                r.get("version")?.as_f64()? as i64,
            ))
        })
        .collect())
}

pub async fn state(
    sql: &dyn Sql,
) -> Result<std::collections::HashMap<String, String>, StorageError> {
    let rows = sql
        .query(Statement::new(
            r#"select "key", "value" from "sync_state""#,
            vec![],
        ))
        .await?;
    Ok(rows
        .into_iter()
        .filter_map(|r| {
            Some((
                r.get("key")?.as_str()?.to_string(),
                r.get("value")?.as_str()?.to_string(),
            ))
        })
        .collect())
}

/// Copies one `sync_state` value to another key (nothing when `from` is unset).
pub fn copy_state(from: &'static str, to: &'static str) -> Statement {
    Statement::new(
        r#"insert into "sync_state" ("key", "value") select ?2, "value" from "sync_state" where "key" = ?1
           on conflict ("key") do update set "value" = excluded."value""#,
        vec![from.into(), to.into()],
    )
}

pub fn clear_state(key: &'static str) -> Statement {
    Statement::new(
        r#"delete from "sync_state" where "key" = ?1"#,
        vec![key.into()],
    )
}

/// Queue figures for the status endpoint.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Summary {
    pub queue_size: i64,
    pub user_operations: i64,
    pub reconcile_tasks: i64,
    pub processing: i64,
    pub dead: i64,
    /// Deletions known to portcullis and not yet delivered (pending, in flight or dead).
    pub deletions: i64,
    pub oldest_pending_created_at: Option<i64>,
}

pub async fn summary(sql: &dyn Sql, now: Millis) -> Result<Summary, StorageError> {
    let rows = sql
        .query(Statement::new(
            r#"select
                 count(case when "status" in ('pending', 'inflight') then 1 end) as "queue",
                 count(case when "status" in ('pending', 'inflight') and "priority" = 0 then 1 end) as "user",
                 count(case when "status" in ('pending', 'inflight') and "priority" = 1 then 1 end) as "reconcile",
                 count(case when "status" = 'inflight' and "leaseUntil" > ?1 then 1 end) as "processing",
                 count(case when "status" = 'dead' then 1 end) as "dead",
                 count(case when "op" = 'delete' then 1 end) as "deletions",
                 min(case when "status" in ('pending', 'inflight') then "createdAt" end) as "oldest"
               from "sync_outbox""#,
            vec![now.into()],
        ))
        .await?;
    let row = rows.into_iter().next().unwrap_or_default();
    let n = |k: &str| row.get(k).and_then(|v| v.as_f64()).map(|v| v as i64);
    Ok(Summary {
        queue_size: n("queue").unwrap_or(0),
        user_operations: n("user").unwrap_or(0),
        reconcile_tasks: n("reconcile").unwrap_or(0),
        processing: n("processing").unwrap_or(0),
        dead: n("dead").unwrap_or(0),
        deletions: n("deletions").unwrap_or(0),
        oldest_pending_created_at: n("oldest"),
    })
}
