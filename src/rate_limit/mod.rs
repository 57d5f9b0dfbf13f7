//! Rate limiting per client: the rules (better-auth's, one per endpoint, overridable per path), the
//! client key they count under, and the `Limiter` driver that counts. On Workers the driver is
//! Cloudflare's rate-limiting binding (no storage write on the request path); natively, a
//! fixed-window counter on the test clock.

pub mod client;
pub mod memory;
pub mod per_address;

use async_trait::async_trait;
use thiserror::Error;

/// At most `max` requests per `window` seconds for one client on one path.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Rule {
    pub window: u32,
    pub max: u32,
}

impl Rule {
    /// better-auth's default for every endpoint.
    pub const DEFAULT: Rule = Rule {
        window: 10,
        max: 100,
    };
    /// Endpoints that check a password or start an account change (`/sign-in/*`, `/sign-up/*`,
    /// `/change-password`, `/change-email`), and the operator endpoints' token.
    pub const CREDENTIALS: Rule = Rule { window: 10, max: 3 };
    /// Endpoints that send mail (`/request-password-reset`, `/send-verification-email`).
    pub const MAIL: Rule = Rule { window: 60, max: 3 };

    /// The periods Cloudflare's rate-limiting binding supports.
    pub const WINDOWS: [u32; 2] = [10, 60];

    /// The Workers binding that counts under this rule, declared in `wrangler.toml` as
    /// `[[ratelimits]] name = "RATE_LIMIT_<max>_PER_<window>S"` with `simple = { limit = <max>,
    /// period = <window> }`.
    pub fn binding(&self) -> String {
        format!("RATE_LIMIT_{}_PER_{}S", self.max, self.window)
    }
}

#[derive(Debug, Error)]
#[error("the rate limiter failed: {0}")]
pub struct LimiterError(pub String);

/// Counts one request under `rule` for `key`; `false` when the client is over the limit.
#[async_trait(?Send)]
pub trait Limiter {
    async fn allow(&self, rule: Rule, key: &str) -> Result<bool, LimiterError>;
}
