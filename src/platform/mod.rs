//! The Workers runtime edge: the only module that names the `worker` crate. It turns bindings into
//! drivers, requests into `http` values and back, and events into calls on `App`.

mod bridge;
mod d1;
#[cfg(feature = "e2e-faults")]
mod faults;
mod fetch;
mod kv;
mod limiter;
mod log;
mod scrypt;

use crate::app::App;
use crate::config::{Config, ConfigError, PasswordHasher};
use crate::drivers::IsolateMemory;
use crate::drivers::{Drivers, Level, Log, Warnings};
use std::cell::OnceCell;
use std::rc::Rc;
use worker::{Context, Env, Request, Response, ScheduleContext, ScheduledEvent};

thread_local! {
    /// Vars and secrets do not change within an isolate: parse and validate them once.
    static CONFIG: OnceCell<Result<Config, ConfigError>> = const { OnceCell::new() };
    static ISOLATE: Rc<IsolateMemory> = Rc::default();
    static WARNINGS: Rc<Warnings> = Rc::default();
}

fn config(env: &Env) -> Result<Config, ConfigError> {
    CONFIG.with(|cell| {
        cell.get_or_init(|| {
            let config = Config::from_lookup(|name| {
                env.var(name)
                    .map(|v| v.to_string())
                    .or_else(|_| env.secret(name).map(|s| s.to_string()))
                    .ok()
            })?;
            // Every rule a request can count under needs its binding; find out now, not under load.
            if config.rate_limit.enabled {
                let rules = crate::features::declared_rules()
                    .chain(config.rate_limit.custom.iter().filter_map(|(_, r)| *r));
                if let Some(name) = limiter::missing_bindings(env, rules).into_iter().next() {
                    return Err(ConfigError::MissingBinding(name));
                }
            }
            Ok(config)
        })
        .clone()
    })
}

fn drivers(env: &Env, config: &Result<Config, ConfigError>) -> Result<Drivers, String> {
    let hasher = config
        .as_ref()
        .map(|c| c.password_hasher)
        .unwrap_or(PasswordHasher::Wasm);
    let db = env
        .d1("DB")
        .map_err(|e| format!("the D1 binding DB is missing: {e}"))?;
    let store = env
        .kv("KV")
        .map_err(|e| format!("the KV binding KV is missing: {e}"))?;
    Ok(Drivers {
        sql: Box::new(d1::D1Sql(db)),
        kv: Box::new(kv::WorkersKv(store)),
        kdf: scrypt::for_hasher(hasher),
        log: Box::new(log::Console),
        isolate: ISOLATE.with(Rc::clone),
        outbound: Box::new(fetch::WorkersFetch),
        timer: Box::new(fetch::WorkersTimer),
        limiter: Box::new(limiter::WorkersLimiter(env.clone())),
        warnings: WARNINGS.with(Rc::clone),
    })
}

fn now() -> i64 {
    js_sys::Date::now() as i64
}

pub async fn fetch(req: Request, env: Env, ctx: Context) -> worker::Result<Response> {
    let config = config(&env);
    let drivers = match drivers(&env, &config) {
        Ok(d) => d,
        Err(message) => {
            log::Console.log(Level::Error, &format!("[config] {message}"));
            return bridge::from_http(crate::kernel::response::json_response(
                500,
                &serde_json::json!({"message": "The authentication service is misconfigured", "code": "INTERNAL_SERVER_ERROR"}),
            ));
        }
    };
    let max_body = config
        .as_ref()
        .map(|c| c.max_body_bytes)
        .unwrap_or(64 * 1024);
    let app = Rc::new(App::new(config, drivers));
    let response = match bridge::to_http(req, max_body).await {
        Ok(request) => {
            #[cfg(feature = "e2e-faults")]
            if let Some(res) = faults::handle(&request, app.drivers()).await {
                return bridge::from_http(res);
            }
            let handled = app.respond(request, now()).await;
            let crate::kernel::Handled {
                response,
                synced_users,
                queued_mail,
            } = handled;
            if !synced_users.is_empty() || !queued_mail.is_empty() {
                // The first delivery attempt runs after the response is sent; the cron retries.
                let app = Rc::clone(&app);
                ctx.wait_until(
                    async move { app.follow_up(&synced_users, &queued_mail, now()).await },
                );
            }
            response
        }
        Err(rejection) => rejection,
    };
    bridge::from_http(response)
}

pub async fn scheduled(event: ScheduledEvent, env: Env, _ctx: ScheduleContext) {
    let config = config(&env);
    let drivers = match drivers(&env, &config) {
        Ok(d) => d,
        Err(message) => return log::Console.log(Level::Error, &format!("[cron] {message}")),
    };
    let app = App::new(config, drivers);
    app.scheduled(&event.cron(), now()).await;
}
