//! `App`: the configuration and the drivers, and the two entry points the platform calls.

use crate::config::{Config, ConfigError};
use crate::drivers::{Drivers, Level};
use crate::features;
use crate::features::sync::drain::Drain;
use crate::features::sync::reconcile::Reconcile;
use crate::kernel::request::Request;
use crate::kernel::response::{json_response, Response};
use crate::kernel::{self, Handled};
use crate::mail::drain::MailDrain;
use crate::mail::providers;
use crate::time::Millis;

/// Budget units the cron keeps for key rotation and the session sweep.
const HOUSEKEEPING_RESERVE: i64 = 5;
/// Budget units a request's own work may have used before its follow-up sync attempt.
const REQUEST_RESERVE: i64 = 10;

pub struct App {
    config: Result<Config, ConfigError>,
    drivers: Drivers,
}

impl App {
    /// A misconfigured app still answers: every request gets a 500 and the log says why.
    pub fn new(config: Result<Config, ConfigError>, drivers: Drivers) -> App {
        App { config, drivers }
    }

    pub fn config(&self) -> Option<&Config> {
        self.config.as_ref().ok()
    }

    pub fn drivers(&self) -> &Drivers {
        &self.drivers
    }

    /// The Cron Trigger: housekeeping that no request should pay for. Failures are logged.
    pub async fn scheduled(&self, cron: &str, now: Millis) {
        let mail_spent = match self.config.as_ref().map(|c| &c.email) {
            Ok(email) => self.deliver_mail(now, None, email.batch_size).await,
            Err(_) => 0,
        };
        // The sync budget, less what mail used: a quarter for the reconcile, the rest for
        // delivery, a few units left for the housekeeping below.
        let budget = self.sync_budget() - mail_spent;
        let spent = self.reconcile(now, budget / 4).await;
        self.drain(None, budget - spent - HOUSEKEEPING_RESERVE)
            .await;
        let log = self.drivers.log.as_ref();
        if let Ok(config) = &self.config {
            for alg in features::signing_algorithms(config) {
                let ring = features::jwt::ring(config, &self.drivers, alg);
                match ring.rotate(now).await {
                    Ok(r) => log.log(
                        Level::Info,
                        &format!(
                            "[cron {cron}] {} signing keys: created {:?}, pruned {}",
                            alg.as_str(),
                            r.created,
                            r.pruned
                        ),
                    ),
                    Err(e) => log.log(
                        Level::Error,
                        &format!("[cron {cron}] {} key rotation failed: {e}", alg.as_str()),
                    ),
                }
            }
        }
        let now_iso = crate::time::to_iso(now);
        match self
            .drivers
            .sql
            .batch(vec![
                crate::session::store::delete_expired(&now_iso),
                crate::features::verification::store::delete_expired(&now_iso),
                crate::features::api_key::store::delete_expired(&now_iso),
                crate::features::supabase::store::delete_orphans(),
                crate::mail::outbox::delete_expired(now),
                crate::storage::counters::delete_expired(now),
            ])
            .await
        {
            Ok(n) => log.log(
                Level::Info,
                &format!(
                    "[cron {cron}] removed expired: {} sessions, {} tokens, {} API keys, {} refresh tokens, {} undelivered messages, {} rate counters",
                    n.first().unwrap_or(&0),
                    n.get(1).unwrap_or(&0),
                    n.get(2).unwrap_or(&0),
                    n.get(3).unwrap_or(&0),
                    n.get(4).unwrap_or(&0),
                    n.get(5).unwrap_or(&0)
                ),
            ),
            Err(e) => log.log(
                Level::Error,
                &format!("[cron {cron}] removing expired rows failed: {e}"),
            ),
        }
    }

    /// Sends up to `limit` due messages (only message `id`, when given), logging the outcome;
    /// returns the D1 calls and fetches spent.
    pub async fn deliver_mail(&self, now: Millis, id: Option<&str>, limit: i64) -> i64 {
        let Ok(config) = &self.config else {
            return 0;
        };
        let Some(mailer_config) = &config.email.mailer else {
            return 0;
        };
        let mailer = providers::for_config(mailer_config, &self.drivers);
        let drain = MailDrain {
            sql: self.drivers.sql.as_ref(),
            mailer: mailer.as_ref(),
            secret: config.secret.expose(),
            clock: self.drivers.timer.as_ref(),
        };
        let log = self.drivers.log.as_ref();
        match drain.run(now, id, limit).await {
            Ok(r) => {
                if r.sent + r.retried + r.refused > 0 {
                    log.log(
                        if r.refused > 0 || r.retried > 0 {
                            Level::Warn
                        } else {
                            Level::Info
                        },
                        &format!(
                            "[mail] {} sent, {} to retry, {} refused by the provider",
                            r.sent, r.retried, r.refused
                        ),
                    );
                }
                r.spent
            }
            Err(e) => {
                log.log(Level::Error, &format!("[mail] delivery failed: {e}"));
                1
            }
        }
    }

    pub async fn handle(&self, req: Request, now: Millis) -> Response {
        self.respond(req, now).await.response
    }

