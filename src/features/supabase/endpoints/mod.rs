//! The routes of Supabase's API, each with its rate rule, and what they share: the checked
//! request (body, query, rate limit), errors in Supabase's form, and running a better-auth
//! endpoint's own flow on a translated body.

mod account;
mod codes;
mod links;
mod oauth;
mod service;

use super::answers::{self, error, translate};
use crate::config::Config;
use crate::drivers::Drivers;
use crate::error::ApiError;
use crate::handler;
use crate::kernel::catalogue::{self, Body, Feature, Handler};
use crate::kernel::context::Ctx;
use crate::kernel::response::{Payload, Reply};
use crate::kernel::{check_header_size, cors, input, request, throttle, Handled};
use crate::rate_limit::Rule;
use crate::session::digest;
use crate::session::store::{self as session_table, SessionRecord};
use crate::storage::users::User;
use crate::time::Millis;
use http::Method;
use serde_json::Value;

struct Route {
    method: Method,
    /// Below the API's base path; `:name` matches one segment.
    path: &'static str,
    rate: Rule,
    handler: Handler,
}

const fn declare(method: Method, path: &'static str, rate: Rule, handler: Handler) -> Route {
    Route {
        method,
        path,
        rate,
        handler,
    }
}

fn routes() -> [Route; 18] {
    [
        declare(
            Method::GET,
            "/health",
            Rule::DEFAULT,
            handler!(service::health),
        ),
        declare(
            Method::GET,
            "/settings",
            Rule::DEFAULT,
            handler!(service::settings),
        ),
        declare(
            Method::GET,
            "/.well-known/jwks.json",
            Rule::DEFAULT,
            handler!(service::jwks),
        ),
        declare(
            Method::POST,
            "/signup",
            Rule::CREDENTIALS,
            handler!(account::signup),
        ),
        declare(
            Method::POST,
            "/token",
            Rule::CREDENTIALS,
            handler!(account::token),
        ),
        declare(Method::GET, "/user", Rule::DEFAULT, handler!(account::user)),
        declare(
            Method::PUT,
            "/user",
            Rule::DEFAULT,
            handler!(account::update_user),
        ),
        declare(
            Method::POST,
            "/logout",
            Rule::DEFAULT,
            handler!(account::logout),
        ),
        declare(Method::POST, "/otp", Rule::MAIL, handler!(codes::otp)),
        declare(
            Method::POST,
            "/recover",
            Rule::MAIL,
            handler!(codes::recover),
        ),
        declare(Method::POST, "/resend", Rule::MAIL, handler!(codes::resend)),
        declare(
            Method::POST,
            "/verify",
            Rule::CREDENTIALS,
            handler!(codes::verify),
        ),
        declare(
            Method::GET,
            "/verify",
            Rule::CREDENTIALS,
            handler!(links::verify_link),
        ),
        declare(
            Method::GET,
            "/reauthenticate",
            Rule::MAIL,
            handler!(codes::reauthenticate),
        ),
        declare(
            Method::GET,
            "/user/identities/authorize",
            Rule::DEFAULT,
            handler!(oauth::link_identity),
        ),
        declare(
            Method::GET,
            "/callback",
            Rule::DEFAULT,
            handler!(oauth::implicit_callback),
        ),
        declare(
            Method::GET,
            "/authorize",
            Rule::DEFAULT,
            handler!(oauth::authorize),
        ),
        declare(
            Method::DELETE,
            "/user/identities/:id",
            Rule::CREDENTIALS,
            handler!(oauth::unlink_identity),
        ),
    ]
}

/// The rule a request counts under: the route's, except that refreshing and exchanging a code
/// (which clients do on their own) count as any request.
fn rule(route: &Route, ctx_query: &[(String, String)]) -> Rule {
    let grant = ctx_query
        .iter()
        .find(|(k, _)| k == "grant_type")
        .map(|(_, v)| v.as_str());
    if route.path == "/token" && grant != Some("password") {
        Rule::DEFAULT
    } else {
        route.rate
    }
}

pub async fn answer(
    config: &Config,
    drivers: &Drivers,
    req: &request::Request,
    now: Millis,
) -> Handled {
    if let Err(too_large) = check_header_size(req.headers()) {
        return Handled::only(answers::error_response(&translate(too_large)));
    }
    if cors::is_preflight(req) {
        return Handled::only(answers::preflight(config, req));
    }
    let Some(sb) = &config.supabase else {
        return Handled::only(answers::error_response(&error(
            404,
            "not_found",
            "Not Found",
        )));
    };
    let full_path = req.uri().path();
    let path = &full_path[sb.base_path.len()..];
    let table = routes();
    let found = table.iter().find_map(|r| {
        (r.method == req.method())
            .then(|| catalogue::match_path(r.path, path))
            .flatten()
            .map(|params| (r, params))
    });
    let Some((route, params)) = found else {
        return Handled::only(answers::error_response(&error(
            404,
            "not_found",
            "Not Found",
        )));
    };
    let query = request::query_pairs(req);
    let key = format!("{}{}", sb.base_path, route.path);
    let rule = rule(route, &query);
    if let Some(limited) = throttle::check_rule(config, drivers, req, &key, Some(rule)).await {
        let retry = limited
            .headers
            .iter()
            .find(|(n, _)| *n == "retry-after")
            .map(|(_, v)| v.clone())
            .unwrap_or_else(|| rule.window.to_string());
        let mut res = answers::error_response(&error(
            429,
            "over_request_rate_limit",
            "Request rate limit reached",
        ));
        if let Ok(v) = http::HeaderValue::from_str(&retry) {
            res.headers_mut().insert("retry-after", v);
        }
        return Handled::only(res);
    }
    let mut ctx = Ctx::new(config, drivers, &[], req, now);
    ctx.params = params.into_iter().map(str::to_string).collect();
    let result = match read_input(config, req, query) {
        Ok(input) => {
            ctx.input = input;
            (route.handler)(&mut ctx).await
        }
        Err(e) => Err(e),
    };
    let mut response = match result {
        Ok(reply) => reply.into_response(),
        Err(err) => {
            let err = translate(err);
            crate::kernel::log_failure(&ctx, full_path, &err);
            answers::error_response(&err)
        }
    };
    // The state cookie that binds an OAuth flow to the browser.
    for line in ctx.take_cookies() {
        if let Ok(v) = http::HeaderValue::from_str(&line) {
            response.headers_mut().append(http::header::SET_COOKIE, v);
        }
    }
    Handled {
        response,
        synced_users: std::mem::take(&mut ctx.synced_users),
        queued_mail: std::mem::take(&mut ctx.queued_mail),
    }
}

