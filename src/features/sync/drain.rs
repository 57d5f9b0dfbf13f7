//! The drain: claims due outbox rows, sends them in signed batches, and records each outcome
//! (done, retry with backoff, or dead), within a per-invocation budget of outbound requests.

use super::signed_post;
use crate::config::SyncConfig;
use crate::crypto::random;
use crate::features::sync::outbox::{self, OutboxRow};
use crate::net::backoff;
use crate::net::outbound::Outbound;
use crate::storage::users::User;
use crate::storage::{Sql, Statement, StorageError};
use crate::time::{to_iso, Millis, Timer, SECOND};
use serde::Deserialize;
use serde_json::{json, Value};
use std::collections::HashMap;

pub const EVENTS_PATH: &str = "/api/ba-sync/events";
const LEASE: Millis = 90 * SECOND;

/// Budget units one delivery round costs at the least: claim, read users and accounts (one
/// batch), one request, record.
pub const ROUND_COST: i64 = 4;

/// Splits events into request bodies of at most `max_bytes` (`{"events":[…]}`), each with at
/// least one event.
fn by_size(events: &[(String, Value)], max_bytes: usize) -> Vec<&[(String, Value)]> {
    const ENVELOPE: usize = r#"{"events":[]}"#.len();
    let mut parts = Vec::new();
    let (mut start, mut size) = (0, ENVELOPE);
    for (i, (_, event)) in events.iter().enumerate() {
        let len = event.to_string().len() + 1;
        if i > start && size + len > max_bytes {
            parts.push(&events[start..i]);
            (start, size) = (i, ENVELOPE);
        }
        size += len;
    }
    if start < events.len() {
        parts.push(&events[start..]);
    }
    parts
}

#[derive(Debug, Default, PartialEq, Eq)]
pub struct DrainReport {
    pub requests: i64,
    /// Budget units spent (D1 calls and fetches).
    pub spent: i64,
    pub delivered: i64,
    pub retried: i64,
    pub dead: i64,
    /// The budget ran out while work was probably still due (the last claim was full).
    pub budget_exhausted: bool,
    /// Events the receiver answered as misconfigured (404, 405, 403, …): retried, and logged as
    /// errors.
    pub misconfigured: i64,
}

pub struct Drain<'a> {
    pub sql: &'a dyn Sql,
    pub outbound: &'a dyn Outbound,
    /// Read for each request's signature: a long run never signs with a stale time.
    pub clock: &'a dyn Timer,
    pub sync: &'a SyncConfig,
}

#[derive(Deserialize)]
struct ReceiverAnswer {
    #[serde(default)]
    results: Vec<EventResult>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct EventResult {
    event_id: String,
    status: String,
}

/// Why a send did not go through, as `/reconcile/status` reports it (each class keeps its last
/// error in `sync_state`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trouble {
    /// The receiver will never apply the event (400, 409, 422): the row is parked dead.
    Refused,
    /// The receiver is there but not as configured (401, 403, 404, 405, …): retried, loudly.
    Misconfigured,
    /// No answer, or 408, 425, 429, 5xx: retried with backoff.
    Down,
}

impl Trouble {
    pub const ALL: [Trouble; 3] = [Trouble::Refused, Trouble::Misconfigured, Trouble::Down];

    pub fn name(self) -> &'static str {
        match self {
            Trouble::Refused => "refused",
            Trouble::Misconfigured => "misconfigured",
            Trouble::Down => "down",
        }
    }

    /// The `sync_state` key holding this class's last error.
    pub fn state_key(self) -> &'static str {
        match self {
            Trouble::Refused => "lastError.refused",
            Trouble::Misconfigured => "lastError.misconfigured",
            Trouble::Down => "lastError.down",
        }
    }

    fn of_status(status: u16) -> Trouble {
        match status {
            400 | 409 | 413 | 422 => Trouble::Refused,
            408 | 425 | 429 | 500..=599 => Trouble::Down,
            _ => Trouble::Misconfigured,
        }
    }
}

enum Outcome {
    Delivered,
    Retry(String, Option<Millis>, Trouble),
    Refused(String),
    /// 401: most likely a secret or clock being fixed at the receiver; retried
    /// [`UNAUTHORIZED_ATTEMPTS`] times, then parked dead.
    Unauthorized(String),
}

