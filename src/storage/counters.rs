//! The `rate_limit_counter` table: counts per key over a fixed window (failed sign-ins of an
//! address, messages to a recipient), written only by the requests they count.

use super::Statement;
use crate::time::Millis;

/// Counts one more under `key`; a window that has ended starts over at one.
pub fn bump(key: &str, now: Millis, window: Millis) -> Statement {
    Statement::new(
        r#"insert into "rate_limit_counter" ("key", "count", "windowStart", "expiresAt") values (?1, 1, ?2, ?2 + ?3)
           on conflict ("key") do update set
             "count" = case when "expiresAt" <= ?2 then 1 else "count" + 1 end,
             "windowStart" = case when "expiresAt" <= ?2 then ?2 else "windowStart" end,
             "expiresAt" = case when "expiresAt" <= ?2 then ?2 + ?3 else "expiresAt" end"#,
        vec![key.into(), now.into(), window.into()],
    )
}

pub fn clear(key: &str) -> Statement {
    Statement::new(
        r#"delete from "rate_limit_counter" where "key" = ?1"#,
        vec![key.into()],
    )
}

pub fn delete_expired(now: Millis) -> Statement {
    Statement::new(
        r#"delete from "rate_limit_counter" where "expiresAt" <= ?1"#,
        vec![now.into()],
    )
}

/// A limit that statements check in their own SQL, in the batch that [`bump`]ed the counter: they
/// take effect only while the count under `key` is at most `max`.
#[derive(Debug, Clone)]
pub struct Guard {
    pub key: String,
    pub now: Millis,
    pub max: i64,
}
