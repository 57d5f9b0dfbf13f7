//! Documents fetched from providers (discovery documents, JWKS, profiles): JSON over GET or a form
//! POST, with a timeout, never following redirects; discovery documents and key sets kept per
//! isolate as long as their `Cache-Control` allows.

use crate::drivers::Drivers;
use crate::net::origin::Origin;
use crate::net::outbound::{Method, OutboundRequest};
use crate::time::{Millis, SECOND};
use serde_json::Value;
use std::cell::RefCell;
use std::collections::HashMap;
use thiserror::Error;

const TIMEOUT_MS: u64 = 10_000;
/// Bounds on how long a cached document is kept, whatever its `Cache-Control` says.
const MIN_KEEP: Millis = 60 * SECOND;
const DEFAULT_KEEP: Millis = 10 * 60 * SECOND;
const MAX_KEEP: Millis = 24 * 3600 * SECOND;
/// Answers larger than this are refused (a JWKS or profile is a few kilobytes).
const MAX_BYTES: usize = 256 * 1024;

#[derive(Debug, Error)]
pub enum RemoteError {
    #[error("no answer from {0}")]
    NoAnswer(String),
    #[error("{url} answered {status}")]
    Status {
        url: String,
        status: u16,
        body: Value,
    },
    #[error("{0} did not answer JSON")]
    NotJson(String),
}

/// Documents kept per isolate: URL → (document, when fetched, when it goes stale).
#[derive(Default)]
pub struct Kept(RefCell<HashMap<String, (Value, Millis, Millis)>>);

/// `max-age` from a `Cache-Control` value (`no-store`/`no-cache` keep nothing).
fn keep_for(cache_control: Option<&str>) -> Millis {
    let Some(value) = cache_control else {
        return DEFAULT_KEEP;
    };
    let lower = value.to_ascii_lowercase();
    if lower.contains("no-store") || lower.contains("no-cache") {
        return MIN_KEEP;
    }
    lower
        .split(',')
        .filter_map(|d| d.trim().strip_prefix("max-age="))
        .filter_map(|s| s.trim().parse::<i64>().ok())
        .map(|s| (s * SECOND).clamp(MIN_KEEP, MAX_KEEP))
        .next()
        .unwrap_or(DEFAULT_KEEP)
}

/// Sends a request and reads a JSON answer (any status: the caller decides).
pub async fn send(
    drivers: &Drivers,
    request: OutboundRequest,
) -> Result<(u16, Value, Option<String>), RemoteError> {
    let url = request.url.clone();
    let answer = drivers
        .outbound
        .send(request)
        .await
        .map_err(|_| RemoteError::NoAnswer(url.clone()))?;
    if answer.body.len() > MAX_BYTES {
        return Err(RemoteError::NotJson(url));
    }
    let body: Value = if answer.body.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(&answer.body).map_err(|_| RemoteError::NotJson(url.clone()))?
    };
    Ok((answer.status, body, answer.cache_control))
}

/// A JSON GET that must answer 2xx: the document and its `Cache-Control`.
async fn get_ok(
    drivers: &Drivers,
    url: &str,
    mut headers: Vec<(&'static str, String)>,
) -> Result<(Value, Option<String>), RemoteError> {
    headers.push(("accept", "application/json".into()));
    let request = OutboundRequest {
        method: Method::Get,
        url: url.to_string(),
        headers,
        body: Vec::new(),
        timeout_ms: TIMEOUT_MS,
    };
    let (status, body, cache_control) = send(drivers, request).await?;
    if !(200..300).contains(&status) {
        return Err(RemoteError::Status {
            url: url.to_string(),
            status,
            body,
        });
    }
    Ok((body, cache_control))
}

/// A JSON GET that must answer 2xx.
pub async fn get(
    drivers: &Drivers,
    url: &str,
    headers: Vec<(&'static str, String)>,
) -> Result<Value, RemoteError> {
    Ok(get_ok(drivers, url, headers).await?.0)
}

/// A form POST (a token endpoint), its status and JSON answer.
pub async fn post_form(
    drivers: &Drivers,
    url: &str,
    form: &[(&str, &str)],
    headers: Vec<(&'static str, String)>,
) -> Result<(u16, Value), RemoteError> {
    let body = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(form)
        .finish()
        .into_bytes();
    let mut headers = headers;
    headers.push(("content-type", "application/x-www-form-urlencoded".into()));
    headers.push(("accept", "application/json".into()));
    let (status, body, _) = send(
        drivers,
        OutboundRequest {
            method: Method::Post,
            url: url.to_string(),
            headers,
            body,
            timeout_ms: TIMEOUT_MS,
        },
    )
    .await?;
    Ok((status, body))
}

/// A document from the isolate's memory while fresh, else fetched and kept; `refresh` fetches it
/// again if the kept copy is older than a minute (a JWKS that lacks a new key id).
pub async fn kept(
    drivers: &Drivers,
    url: &str,
    now: Millis,
    refresh: bool,
) -> Result<Value, RemoteError> {
    let memory = drivers.isolate.get::<Kept>();
    if let Some((doc, fetched_at, stale_at)) = memory.0.borrow().get(url) {
        // A refresh is honoured at most once a minute: tokens naming unknown keys cannot make
        // every request fetch the key set.
        let may_refresh = refresh && now - fetched_at >= MIN_KEEP;
        if now < *stale_at && !may_refresh {
            return Ok(doc.clone());
        }
    }
    let (body, cache_control) = get_ok(drivers, url, Vec::new()).await?;
    memory.0.borrow_mut().insert(
        url.to_string(),
        (body.clone(), now, now + keep_for(cache_control.as_deref())),
    );
    Ok(body)
}

/// Whether a URL a provider gave us may be called: https, or loopback (tests, local setups) when
/// the service itself is not on https.
pub fn acceptable(url: &str, base_origin: &Origin) -> bool {
    Origin::parse_url(url).is_some_and(|(origin, _)| {
        origin.is_https() || (origin.is_loopback() && !base_origin.is_https())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cache_control_bounds_how_long_documents_are_kept() {
        assert_eq!(keep_for(Some("public, max-age=3600")), 3600 * SECOND);
        assert_eq!(keep_for(Some("max-age=5")), MIN_KEEP);
        assert_eq!(keep_for(Some("max-age=99999999")), MAX_KEEP);
        assert_eq!(keep_for(Some("no-store")), MIN_KEEP);
        assert_eq!(keep_for(None), DEFAULT_KEEP);
    }
}
