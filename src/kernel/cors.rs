//! CORS for browser SPAs on trusted origins: the one request origin echoed (never `*`), with
//! credentials, and the headers better-auth's client reads exposed.

use super::request::{header, Request};
use super::response::Response;
use crate::config::Config;
use crate::net::origin::Origin;
use http::header::{HeaderValue, VARY};

pub const ALLOWED_METHODS: &str = "GET, POST, OPTIONS";
pub const ALLOWED_HEADERS: &str = "Content-Type, Authorization, X-Reconcile-Token";
pub const EXPOSED_HEADERS: &str = "set-auth-token, set-auth-jwt, x-retry-after, retry-after";
pub const PREFLIGHT_MAX_AGE_SECONDS: u32 = 600;

/// The request's `Origin`, if it is one the configuration trusts.
pub fn trusted_request_origin(config: &Config, req: &Request) -> Option<String> {
    let raw = header(req, "origin")?;
    let origin = Origin::parse(raw)?;
    config.is_trusted_origin(&origin).then(|| raw.to_string())
}

pub fn is_preflight(req: &Request) -> bool {
    req.method() == http::Method::OPTIONS && header(req, "access-control-request-method").is_some()
}

/// Adds the CORS headers for `origin` (already checked as trusted) to a response.
pub fn allow(res: &mut Response, origin: &str, preflight: bool) {
    let h = res.headers_mut();
    let mut set = |name: &'static str, value: &str| {
        if let Ok(v) = HeaderValue::from_str(value) {
            h.insert(name, v);
        }
    };
    set("access-control-allow-origin", origin);
    set("access-control-allow-credentials", "true");
    if preflight {
        set("access-control-allow-methods", ALLOWED_METHODS);
        set("access-control-allow-headers", ALLOWED_HEADERS);
        set(
            "access-control-max-age",
            &PREFLIGHT_MAX_AGE_SECONDS.to_string(),
        );
    } else {
        set("access-control-expose-headers", EXPOSED_HEADERS);
    }
}

/// Every answer may differ by `Origin`, so caches must key on it.
pub fn vary_on_origin(res: &mut Response) {
    res.headers_mut()
        .append(VARY, HeaderValue::from_static("Origin"));
}

/// The origins a refusal was already logged for, in this isolate (a few, so a flood of forged
/// origins cannot grow it).
#[derive(Default)]
struct RefusalsLogged(std::cell::RefCell<Vec<String>>);

const REFUSALS_REMEMBERED: usize = 16;

/// A browser request from an origin the configuration does not trust gets one log line naming the
/// origin and the setting that would let it in (once per origin and isolate).
pub fn log_refused_origin(
    config: &Config,
    drivers: &crate::drivers::Drivers,
    req: &Request,
    trusted: Option<&str>,
) {
    let Some(raw) = header(req, "origin").filter(|_| trusted.is_none()) else {
        return;
    };
    if Origin::parse(raw).is_none() {
        return;
    }
    let logged = drivers.isolate.get::<RefusalsLogged>();
    let mut seen = logged.0.borrow_mut();
    if seen.iter().any(|o| o == raw) || seen.len() >= REFUSALS_REMEMBERED {
        return;
    }
    seen.push(raw.to_string());
    drivers.log.log(
        crate::drivers::Level::Warn,
        &format!(
            "[cors] refused the origin {}: it is not in TRUSTED_ORIGINS (set TRUSTED_ORIGINS to include it to let that site call {})",
            crate::drivers::loggable(raw),
            config.base_url()
        ),
    );
}
