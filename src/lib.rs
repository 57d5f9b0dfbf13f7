//! portcullis: a better-auth compatible authentication service for Cloudflare Workers.
//!
//! The core (everything but [`platform`]) is plain Rust that runs and is tested natively; only
//! `platform/` knows about the Workers runtime and turns its requests, bindings and events into
//! calls on [`app::App`].

pub mod app;
pub mod config;
pub mod crypto;
pub mod drivers;
pub mod error;
pub mod features;
pub mod kernel;
pub mod mail;
pub mod net;
pub mod rate_limit;
pub mod session;
pub mod storage;
pub mod time;

#[cfg(target_arch = "wasm32")]
mod platform;

#[cfg(target_arch = "wasm32")]
#[worker::event(fetch)]
async fn fetch(
    req: worker::Request,
    env: worker::Env,
    ctx: worker::Context,
) -> worker::Result<worker::Response> {
    platform::fetch(req, env, ctx).await
}

#[cfg(target_arch = "wasm32")]
#[worker::event(scheduled)]
async fn scheduled(event: worker::ScheduledEvent, env: worker::Env, ctx: worker::ScheduleContext) {
    platform::scheduled(event, env, ctx).await
}