/// The JSON body (of POST and PUT; an empty one reads as `{}`) and the query.
fn read_input(
    config: &Config,
    req: &request::Request,
    query: Vec<(String, String)>,
) -> Result<input::Input, ApiError> {
    let body = if matches!(*req.method(), Method::POST | Method::PUT) {
        request::parse_body(req, config.max_body_bytes, false)?
    } else {
        None
    };
    if body.as_ref().is_some_and(|b| !b.is_object()) {
        return Err(answers::validation(
            "The request body must be a JSON object",
        ));
    }
    input::check(Body::OptionalObject(&[]), &[], body, query)
}

/// Runs better-auth's endpoint `path` of `feature` on `body`, checked against its declaration as
/// if it had come over the wire; the answer's JSON, or its refusal.
async fn delegate(
    ctx: &mut Ctx<'_>,
    feature: &'static Feature,
    path: &str,
    body: Value,
) -> Result<Value, ApiError> {
    delegate_as(ctx, feature, path, body, None).await
}

/// [`delegate`], running `handler` (a variant of the endpoint's own) when given.
async fn delegate_as(
    ctx: &mut Ctx<'_>,
    feature: &'static Feature,
    path: &str,
    body: Value,
    handler: Option<Handler>,
) -> Result<Value, ApiError> {
    let endpoint = feature
        .endpoints
        .iter()
        .find(|e| e.path == path)
        .ok_or_else(|| ApiError::internal_because(format!("no endpoint {path}")))?;
    let saved = std::mem::take(&mut ctx.input);
    ctx.input = input::check(endpoint.body, endpoint.query, Some(body), Vec::new())?;
    let reply = handler.unwrap_or(endpoint.handler)(ctx).await;
    ctx.input = saved;
    let reply = reply?;
    if reply.status == 429 {
        return Err(error(
            429,
            "over_request_rate_limit",
            "Request rate limit reached",
        ));
    }
    // Cookies are better-auth's way to carry a session; Supabase's carries tokens.
    ctx.take_cookies();
    match reply.payload {
        Payload::Json(v) => Ok(v),
        _ => Ok(Value::Null),
    }
}

/// The session a delegated better-auth sign-in opened (its answer's `token`), and its user.
async fn opened(ctx: &Ctx<'_>, answer: &Value) -> Result<(SessionRecord, User), ApiError> {
    let none = || ApiError::internal_because("the sign-in opened no session");
    let token = answer["token"].as_str().ok_or_else(none)?;
    let record = session_table::find_by_digest(ctx.drivers.sql.as_ref(), &digest(token))
        .await?
        .ok_or_else(none)?;
    let user =
        serde_json::from_value(answer["user"].clone()).map_err(ApiError::internal_because)?;
    Ok((record, user))
}

/// A new better-auth session for `user` (refused for a banned user).
async fn new_session(ctx: &Ctx<'_>, user: &User) -> Result<SessionRecord, ApiError> {
    let session = ctx
        .sessions()
        .create(user, true, ctx.client_ip(), ctx.user_agent(), ctx.now)
        .await?;
    Ok(session.record)
}

/// Where the browser goes on: `redirect_to`, else the service's origin.
fn landing(ctx: &Ctx<'_>) -> Result<String, ApiError> {
    Ok(redirect_to(ctx)?.unwrap_or_else(|| ctx.config.base_origin.to_string()))
}

/// `redirect_to`, checked against the trusted origins as better-auth checks `callbackURL`.
fn redirect_to(ctx: &Ctx<'_>) -> Result<Option<String>, ApiError> {
    let target = ctx.input.query("redirect_to").map(str::to_string);
    if let Some(t) = &target {
        crate::kernel::csrf::check_redirect_targets(
            ctx.config,
            Some(&serde_json::json!({ "callbackURL": t })),
            &[],
        )?;
    }
    Ok(target.filter(|t| !t.is_empty()))
}

/// `{}`: GoTrue's answer when there is nothing to say (never an empty body: supabase-js would
/// read it as a network failure).
fn nothing() -> Reply {
    Reply::json(serde_json::json!({}))
}
