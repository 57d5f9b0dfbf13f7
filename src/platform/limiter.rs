//! `Limiter` on Cloudflare's rate-limiting bindings: one `[[ratelimits]]` binding per rule, named
//! after it (`RATE_LIMIT_3_PER_10S`). Counting happens in Cloudflare's own store, per location, with
//! no write from the Worker.

use crate::rate_limit::{Limiter, LimiterError, Rule};
use async_trait::async_trait;
use worker::Env;

pub struct WorkersLimiter(pub Env);

/// The bindings the configuration's rules need that the Worker does not have.
pub fn missing_bindings(env: &Env, rules: impl Iterator<Item = Rule>) -> Vec<String> {
    let mut missing: Vec<String> = rules
        .map(|r| r.binding())
        .filter(|name| env.rate_limiter(name).is_err())
        .collect();
    missing.sort();
    missing.dedup();
    missing
}

#[async_trait(?Send)]
impl Limiter for WorkersLimiter {
    async fn allow(&self, rule: Rule, key: &str) -> Result<bool, LimiterError> {
        let binding = rule.binding();
        let limiter = self
            .0
            .rate_limiter(&binding)
            .map_err(|e| LimiterError(format!("{binding}: {e}")))?;
        limiter
            .limit(key.to_string())
            .await
            .map(|outcome| outcome.success)
            .map_err(|e| LimiterError(format!("{binding}: {e}")))
    }
}
