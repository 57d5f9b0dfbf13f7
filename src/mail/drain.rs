//! The mail drain: claims due messages, hands each to the mailer, and records the outcome
//! (delivered rows are deleted, failures rescheduled with backoff until the link expires, refusals
//! buried). Runs right after the request that queued a message, and from the cron.

use super::{queue, Delivery, Mailer};
use crate::crypto::random;
use crate::mail::outbox as mail_outbox;
use crate::net::backoff;
use crate::storage::{Sql, StorageError};
use crate::time::{Millis, Timer, SECOND};

const LEASE: Millis = 60 * SECOND;

#[derive(Debug, Default, PartialEq, Eq)]
pub struct MailReport {
    pub sent: i64,
    pub retried: i64,
    pub refused: i64,
    /// D1 calls and fetches made.
    pub spent: i64,
}

pub struct MailDrain<'a> {
    pub sql: &'a dyn Sql,
    pub mailer: &'a dyn Mailer,
    /// `BETTER_AUTH_SECRET`, which the queued messages are encrypted under.
    pub secret: &'a [u8],
    /// Read as each message goes out (webhook signatures carry the time).
    pub clock: &'a dyn Timer,
}

impl MailDrain<'_> {
    /// Sends up to `limit` due messages (only message `id`, when given).
    pub async fn run(
        &self,
        now: Millis,
        id: Option<&str>,
        limit: i64,
    ) -> Result<MailReport, StorageError> {
        let owner = format!(
            "mail_{}",
            random::alphanumeric(16).map_err(|e| StorageError::Query(e.to_string()))?
        );
        let mut report = MailReport {
            spent: 1,
            ..MailReport::default()
        };
        let claimed = mail_outbox::claim(self.sql, &owner, now, LEASE, limit, id).await?;
        if claimed.is_empty() {
            return Ok(report);
        }
        let mut outcomes = Vec::with_capacity(claimed.len());
        for row in &claimed {
            let delivery = match queue::open(self.secret, &row.payload) {
                Ok(message) => {
                    report.spent += 1;
                    self.mailer.deliver(&message, self.clock.now()).await
                }
                Err(e) => Delivery::Refused(format!(
                    "the queued message cannot be read ({e}); was BETTER_AUTH_SECRET changed?"
                )),
            };
            let statement = match delivery {
                Delivery::Sent => {
                    report.sent += 1;
                    mail_outbox::delivered(&row.id, &owner)
                }
                Delivery::Retry {
                    reason,
                    retry_after,
                } => {
                    report.retried += 1;
                    let jitter =
                        backoff::random_jitter().map_err(|e| StorageError::Query(e.to_string()))?;
                    let delay = backoff::delay(row.attempts + 1, jitter, retry_after);
                    mail_outbox::retry(&row.id, &owner, now + delay, &reason, now)
                }
                Delivery::Refused(reason) => {
                    report.refused += 1;
                    mail_outbox::bury(&row.id, &owner, &reason, now)
                }
            };
            outcomes.push(statement);
        }
        self.sql.batch(outcomes).await?;
        report.spent += 1;
        Ok(report)
    }
}
