//! The HTTP kernel: routing under the base path from the endpoint catalogue, and everything an
//! endpoint's declaration asks for before its handler runs (origin and CSRF rules, rate limits,
//! body parsing and validation, the session or operator token), CORS, and turning handler results
//! into responses. It knows no feature: the catalogue is handed to it.

pub mod answers;
pub mod catalogue;
pub mod context;
pub mod cookies;
pub mod cors;
pub mod csrf;
pub mod fields;
pub mod formats;
pub mod input;
pub mod request;
pub mod response;
pub mod throttle;

use crate::config::Config;
use crate::drivers::{Drivers, Level};
use crate::error::{ApiError, Code};
use crate::time::Millis;
use catalogue::{Body, Catalogue, Endpoint, Requires, Verb};
use context::Ctx;
use http::header::HeaderValue;
use http::Method;
use request::Request;
use response::{error_response, json_response, Response};

/// Far above what browsers send (their cookies stop near 4 KB each), far below what would cost
/// us: larger header sections are refused before any work.
pub const MAX_HEADER_BYTES: usize = 32 * 1024;

/// A response, and the work it queued that is first attempted right after it: the users whose
/// change queued sync work, and the messages queued.
pub struct Handled {
    pub response: Response,
    pub synced_users: Vec<String>,
    pub queued_mail: Vec<String>,
}

impl Handled {
    /// An answer that queued nothing.
    pub fn only(response: Response) -> Handled {
        Handled {
            response,
            synced_users: Vec::new(),
            queued_mail: Vec::new(),
        }
    }
}

pub async fn handle(
    config: &Config,
    drivers: &Drivers,
    catalogue: Catalogue,
    req: Request,
    now: Millis,
) -> Handled {
    answer(config, drivers, catalogue, req, now).await
}

/// The 431 for a header section over [`MAX_HEADER_BYTES`]; the platform checks it before it reads
/// the body.
pub fn check_header_size(headers: &http::HeaderMap) -> Result<(), ApiError> {
    let header_bytes: usize = headers
        .iter()
        .map(|(k, v)| k.as_str().len() + v.len() + 4)
        .sum();
    if header_bytes > MAX_HEADER_BYTES {
        return Err(ApiError::new(431, Code::HeadersTooLarge));
    }
    Ok(())
}

async fn answer(
    config: &Config,
    drivers: &Drivers,
    catalogue: Catalogue,
    req: Request,
    now: Millis,
) -> Handled {
    if let Err(too_large) = check_header_size(req.headers()) {
        return Handled::only(error_response(&too_large));
    }
    let path = req.uri().path().to_string();
    if path == "/health" {
        let res = if req.method() == Method::GET {
            json_response(
                200,
                &serde_json::json!({"status": "ok", "version": env!("PORTCULLIS_VERSION")}),
            )
        } else {
            error_response(&ApiError::not_found())
        };
        return Handled::only(res);
    }
    let Some(route_path) = path
        .strip_prefix(config.base_path.as_str())
        .filter(|p| p.starts_with('/'))
    else {
        return Handled::only(error_response(&ApiError::not_found()));
    };

    let origin = cors::trusted_request_origin(config, &req);
    cors::log_refused_origin(config, drivers, &req, origin.as_deref());
    if cors::is_preflight(&req) {
        let mut res = match &origin {
            Some(o) => {
                let mut res = response::empty(204);
                cors::allow(&mut res, o, true);
                res
            }
            None => error_response(&ApiError::new(403, Code::InvalidOrigin)),
        };
        cors::vary_on_origin(&mut res);
        return Handled::only(res);
    }

    let mut ctx = Ctx::new(config, drivers, catalogue, &req, now);
    let result = match catalogue::resolve(catalogue, req.method(), route_path) {
        Ok((endpoint, _)) if endpoint.enabled_by.is_some_and(|s| !(s.is_on)(config)) => {
            Err(ApiError::not_found())
        }
        Ok((endpoint, params)) => {
            ctx.params = params.into_iter().map(str::to_string).collect();
            match throttle::check(config, drivers, &req, endpoint).await {
                Some(too_many) => Ok(too_many),
                None => dispatch(&mut ctx, endpoint).await,
            }
        }
        Err(e) => Err(e),
    };
    let mut res = match result {
        Ok(reply) => reply.into_response(),
        Err(err) => {
            log_failure(&ctx, route_path, &err);
            error_response(&err)
        }
    };
    finish(&mut res, &ctx, origin.as_deref());
    Handled {
        response: res,
        synced_users: std::mem::take(&mut ctx.synced_users),
        queued_mail: std::mem::take(&mut ctx.queued_mail),
    }
}

/// Logs a failure of ours (5xx) with its cause; refusals of the client are not logged.
pub fn log_failure(ctx: &Ctx<'_>, path: &str, err: &ApiError) {
    if err.status >= 500 {
        ctx.log(
            Level::Error,
            &format!(
                "{} {} failed with {}: {}",
                ctx.req.method(),
                crate::drivers::loggable(path),
                err.status,
                err.cause.as_deref().unwrap_or("no cause recorded")
            ),
        );
    }
}

/// Checks what the endpoint declares, in better-auth's order (body, origin and CSRF rules, redirect
/// targets, field validation, then the session), and runs its handler.
async fn dispatch(
    ctx: &mut Ctx<'_>,
    endpoint: &'static Endpoint,
) -> Result<response::Reply, ApiError> {
    let query = request::query_pairs(ctx.req);
    let body = if endpoint.verb == Verb::Post && !matches!(endpoint.body, Body::None) {
        let body = request::parse_body(ctx.req, ctx.config.max_body_bytes, endpoint.form)?;
        csrf::check_request_origin(ctx.config, ctx.req)?;
        if endpoint.login {
            csrf::check_login_csrf(ctx.config, ctx.req)?;
        }
        csrf::check_redirect_targets(ctx.config, body.as_ref(), &query)?;
        body
    } else {
        // Links in messages carry their callback in the query: it must be safe as well.
        csrf::check_redirect_targets(ctx.config, None, &query)?;
        None
    };
    ctx.input = input::check(endpoint.body, endpoint.query, body, query)?;
    ctx.accepts_credential = endpoint.accepts_credential;
    match endpoint.requires {
        Requires::Nothing => {}
        Requires::Session(source) => ctx.checked_session = Some(ctx.require_session(source).await?),
        Requires::FreshSession => {
            let session = ctx.require_session(crate::session::Source::Cache).await?;
            ctx.require_fresh(&session)?;
            ctx.checked_session = Some(session);
        }
        Requires::OperatorToken => ctx.require_operator_token()?,
    }
    (endpoint.handler)(ctx).await
}

/// Adds what every answer carries: the cookies set before success or failure, `set-auth-token`,
/// and CORS for trusted origins.
fn finish(res: &mut Response, ctx: &Ctx<'_>, origin: Option<&str>) {
    let headers = res.headers_mut();
    for line in &ctx.set_cookies {
        if let Ok(v) = HeaderValue::from_str(line) {
            headers.append(http::header::SET_COOKIE, v);
        }
    }
    if let Some(token) = ctx
        .auth_token
        .as_deref()
        .and_then(|t| HeaderValue::from_str(t).ok())
    {
        headers.insert("set-auth-token", token);
        headers.insert(
            "access-control-expose-headers",
            HeaderValue::from_static(cors::EXPOSED_HEADERS),
        );
    }
    if let Some(o) = origin {
        cors::allow(res, o, false);
    }
    cors::vary_on_origin(res);
}
