//! Supabase Auth's API (GoTrue's, as `@supabase/supabase-js` calls it) under `SUPABASE_API_PATH`,
//! beside better-auth's and over the same users, accounts and sessions: a session opened here is a
//! better-auth session (its `session_id` claim is the session's id), so either API ends it.
//! Sign-up, sign-in and account changes run better-auth's own flows, so every rule in place (rate
//! limits, lockouts, bans, the sync, the mail queue) applies; this module speaks Supabase's wire.

pub mod answers;
mod endpoints;
pub mod store;
pub mod tokens;
pub mod user_json;

use crate::config::Config;
use crate::drivers::Drivers;
use crate::kernel::catalogue::Feature;
use crate::kernel::request::Request;
use crate::kernel::Handled;
use crate::time::Millis;

pub const FEATURE: Feature = Feature {
    name: "Supabase Auth API",
    about: "GoTrue's endpoints for `@supabase/supabase-js`, under `SUPABASE_API_PATH` (README, \"Using supabase-js\").",
    endpoints: &[],
    schemas: &[],
    migrations: &["0012_supabase.sql"],
    credential: None,
};

/// The API's URL (the access tokens' `iss`); `path` below it.
pub fn api_url(config: &Config, path: &str) -> String {
    let base = config
        .supabase
        .as_ref()
        .map_or("", |sb| sb.base_path.as_str());
    format!("{}{base}{path}", config.base_origin)
}

/// Whether `path` is under the API's base path (when the API is on).
pub fn serves(config: &Config, path: &str) -> bool {
    config.supabase.as_ref().is_some_and(|sb| {
        path.strip_prefix(sb.base_path.as_str())
            .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
    })
}

/// Answers a request under the API's base path.
pub async fn handle(config: &Config, drivers: &Drivers, req: Request, now: Millis) -> Handled {
    let mut handled = endpoints::answer(config, drivers, &req, now).await;
    answers::finish(&mut handled.response, config, &req);
    handled
}