    /// The discovery documents at the origin's root, then the endpoints under the base path.
    async fn answer(&self, config: &Config, req: Request, now: Millis) -> Handled {
        if features::supabase::serves(config, req.uri().path()) {
            return features::supabase::handle(config, &self.drivers, req, now).await;
        }
        if kernel::check_header_size(req.headers()).is_ok() {
            let well_known = features::jwt::well_known(config, &self.drivers, &req, now).await;
            if let Some(res) = well_known {
                return Handled::only(res);
            }
        }
        kernel::handle(config, &self.drivers, features::CATALOGUE, req, now).await
    }

    /// Answers a request, and says which users' changes should be sent right after it
    /// ([`App::follow_up`], through `waitUntil` on Workers).
    pub async fn respond(&self, req: Request, now: Millis) -> Handled {
        match &self.config {
            Ok(config) => self.answer(config, req, now).await,
            Err(e) => {
                self.drivers.log.log(
                    Level::Error,
                    &format!("[config] portcullis is misconfigured: {e}"),
                );
                Handled::only(json_response(
                    500,
                    &serde_json::json!({"message": "The authentication service is misconfigured", "code": "INTERNAL_SERVER_ERROR"}),
                ))
            }
        }
    }

    /// The immediate first attempt for the messages a request queued and the users it changed
    /// (within the request's own invocation budget, less what the request used); the cron
    /// retries what fails.
    pub async fn follow_up(&self, users: &[String], mail: &[String], now: Millis) {
        for id in mail {
            self.deliver_mail(now, Some(id), 1).await;
        }
        let budget = self.sync_budget() - REQUEST_RESERVE;
        for user in users {
            self.drain(Some(user), budget / users.len().max(1) as i64)
                .await;
        }
    }

    fn sync_budget(&self) -> i64 {
        self.config
            .as_ref()
            .ok()
            .and_then(|c| c.sync.as_ref())
            .map_or(0, |s| s.subrequest_budget)
    }

    /// Starts a full reconcile when one is due and advances the running one within `budget`
    /// units; returns the units spent.
    pub async fn reconcile(&self, now: Millis, budget: i64) -> i64 {
        let Some(sync) = self.config.as_ref().ok().and_then(|c| c.sync.as_ref()) else {
            return 0;
        };
        let log = self.drivers.log.as_ref();
        let reconcile = Reconcile {
            sql: self.drivers.sql.as_ref(),
            outbound: self.drivers.outbound.as_ref(),
            clock: self.drivers.timer.as_ref(),
            sync,
        };
        match crate::features::sync::outbox::state(self.drivers.sql.as_ref()).await {
            Ok(state) if reconcile.is_due(&state, now) => match reconcile.start(now).await {
                Ok(id) => log.log(Level::Info, &format!("[reconcile:{id}] started")),
                Err(e) => {
                    log.log(Level::Error, &format!("[reconcile] could not start: {e}"));
                    return 2;
                }
            },
            Ok(_) => {}
            Err(e) => {
                log.log(
                    Level::Error,
                    &format!("[reconcile] could not read the sync state: {e}"),
                );
                return 1;
            }
        }
        match reconcile.advance(now, budget).await {
            Ok(r) => {
                if let Some(id) = &r.id {
                    let end = if r.finished {
                        ", finished"
                    } else {
                        ", continues next run"
                    };
                    log.log(
                        Level::Info,
                        &format!("[reconcile:{id}] {} pages: {} upserts and {} deletes queued, {} receiver-only users{end}", r.pages, r.queued_upserts, r.queued_deletes, r.orphans_seen),
                    );
                }
                r.spent + 2
            }
            Err(e) => {
                log.log(
                    Level::Warn,
                    &format!("[reconcile] paused until the next run: {e}"),
                );
                budget
            }
        }
    }

    /// Sends due outbox rows (only `user`'s, when given) within `budget` units, logging the
    /// outcome.
    pub async fn drain(&self, user: Option<&str>, budget: i64) {
        let Some(sync) = self.config.as_ref().ok().and_then(|c| c.sync.as_ref()) else {
            return;
        };
        let drain = Drain {
            sql: self.drivers.sql.as_ref(),
            outbound: self.drivers.outbound.as_ref(),
            clock: self.drivers.timer.as_ref(),
            sync,
        };
        let log = self.drivers.log.as_ref();
        match drain.run(user, budget).await {
            Ok(r) if r.requests == 0 => {}
            Ok(r) if r.misconfigured > 0 => log.log(
                Level::Error,
                &format!(
                    "[queue] the receiver at PAYLOAD_SYNC_URL answered {} events as if misconfigured (wrong URL, method or key): they are retried; see /reconcile/status",
                    r.misconfigured
                ),
            ),
            Ok(r) => log.log(
                if r.dead > 0 { Level::Warn } else { Level::Info },
                &format!(
                    "[queue] {} requests: {} delivered, {} to retry, {} dead{}",
                    r.requests,
                    r.delivered,
                    r.retried,
                    r.dead,
                    if r.budget_exhausted {
                        "; budget spent, more is due"
                    } else {
                        ""
                    }
                ),
            ),
            Err(e) => log.log(Level::Error, &format!("[queue] drain failed: {e}")),
        }
    }
}
