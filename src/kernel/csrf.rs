//! better-auth's origin and CSRF rules for state-changing requests: a cookie-bearing request must
//! come from a trusted origin, sign-in/sign-up additionally follow the `Sec-Fetch-*` rules, and
//! redirect targets in the body or query must be safe.

use super::request::{header, Request};
use crate::config::Config;
use crate::error::{ApiError, Code};
use crate::net::origin::{is_allowed_redirect, Origin};
use serde_json::Value;

/// The origin a request claims: `Origin`, else the origin of `Referer`. `Origin: null` from the
/// same origin (`Sec-Fetch-Site: same-origin`) counts as our own origin.
fn claimed_origin(config: &Config, req: &Request) -> Option<String> {
    match header(req, "origin").map(str::trim) {
        Some("null") if header(req, "sec-fetch-site") == Some("same-origin") => {
            Some(config.base_origin.to_string())
        }
        Some(o) if !o.is_empty() && o != "null" => Some(o.to_string()),
        Some(_) => None,
        None => header(req, "referer")
            .and_then(Origin::parse_url)
            .map(|(o, _)| o.to_string()),
    }
}

fn validate_origin(config: &Config, req: &Request) -> Result<(), ApiError> {
    let claimed =
        claimed_origin(config, req).ok_or_else(|| ApiError::new(403, Code::MissingOrNullOrigin))?;
    match Origin::parse(&claimed) {
        Some(origin) if config.is_trusted_origin(&origin) => Ok(()),
        _ => Err(ApiError::new(403, Code::InvalidOrigin)),
    }
}

/// The origin check every POST goes through (skipped for requests without cookies, such as
/// bearer-token calls, which a browser cannot forge).
pub fn check_request_origin(config: &Config, req: &Request) -> Result<(), ApiError> {
    if req.headers().contains_key("cookie") {
        validate_origin(config, req)?;
    }
    Ok(())
}

/// sign-in and sign-up: a browser must always prove a trusted origin, even without cookies.
pub fn check_login_csrf(config: &Config, req: &Request) -> Result<(), ApiError> {
    if req.headers().contains_key("cookie") {
        return Ok(()); // already validated by `check_request_origin`
    }
    let site = header(req, "sec-fetch-site");
    let mode = header(req, "sec-fetch-mode");
    let has_fetch_metadata =
        site.is_some() || mode.is_some() || header(req, "sec-fetch-dest").is_some();
    if has_fetch_metadata {
        if site == Some("cross-site") && mode == Some("navigate") {
            return Err(ApiError::new(403, Code::CrossSiteNavigationLoginBlocked));
        }
        return validate_origin(config, req);
    }
    if header(req, "origin").is_some() || header(req, "referer").is_some() {
        return validate_origin(config, req);
    }
    Ok(())
}

/// `callbackURL`, `redirectTo`, `errorCallbackURL` and `newUserCallbackURL`, from the body (or the
/// query for `callbackURL`), must be safe relative paths or URLs on trusted origins.
pub fn check_redirect_targets(
    config: &Config,
    body: Option<&Value>,
    query: &[(String, String)],
) -> Result<(), ApiError> {
    let fields = [
        ("callbackURL", Code::InvalidCallbackUrl),
        ("redirectTo", Code::InvalidRedirectUrl),
        ("errorCallbackURL", Code::InvalidErrorCallbackUrl),
        ("newUserCallbackURL", Code::InvalidNewUserCallbackUrl),
    ];
    for (field, code) in fields {
        let from_body = body.and_then(|b| b.get(field)).filter(|v| !v.is_null());
        let value = match from_body {
            Some(Value::String(s)) => Some(s.as_str()),
            Some(_) => {
                return Err(ApiError::validation(format!(
                    "Invalid {field}: expected a string"
                )))
            }
            None if field == "callbackURL" => query
                .iter()
                .find(|(k, _)| k == field)
                .map(|(_, v)| v.as_str()),
            None => None,
        };
        if let Some(target) = value.filter(|t| !t.is_empty()) {
            if !is_allowed_redirect(target, |o| config.is_trusted_origin(o)) {
                return Err(ApiError::new(403, code));
            }
        }
    }
    Ok(())
}
