//! The full reconcile: local users in keyset pages by id, compared with the receiver's signed
//! manifest for the same id range; only differences are queued (at reconcile priority, so user
//! operations go first). The cursor lives in `sync_state`, so a reconcile resumes across cron
//! runs, and inserts or deletes between pages cannot shift it.

use super::signed_post;
use crate::config::SyncConfig;
use crate::crypto::random;
use crate::features::sync::outbox;
use crate::net::outbound::Outbound;
use crate::storage::{Sql, Statement, StorageError};
use crate::time::{Millis, Timer};
use serde::Deserialize;
use serde_json::json;
use std::collections::HashMap;
use thiserror::Error;

pub const MANIFEST_PATH: &str = "/api/ba-sync/manifest";

const ID: &str = "reconcile.id";
const CURSOR: &str = "reconcile.cursor";
const ORPHANS: &str = "reconcile.orphans";
/// Receiver-only users the last finished reconcile saw.
pub const ORPHANS_SEEN: &str = "lastReconcileOrphans";
pub const LAST_SEED_AT: &str = "lastSeedAt";
pub const LAST_FINISHED_AT: &str = "lastReconcileFinishedAt";

#[derive(Debug, Error)]
pub enum ReconcileError {
    #[error(transparent)]
    Storage(#[from] StorageError),
    #[error("the manifest request failed: {0}")]
    Manifest(String),
}

/// Budget units a step costs at most: the local page, one manifest request, the sync versions of
/// receiver-only users (when there are any), and the write.
const STEP_COST: i64 = 4;

#[derive(Debug, Default, PartialEq, Eq)]
pub struct ReconcileReport {
    /// Budget units spent (D1 calls and fetches).
    pub spent: i64,
    pub id: Option<String>,
    pub pages: i64,
    pub requests: i64,
    pub queued_upserts: i64,
    pub queued_deletes: i64,
    pub orphans_seen: i64,
    pub finished: bool,
}

#[derive(Deserialize)]
struct Manifest {
    users: Vec<RemoteUser>,
    #[serde(default, rename = "hasMore")]
    has_more: bool,
}

#[derive(Deserialize)]
struct RemoteUser {
    id: String,
    version: i64,
}

pub struct Reconcile<'a> {
    pub sql: &'a dyn Sql,
    pub outbound: &'a dyn Outbound,
    /// Read for each manifest request's signature: a long run never signs with a stale time.
    pub clock: &'a dyn Timer,
    pub sync: &'a SyncConfig,
}

fn random_id(prefix: &str) -> Result<String, ReconcileError> {
    random::alphanumeric(20)
        .map(|r| format!("{prefix}{r}"))
        .map_err(|e| ReconcileError::Manifest(e.to_string()))
}