/// One request's answer: the outcome of each event, or a 413 for a batch that can be split.
enum Sent {
    Outcomes(Vec<(String, Outcome)>),
    TooLarge,
}

/// Attempts a row gets while the receiver answers 401.
pub const UNAUTHORIZED_ATTEMPTS: i64 = 5;

impl Drain<'_> {
    /// Drains due rows (only `user`'s, when given) until nothing is due or `budget` units (D1
    /// calls and fetches) would be exceeded.
    pub async fn run(&self, user: Option<&str>, budget: i64) -> Result<DrainReport, StorageError> {
        let owner = format!(
            "drain_{}",
            random::alphanumeric(16).map_err(|e| StorageError::Query(e.to_string()))?
        );
        let mut report = DrainReport::default();
        let mut last_claim_full = true;
        loop {
            if report.spent + ROUND_COST > budget {
                report.budget_exhausted = last_claim_full;
                break;
            }
            // Each round reads the clock: a long run claims, signs and schedules by the time it is.
            let round_at = self.clock.now();
            let rows = outbox::claim(
                self.sql,
                &owner,
                round_at,
                LEASE,
                self.sync.batch_size,
                user,
            )
            .await?;
            report.spent += 1;
            if rows.is_empty() {
                break;
            }
            last_claim_full = rows.len() as i64 == self.sync.batch_size;
            let events = self.events(&rows, round_at).await?;
            report.spent += 1;
            // As many requests of at most SYNC_BATCH_BYTES as the budget allows, keeping a unit
            // for the write; what is left goes back to pending untouched.
            let mut outcomes = Vec::with_capacity(events.len());
            let mut unsent: Vec<&str> = Vec::new();
            for part in by_size(&events, self.sync.batch_bytes) {
                if report.spent + 2 > budget {
                    unsent.extend(part.iter().map(|(id, _)| id.as_str()));
                    continue;
                }
                report.requests += 1;
                report.spent += 1;
                outcomes.extend(self.send(part, &mut report).await);
            }
            report.spent += 1;
            // Backoff and Retry-After count from when the answer came, not from the run's start.
            let now = self.clock.now();
            let mut batch: Vec<Statement> = Vec::new();
            let pause = outcomes
                .iter()
                .filter_map(|(_, o)| match o {
                    Outcome::Retry(_, Some(after), _) => Some(*after),
                    _ => None,
                })
                .max();
            if let Some(after) = pause {
                // The receiver asked for a pause: nothing goes to it before then.
                batch.push(outbox::set_state(
                    outbox::PAUSED_UNTIL,
                    &(now + after).to_string(),
                ));
            }
            let outcomes: HashMap<&str, &Outcome> =
                outcomes.iter().map(|(id, o)| (id.as_str(), o)).collect();
            let mut delivered: Vec<(&str, i64)> = Vec::new();
            let mut held_back: Vec<&str> = Vec::new();
            for row in &rows {
                if unsent.contains(&row.event_id.as_str()) {
                    held_back.push(row.user_id.as_str());
                    continue;
                }
                // What failed, and whether it may be retried.
                let (why, retry_after, trouble) = match outcomes.get(row.event_id.as_str()).copied()
                {
                    Some(Outcome::Delivered) => {
                        report.delivered += 1;
                        delivered.push((row.user_id.as_str(), row.version));
                        continue;
                    }
                    Some(Outcome::Refused(why)) => {
                        report.dead += 1;
                        batch.extend(outbox::bury(row, &owner, why, now));
                        batch.push(outbox::set_state(Trouble::Refused.state_key(), why));
                        continue;
                    }
                    Some(Outcome::Unauthorized(why))
                        if row.attempts + 1 >= UNAUTHORIZED_ATTEMPTS =>
                    {
                        report.dead += 1;
                        batch.extend(outbox::bury(
                            row,
                            &owner,
                            &format!("{why} after {UNAUTHORIZED_ATTEMPTS} attempts: check BA_TO_PAYLOAD_SECRET and both clocks"),
                            now,
                        ));
                        continue;
                    }
                    Some(Outcome::Unauthorized(why)) => {
                        (why.as_str(), None, Trouble::Misconfigured)
                    }
                    Some(Outcome::Retry(why, retry_after, trouble)) => {
                        (why.as_str(), *retry_after, *trouble)
                    }
                    None => (
                        "the receiver did not answer for this event",
                        None,
                        Trouble::Misconfigured,
                    ),
                };
                if trouble == Trouble::Misconfigured {
                    report.misconfigured += 1;
                }
                batch.extend(self.retry_or_bury(
                    row,
                    &owner,
                    why,
                    retry_after,
                    now,
                    &mut report,
                )?);
                batch.push(outbox::set_state(trouble.state_key(), why));
            }
            if !delivered.is_empty() {
                batch.extend(outbox::complete_all(&delivered, &owner));
            }
            if !held_back.is_empty() {
                batch.push(outbox::release_all(&json!(held_back).to_string(), &owner));
            }
            batch.push(outbox::set_state("lastDrainAt", &now.to_string()));
            self.sql.batch(batch).await?;
        }
        Ok(report)
    }

    fn retry_or_bury(
        &self,
        row: &OutboxRow,
        owner: &str,
        why: &str,
        retry_after: Option<Millis>,
        now: Millis,
        report: &mut DrainReport,
    ) -> Result<Vec<Statement>, StorageError> {
        let failures = row.attempts + 1;
        if failures >= backoff::MAX_ATTEMPTS {
            report.dead += 1;
            return Ok(outbox::bury(
                row,
                owner,
                &format!("gave up after {failures} attempts: {why}"),
                now,
            ));
        }
        let jitter = backoff::random_jitter().map_err(|e| StorageError::Query(e.to_string()))?;
        report.retried += 1;
        Ok(outbox::retry(
            row,
            owner,
            now + backoff::delay(failures, jitter, retry_after),
            why,
            now,
        ))
    }

    /// The messages for claimed rows, built from the current D1 state (an upsert whose user is
    /// gone becomes a delete): the users and their accounts read in one D1 call.
    async fn events(
        &self,
        rows: &[OutboxRow],
        now: Millis,
    ) -> Result<Vec<(String, Value)>, StorageError> {
        let ids: Vec<&str> = rows
            .iter()
            .filter(|r| r.op == "upsert")
            .map(|r| r.user_id.as_str())
            .collect();
        let ids_json = json!(ids).to_string();
        let read = self
            .sql
            .run_batch(vec![
                Statement::composed(
                    &[
                        "select ",
                        crate::storage::users::COLUMNS,
                        r#" from "user" where "id" in (select "value" from json_each(?1))"#,
                    ],
                    vec![ids_json.as_str().into()],
                ),
                Statement::new(
                    r#"select "id", "providerId", "accountId", "userId" from "account" where "userId" in (select "value" from json_each(?1)) order by "createdAt""#,
                    vec![ids_json.as_str().into()],
                ),
            ])
            .await?;
        let mut users: HashMap<String, Value> = HashMap::new();
        for row in read.first().map(|r| r.rows.clone()).unwrap_or_default() {
            let user: User = serde_json::from_value(Value::Object(row))
                .map_err(|e| StorageError::Decode(e.to_string()))?;
            users.insert(user.id.clone(), synced_record(&user, self.sync.protocol));
        }
        let mut accounts: HashMap<String, Vec<Value>> = HashMap::new();
        for a in read.get(1).map(|r| r.rows.clone()).unwrap_or_default() {
            let owner = a
                .get("userId")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string();
            accounts.entry(owner).or_default().push(
                json!({"id": a["id"], "providerId": a["providerId"], "accountId": a["accountId"]}),
            );
        }
        // occurredAt is when the change was made, the same on every retry: the user's updatedAt
        // for an upsert, the recorded time for a delete.
        let deleted_at = |row: &OutboxRow| to_iso(row.changed_at.unwrap_or(now));
        Ok(rows
            .iter()
            .map(|row| {
                let event = match (row.op.as_str(), users.get(&row.user_id)) {
                    ("upsert", Some(user)) => {
                        let mine = accounts.get(&row.user_id).cloned().unwrap_or_default();
                        json!({"type": "user.upsert", "eventId": row.event_id, "version": row.version, "occurredAt": user["updatedAt"], "user": user, "accounts": mine})
                    }
                    _ => json!({"type": "user.delete", "eventId": row.event_id, "version": row.version, "occurredAt": deleted_at(row), "userId": row.user_id}),
                };
                (row.event_id.clone(), event)
            })
            .collect())
    }

    /// Sends the events, in one request when the receiver takes them all and in halves for as
    /// long as it answers 413 (each extra request counts against the budget); the outcome of each
    /// event.
    async fn send(
        &self,
        events: &[(String, Value)],
        report: &mut DrainReport,
    ) -> Vec<(String, Outcome)> {
        let mut parts = vec![events];
        let mut outcomes = Vec::with_capacity(events.len());
        while let Some(part) = parts.pop() {
            match self.send_once(part).await {
                Sent::Outcomes(done) => outcomes.extend(done),
                Sent::TooLarge => {
                    let (first, second) = part.split_at(part.len() / 2);
                    parts.extend([second, first]);
                    report.requests += 1;
                    report.spent += 1;
                }
            }
        }
        outcomes
    }

    /// One signed request with `events`, signed at the moment it is sent.
    async fn send_once(&self, events: &[(String, Value)]) -> Sent {
        let now = self.clock.now();
        let all = |outcome: &dyn Fn() -> Outcome| {
            Sent::Outcomes(
                events
                    .iter()
                    .map(|(id, _)| (id.clone(), outcome()))
                    .collect::<Vec<_>>(),
            )
        };
        let body = json!({"events": events.iter().map(|(_, e)| e).collect::<Vec<_>>()})
            .to_string()
            .into_bytes();
        let request = match random::alphanumeric(24)
            .and_then(|id| signed_post(self.sync, EVENTS_PATH, &format!("dlv_{id}"), body, now))
        {
            Ok(r) => r,
            Err(_) => {
                return all(&|| {
                    Outcome::Retry(
                        "the random number generator failed".into(),
                        None,
                        Trouble::Down,
                    )
                })
            }
        };
        let response = match self.outbound.send(request).await {
            Ok(r) => r,
            Err(e) => return all(&|| Outcome::Retry(e.to_string(), None, Trouble::Down)),
        };
        let status = response.status;
        let retry_after = response
            .retry_after
            .as_deref()
            .and_then(backoff::parse_retry_after);
        match status {
            200..=299 => {
                let answer: ReceiverAnswer =
                    serde_json::from_slice(&response.body).unwrap_or(ReceiverAnswer {
                        results: Vec::new(),
                    });
                Sent::Outcomes(
                    events
                        .iter()
                        .map(|(id, _)| {
                            let outcome = match answer
                                .results
                                .iter()
                                .find(|r| r.event_id == *id)
                                .map(|r| r.status.as_str())
                            {
                                Some("applied" | "duplicate" | "stale") => Outcome::Delivered,
                                Some(other) => Outcome::Refused(format!(
                                    "the receiver answered {other:?} for the event"
                                )),
                                None => Outcome::Retry(
                                    format!("HTTP {status} without a result for the event"),
                                    None,
                                    Trouble::Misconfigured,
                                ),
                            };
                            (id.clone(), outcome)
                        })
                        .collect(),
                )
            }
            413 if events.len() > 1 => Sent::TooLarge,
            413 => all(&|| {
                Outcome::Refused(
                    "HTTP 413: the event alone is over the receiver's body limit".into(),
                )
            }),
            401 => all(&|| Outcome::Unauthorized(format!("HTTP {status}"))),
            _ => match Trouble::of_status(status) {
                Trouble::Refused => all(&|| Outcome::Refused(format!("HTTP {status}"))),
                trouble => all(&|| Outcome::Retry(format!("HTTP {status}"), retry_after, trouble)),
            },
        }
    }
}

/// A user as the sync protocol sends it: the fields of protocol version 1 (the admin plugin's
/// role and ban are not part of it).
fn synced_record(user: &User, protocol: u8) -> Value {
    let mut record = json!({
        "id": user.id,
        "name": user.name,
        "email": user.email,
        "emailVerified": user.email_verified,
        "image": user.image,
        "createdAt": user.created_at,
        "updatedAt": user.updated_at,
    });
    // Protocol 2: the admin plugin's role (comma-separated roles) and ban, for access control.
    if protocol >= 2 {
        record["role"] = json!(user.role);
        record["banned"] = json!(user.banned);
    }
    record
}
