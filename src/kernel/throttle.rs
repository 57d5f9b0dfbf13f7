//! Per-client rate limits on every endpoint, as better-auth applies them: the endpoint's rule (or a
//! custom one), counted under `<client address>|<path>`, and better-auth's 429 answer.

use super::catalogue::Endpoint;
use super::request::{header, Request};
use super::response::{Payload, Reply};
use crate::config::Config;
use crate::drivers::{Drivers, Level};
use crate::rate_limit::client::{client_key, NO_IP};
use serde_json::json;

/// `None` when the request may go on; the 429 otherwise.
pub async fn check(
    config: &Config,
    drivers: &Drivers,
    req: &Request,
    endpoint: &Endpoint,
) -> Option<Reply> {
    check_rule(config, drivers, req, endpoint.path, endpoint.rate).await
}

/// [`check`] for a request counted under `path` with the `declared` rule (a custom rule for the
/// path replaces it).
pub async fn check_rule(
    config: &Config,
    drivers: &Drivers,
    req: &Request,
    path: &str,
    declared: Option<crate::rate_limit::Rule>,
) -> Option<Reply> {
    let rule = config.rate_limit.rule_for(path, declared)?;
    let client = client_key(&config.rate_limit.ip_headers, |name| header(req, name))
        .unwrap_or_else(|| {
            if drivers.warnings.first("no client address") {
                drivers.log.log(
                    Level::Warn,
                    &format!(
                        "[rate-limit] a request carried no client address in {}: such requests share one limit per path",
                        config.rate_limit.ip_headers.join(", ")
                    ),
                );
            }
            NO_IP.to_string()
        });
    match drivers
        .limiter
        .allow(rule, &format!("{client}|{path}"))
        .await
    {
        Ok(true) => None,
        Ok(false) => Some(too_many_requests(i64::from(rule.window))),
        // The limiter protects; it does not authenticate. Its outage costs protection, not service.
        Err(e) => {
            drivers.log.log(
                Level::Error,
                &format!("[rate-limit] {e}; the request goes through"),
            );
            None
        }
    }
}

/// better-auth's answer: its message, `X-Retry-After` in seconds, and the standard `Retry-After`.
pub fn too_many_requests(retry_after_seconds: i64) -> Reply {
    let seconds = retry_after_seconds.max(1).to_string();
    Reply {
        status: 429,
        payload: Payload::Json(json!({"message": "Too many requests. Please try again later."})),
        headers: vec![("x-retry-after", seconds.clone()), ("retry-after", seconds)],
    }
}