impl Reconcile<'_> {
    /// Starts (or restarts) a reconcile from the first user; returns its id.
    pub async fn start(&self, now: Millis) -> Result<String, ReconcileError> {
        let id = random_id("rec_")?;
        self.sql
            .batch(vec![
                outbox::set_state(ID, &id),
                outbox::set_state(CURSOR, ""),
                outbox::set_state(ORPHANS, "0"),
                outbox::set_state(LAST_SEED_AT, &now.to_string()),
            ])
            .await?;
        Ok(id)
    }

    /// Whether the cron should start one: every `RECONCILE_EVERY_MS`, and once on the first run
    /// after deployment unless `RECONCILE_ON_BOOT=false`.
    pub fn is_due(&self, state: &HashMap<String, String>, now: Millis) -> bool {
        if state.contains_key(ID) {
            return false;
        }
        match state
            .get(LAST_SEED_AT)
            .and_then(|v| v.parse::<Millis>().ok())
        {
            None => self.sync.reconcile.on_boot,
            Some(last) => now - last >= self.sync.reconcile.every_ms,
        }
    }

    /// Advances the running reconcile step by step until it finishes or `budget` units (D1 calls
    /// and fetches) would be exceeded. A step compares one manifest request's worth of users and
    /// stores its cursor, so a range holding many receiver-only users resumes in the next run
    /// instead of starting over.
    pub async fn advance(
        &self,
        now: Millis,
        budget: i64,
    ) -> Result<ReconcileReport, ReconcileError> {
        let mut report = ReconcileReport {
            spent: 1,
            ..ReconcileReport::default()
        };
        let state = outbox::state(self.sql).await?;
        let (Some(id), Some(mut cursor)) = (state.get(ID).cloned(), state.get(CURSOR).cloned())
        else {
            return Ok(report);
        };
        report.id = Some(id);
        // The receiver asked for a pause (Retry-After): no manifest requests either until then.
        let paused_until = state
            .get(outbox::PAUSED_UNTIL)
            .and_then(|v| v.parse::<f64>().ok())
            .map_or(0, |v| v as Millis);
        if paused_until > self.clock.now() {
            return Ok(report);
        }
        let page_size = self.sync.reconcile.page_size;
        while report.spent + STEP_COST <= budget {
            let local = outbox::local_page(self.sql, &cursor, page_size).await?;
            let up_to = if (local.len() as i64) < page_size {
                None
            } else {
                local.last().map(|(id, _)| id.clone())
            };
            let (remote, more) = self
                .manifest(&cursor, up_to.as_deref(), &mut report)
                .await?;
            // The range this step settles: up to the receiver's last user when it has more in
            // the page, else the whole page.
            let end = match (more, remote.last()) {
                (true, Some(last)) => Some(last.id.clone()),
                _ => up_to,
            };
            let local: Vec<(String, i64)> = local
                .into_iter()
                .filter(|(id, _)| end.as_deref().is_none_or(|e| id.as_str() <= e))
                .collect();
            let mut batch = self.differences(&local, &remote, now, &mut report).await?;
            let remote_ids: Vec<&str> = remote.iter().map(|r| r.id.as_str()).collect();
            batch.push(outbox::clear_absent_dead_deletes(
                &cursor,
                end.as_deref(),
                &json!(remote_ids).to_string(),
            ));
            report.pages += 1;
            report.spent += 2;
            match end {
                Some(next) => {
                    batch.push(outbox::set_state(CURSOR, &next));
                    cursor = next;
                    self.sql.batch(batch).await?;
                }
                None => {
                    batch.extend([
                        outbox::copy_state(ORPHANS, ORPHANS_SEEN),
                        outbox::clear_state(ID),
                        outbox::clear_state(CURSOR),
                        outbox::set_state(LAST_FINISHED_AT, &now.to_string()),
                    ]);
                    self.sql.batch(batch).await?;
                    report.finished = true;
                    break;
                }
            }
        }
        Ok(report)
    }

    /// One manifest request: the receiver's users in `(after, up_to]` (to the end when `up_to` is
    /// `None`), at most a page, and whether it has more in that range.
    async fn manifest(
        &self,
        after: &str,
        up_to: Option<&str>,
        report: &mut ReconcileReport,
    ) -> Result<(Vec<RemoteUser>, bool), ReconcileError> {
        let after_value = if after.is_empty() {
            json!(null)
        } else {
            json!(after)
        };
        let body =
            json!({"after": after_value, "upTo": up_to, "limit": self.sync.reconcile.page_size})
                .to_string()
                .into_bytes();
        let signed_at = self.clock.now();
        let request = signed_post(
            self.sync,
            MANIFEST_PATH,
            &random_id("man_")?,
            body,
            signed_at,
        )
        .map_err(|e| ReconcileError::Manifest(e.to_string()))?;
        report.requests += 1;
        report.spent += 1;
        let response = self
            .outbound
            .send(request)
            .await
            .map_err(|e| ReconcileError::Manifest(e.to_string()))?;
        if !(200..300).contains(&response.status) {
            return Err(ReconcileError::Manifest(format!(
                "HTTP {}",
                response.status
            )));
        }
        let page: Manifest = serde_json::from_slice(&response.body)
            .map_err(|e| ReconcileError::Manifest(format!("unreadable manifest: {e}")))?;
        let more = page.has_more && !page.users.is_empty();
        Ok((page.users, more))
    }

    /// The statements that bring the receiver in line for one range: upserts for users it lacks
    /// or holds behind, deletions it has not applied for users portcullis deleted (whatever
    /// `RECONCILE_PRUNE` says), deletions of users portcullis never knew when pruning, and the
    /// dead rows whose change the receiver holds after all, cleared.
    async fn differences(
        &self,
        local: &[(String, i64)],
        remote: &[RemoteUser],
        now: Millis,
        report: &mut ReconcileReport,
    ) -> Result<Vec<Statement>, ReconcileError> {
        let remote_versions: HashMap<&str, i64> =
            remote.iter().map(|r| (r.id.as_str(), r.version)).collect();
        let local_ids: std::collections::HashSet<&str> =
            local.iter().map(|(id, _)| id.as_str()).collect();
        let mut batch = Vec::new();
        let mut settled = Vec::new();
        let mut behind = Vec::new();
        for (id, version) in local {
            match remote_versions.get(id.as_str()) {
                Some(&theirs) if *version != 0 && theirs >= *version => {
                    settled.push(json!([id, version]))
                }
                _ => behind.push(id.as_str()),
            }
        }
        if !behind.is_empty() {
            report.queued_upserts += behind.len() as i64;
            batch.extend(outbox::reconcile_upsert_all(
                &json!(behind).to_string(),
                now,
            ));
        }
        if !settled.is_empty() {
            batch.push(outbox::clear_settled_dead(&json!(settled).to_string()));
        }
        let only_remote: Vec<&RemoteUser> = remote
            .iter()
            .filter(|r| !local_ids.contains(r.id.as_str()))
            .collect();
        // Users portcullis once had (a sync version remains) are deletions it owes the receiver.
        let known = if only_remote.is_empty() {
            Vec::new()
        } else {
            report.spent += 1;
            let ids: Vec<&str> = only_remote.iter().map(|r| r.id.as_str()).collect();
            outbox::known_ids(self.sql, &json!(ids).to_string()).await?
        };
        let mut page_orphans = 0;
        for user in only_remote {
            let is_known = known.contains(&user.id);
            if is_known {
                report.queued_deletes += 1;
            } else {
                page_orphans += 1;
            }
            if is_known || self.sync.reconcile.prune {
                if !is_known {
                    report.queued_deletes += 1;
                }
                batch.extend(outbox::reconcile_delete(
                    &user.id,
                    user.version,
                    &random_id("evt_")?,
                    now,
                ));
            }
        }
        report.orphans_seen += page_orphans;
        if page_orphans > 0 {
            batch.push(Statement::new(
                r#"update "sync_state" set "value" = cast("value" as integer) + cast(?1 as integer) where "key" = 'reconcile.orphans'"#,
                vec![page_orphans.into()],
            ));
        }
        Ok(batch)
    }
}
