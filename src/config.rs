//! Every Worker var and secret, parsed and validated once, under the names better-auth users know.

use std::fmt;
use thiserror::Error;

use crate::net::origin::{glob_match, Origin, OriginPattern};
use crate::rate_limit::Rule;

#[derive(Debug, Clone, Error, PartialEq)]
pub enum ConfigError {
    #[error("{0} is not set")]
    Missing(&'static str),
    #[error("BETTER_AUTH_SECRET must be at least {MIN_SECRET_LEN} characters long")]
    WeakSecret,
    #[error("{name} is not valid: {reason}")]
    Invalid { name: &'static str, reason: String },
    #[error("{name} is not valid: {reason}")]
    InvalidSetting { name: String, reason: String },
    #[error("{0} is not set")]
    MissingSetting(String),
    #[error("the rate-limiting binding {0} is missing: add [[ratelimits]] with that name to wrangler.toml (see README), or set RATE_LIMIT_ENABLED=false")]
    MissingBinding(String),
}

pub const MIN_SECRET_LEN: usize = 32;

mod social;
pub use social::{LinkingConfig, ProviderConfig, ProviderKind, SocialConfig};

/// A value that never appears in `Debug` output or logs.
#[derive(Clone)]
pub struct Secret(String);

impl Secret {
    pub fn expose(&self) -> &[u8] {
        self.0.as_bytes()
    }

    pub fn expose_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(..)")
    }
}

/// Which scrypt implementation hashes passwords on Workers (same output either way).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PasswordHasher {
    /// The Rust `scrypt` crate compiled into the Worker (with wasm SIMD).
    Wasm,
    /// workerd's BoringSSL scrypt through `node:crypto`.
    NodeCrypto,
}

/// JWT plugin settings. Durations in seconds.
#[derive(Debug, Clone)]
pub struct JwtConfig {
    pub issuer: String,
    pub audience: String,
    pub expires_in: i64,
    /// How long a key signs before its successor takes over.
    pub rotation_interval: i64,
    /// How long a retired key stays in the JWKS, so tokens it signed keep verifying.
    pub grace_period: i64,
}

/// Sync to a downstream CMS; present only when `PAYLOAD_SYNC_URL` is set.
#[derive(Debug, Clone)]
pub struct SyncConfig {
    /// The receiver's base URL; events go to `{url}/api/ba-sync/events`.
    pub url: String,
    pub secret: Secret,
    pub key_id: String,
    /// Also signed with during a rotation, so a receiver holding either secret accepts.
    pub previous_secret: Option<Secret>,
    /// D1 calls and fetches one invocation may spend on sync (the Workers Free plan allows 50
    /// of each).
    pub subrequest_budget: i64,
    /// Events claimed per round.
    pub batch_size: i64,
    /// Largest request body; a round's events go out in as many requests as that takes.
    pub batch_bytes: usize,
    pub reconcile: ReconcileConfig,
    /// `SYNC_PROTOCOL`: the protocol version spoken (docs/sync-protocol.md): 2 sends the user's
    /// role and ban; 1 for receivers that refuse fields they do not know.
    pub protocol: u8,
}

#[derive(Debug, Clone)]
pub struct ReconcileConfig {
    /// Users compared per manifest request.
    pub page_size: i64,
    pub every_ms: i64,
    pub on_boot: bool,
    /// Delete receiver-side users that portcullis does not have (otherwise they are only counted).
    pub prune: bool,
}

impl SyncConfig {
    pub fn secrets(&self) -> Vec<&[u8]> {
        std::iter::once(self.secret.expose())
            .chain(self.previous_secret.as_ref().map(Secret::expose))
            .collect()
    }
}

/// Where messages go.
#[derive(Debug, Clone)]
pub enum MailerConfig {
    /// A transactional email HTTP API in Resend's `POST /emails` format.
    Resend {
        url: String,
        api_key: Secret,
        from: String,
    },
    /// A signed POST to the application (the sync protocol's signature scheme), which sends the
    /// mail itself.
    Webhook {
        url: String,
        secret: Secret,
        key_id: String,
    },
    /// Development: the message is logged and kept for `GET /dev/mailbox` (loopback only).
    Log,
}

/// better-auth's magic-link plugin.
#[derive(Debug, Clone)]
pub struct MagicLinkConfig {
    /// `MAGIC_LINK_ENABLED` (off unless set: it mails links that sign people up).
    pub enabled: bool,
    /// `MAGIC_LINK_EXPIRES_IN`: seconds a link works (better-auth's 300).
    pub expires_in: i64,
    /// `MAGIC_LINK_DISABLE_SIGN_UP`: a link to an address without a user signs nobody up.
    pub disable_sign_up: bool,
}

/// better-auth's emailOTP plugin.
#[derive(Debug, Clone)]
pub struct EmailOtpConfig {
    /// `EMAIL_OTP_ENABLED` (off unless set).
    pub enabled: bool,
    /// `EMAIL_OTP_EXPIRES_IN`: seconds a code works (better-auth's 300).
    pub expires_in: i64,
    /// `EMAIL_OTP_ALLOWED_ATTEMPTS`: wrong tries a code survives (better-auth's 3).
    pub allowed_attempts: i64,
    /// `EMAIL_OTP_DISABLE_SIGN_UP`: a sign-in code for an address without a user signs nobody up.
    pub disable_sign_up: bool,
}

/// `@better-auth/passkey`: the WebAuthn relying party.
#[derive(Debug, Clone)]
pub struct PasskeyConfig {
    /// `PASSKEY_ENABLED` (on unless set false).
    pub enabled: bool,
    /// `PASSKEY_RP_ID`: the domain passkeys are bound to (`BETTER_AUTH_URL`'s host unless set);
    /// every origin that uses them must be it or under it.
    pub rp_id: String,
    /// `PASSKEY_RP_NAME`: the name authenticators show (`APP_NAME` unless set).
    pub rp_name: String,
    /// `PASSKEY_USER_VERIFICATION=required`: only authenticators that verified the user (PIN,
    /// biometrics) count; `preferred` (the default, as better-auth) asks without requiring.
    pub require_user_verification: bool,
}

/// Supabase Auth's API (GoTrue's, for `@supabase/supabase-js`) beside better-auth's, over the same
/// users and sessions. Durations in seconds.
#[derive(Debug, Clone)]
pub struct SupabaseConfig {
    /// `SUPABASE_API_PATH`: where the API is served (`/auth/v1` unless set).
    pub base_path: String,
    /// `SUPABASE_JWT_EXPIRY`: how long an access token lives (GoTrue's `JWT_EXP`).
    pub access_token_lifetime: i64,
    /// `SUPABASE_REFRESH_TOKEN_REUSE_INTERVAL`: how long a refresh token that was just used may be
    /// used again (a client that lost the answer) before reuse revokes its session.
    pub refresh_reuse_interval: i64,
    /// `SUPABASE_OTP_EXPIRY`: how long an emailed code or link lives.
    pub otp_expires_in: i64,
}

/// better-auth's twoFactor plugin. Durations in seconds.
#[derive(Debug, Clone)]
pub struct TwoFactorConfig {
    /// `TWO_FACTOR_ENABLED` (on unless set false): users may turn on a second factor, and
    /// password sign-ins of those who did ask for it.
    pub enabled: bool,
    /// `TWO_FACTOR_ISSUER`: the issuer authenticator apps show (`APP_NAME` unless set).
    pub issuer: String,
    /// `TWO_FACTOR_OTP_ENABLED` (on when mail is configured): codes by email as a second factor.
    pub otp_enabled: bool,
    /// `TWO_FACTOR_OTP_EXPIRES_IN`: seconds an emailed code works (better-auth's 180).
    pub otp_expires_in: i64,
    /// `TWO_FACTOR_OTP_ALLOWED_ATTEMPTS`: wrong tries an emailed code survives (better-auth's 5).
    pub otp_allowed_attempts: i64,
    /// `TWO_FACTOR_COOKIE_MAX_AGE`: seconds a sign-in waits for its second factor (600).
    pub challenge_max_age: i64,
    /// `TRUST_DEVICE_MAX_AGE`: seconds a trusted device skips the second factor (30 days).
    pub trust_device_max_age: i64,
    /// `TWO_FACTOR_LOCKOUT_MAX_FAILURES`: consecutive failed second factors before the lock
    /// (better-auth's 10; 0 never locks).
    pub lockout_max_failures: i64,
    /// `TWO_FACTOR_LOCKOUT_SECONDS`: how long the lock lasts (better-auth's 900).
    pub lockout_seconds: i64,
}

/// Email verification, password reset and email change. Durations in seconds.
#[derive(Debug, Clone)]
pub struct EmailConfig {
    /// `None`: the email endpoints answer as better-auth does without a sender configured.
    pub mailer: Option<MailerConfig>,
    pub app_name: String,
    pub require_verification: bool,
    pub send_on_sign_up: bool,
    pub send_on_sign_in: bool,
    /// Sign-up opens a session (unless verification is required).
    pub auto_sign_in: bool,
    pub auto_sign_in_after_verification: bool,
    pub verification_expires_in: i64,
    pub reset_expires_in: i64,
    pub revoke_sessions_on_reset: bool,
    pub change_email_enabled: bool,
    /// Messages one cron run sends at most.
    pub batch_size: i64,
    /// The least time (ms) an answer that must not reveal whether an address exists takes.
    pub answer_floor_ms: i64,
}

/// better-auth's admin plugin: who is an admin, the role new users get, and bans.
#[derive(Debug, Clone)]
pub struct AdminConfig {
    /// `ADMIN_USER_IDS`: users who pass every admin check, whatever their role.
    pub user_ids: Vec<String>,
    /// `ADMIN_ROLES`: the roles that hold the admin permissions (default `admin`).
    pub admin_roles: Vec<String>,
    /// `DEFAULT_ROLE`: the role of new users (default `user`).
    pub default_role: String,
    /// `BANNED_USER_MESSAGE`: the message of `BANNED_USER` answers.
    pub banned_message: String,
    /// `DEFAULT_BAN_EXPIRES_IN`: seconds a ban lasts when the admin names no expiry (unset: forever).
    pub default_ban_expires_in: Option<i64>,
    /// `IMPERSONATION_SESSION_DURATION`: seconds an impersonation session lasts.
    pub impersonation_session_duration: i64,
    /// `ADMIN_ROLE_PERMISSIONS`: roles of the deployment's own, with what each grants
    /// (`{"support": {"session": ["list", "revoke"]}}`). While set, only known roles can be given.
    pub custom_roles: Vec<CustomRole>,
}

/// A role `ADMIN_ROLE_PERMISSIONS` defines: per resource, the actions it grants.
#[derive(Debug, Clone, PartialEq)]
pub struct CustomRole {
    pub name: String,
    pub grants: Vec<(String, Vec<String>)>,
}

/// The resources and actions of better-auth's admin access control.
pub const ADMIN_STATEMENTS: &[(&str, &[&str])] = &[
    (
        "user",
        &[
            "create",
            "list",
            "set-role",
            "ban",
            "impersonate",
            "impersonate-admins",
            "delete",
            "set-password",
            "set-email",
            "get",
            "update",
        ],
    ),
    ("session", &["list", "revoke", "delete"]),
];

impl AdminConfig {
    /// `ADMIN_ROLE_PERMISSIONS`, checked against the statements: a misspelt action is a
    /// configuration error, not a permission silently never granted.
    fn parse_roles(text: &str) -> Result<Vec<CustomRole>, ConfigError> {
        let invalid = |reason: String| ConfigError::Invalid {
            name: "ADMIN_ROLE_PERMISSIONS",
            reason,
        };
        let value: serde_json::Value =
            serde_json::from_str(text).map_err(|e| invalid(format!("not JSON: {e}")))?;
        let roles = value
            .as_object()
            .ok_or_else(|| invalid("expected an object of roles".into()))?;
        roles
            .iter()
            .map(|(name, grants)| {
                let grants = grants.as_object().ok_or_else(|| {
                    invalid(format!("role {name:?}: expected an object of resources"))
                })?;
                let grants = grants
                    .iter()
                    .map(|(resource, actions)| {
                        let allowed = ADMIN_STATEMENTS
                            .iter()
                            .find(|(r, _)| r == resource)
                            .map(|(_, a)| *a)
                            .ok_or_else(|| {
                                invalid(format!("role {name:?}: unknown resource {resource:?}"))
                            })?;
                        let actions = actions
                            .as_array()
                            .ok_or_else(|| {
                                invalid(format!(
                                    "role {name:?}: expected a list of actions for {resource:?}"
                                ))
                            })?
                            .iter()
                            .map(|a| match a.as_str() {
                                Some(a) if allowed.contains(&a) => Ok(a.to_string()),
                                _ => Err(invalid(format!(
                                    "role {name:?}: unknown action {a} on {resource:?}"
                                ))),
                            })
                            .collect::<Result<Vec<_>, _>>()?;
                        Ok((resource.clone(), actions))
                    })
                    .collect::<Result<Vec<_>, ConfigError>>()?;
                Ok(CustomRole {
                    name: name.clone(),
                    grants,
                })
            })
            .collect()
    }

    /// Whether `role` can be given to a user: any role while no custom roles are configured, else
    /// the admin roles, the default role, `user` and the configured ones.
    pub fn is_known_role(&self, role: &str) -> bool {
        self.custom_roles.is_empty()
            || role == "user"
            || role == self.default_role
            || self.admin_roles.iter().any(|r| r == role)
            || self.custom_roles.iter().any(|r| r.name == role)
    }
}

/// Resources with actions on each (`{"user": ["ban"], "files": ["read"]}`): what a role or an API
/// key grants, or what a request asks for.
pub type Grants = Vec<(String, Vec<String>)>;

/// `{"resource": ["action", …], …}` as [`Grants`]; `None` when it is not that shape.
pub fn parse_grants(value: &serde_json::Value) -> Option<Grants> {
    value
        .as_object()?
        .iter()
        .map(|(resource, actions)| {
            let actions = actions
                .as_array()?
                .iter()
                .map(|a| a.as_str().map(str::to_string))
                .collect::<Option<Vec<_>>>()?;
            Some((resource.clone(), actions))
        })
        .collect()
}

/// Whether `granted` allows every action `requested` asks (better-auth's `role().authorize`).
pub fn grants_allow(granted: &Grants, requested: &Grants) -> bool {
    requested.iter().all(|(resource, actions)| {
        granted
            .iter()
            .find(|(r, _)| r == resource)
            .is_some_and(|(_, allowed)| actions.iter().all(|a| allowed.contains(a)))
    })
}

/// better-auth's API keys (`@better-auth/api-key`): how keys are made, limited and used.
#[derive(Debug, Clone)]
pub struct ApiKeyConfig {
    /// `API_KEYS_ENABLED`: the `/api-key/*` endpoints and `x-api-key` (default on).
    pub enabled: bool,
    /// `API_KEY_SESSIONS`: a valid `x-api-key` stands for its user's session on the endpoints
    /// that accept one (better-auth's `enableSessionForAPIKeys`; default on).
    pub sessions: bool,
    /// `API_KEY_PREFIX`: put before every new key that names no prefix of its own.
    pub default_prefix: Option<String>,
    /// `API_KEY_LENGTH`: random letters in a new key (default 64); shorter keys are refused.
    pub length: usize,
    /// `API_KEY_RATE_LIMIT_ENABLED`: per-key rate limits (default on).
    pub rate_limit_enabled: bool,
    /// `API_KEY_RATE_LIMIT_MAX`: uses per window of a new key (default 10).
    pub rate_limit_max: i64,
    /// `API_KEY_RATE_LIMIT_WINDOW`: the window of a new key, in seconds (default a day).
    pub rate_limit_window: i64,
    /// `API_KEY_DEFAULT_EXPIRES_IN`: seconds a new key lives when its creator names no expiry.
    pub default_expires_in: Option<i64>,
    /// `API_KEY_METADATA_ENABLED`: keys may carry metadata (off by default, as in better-auth).
    pub metadata_enabled: bool,
    /// `API_KEY_REQUIRE_NAME`: a new key must be named.
    pub require_name: bool,
    /// `API_KEY_DEFAULT_PERMISSIONS`: what a new key grants when its creator names nothing.
    pub default_permissions: Option<Grants>,
}

impl ApiKeyConfig {
    /// Whether `x-api-key` may stand for a session.
    pub fn sessions_on(&self) -> bool {
        self.enabled && self.sessions
    }
}

/// Whether `prefix` is one better-auth accepts for a key: letters, digits, `_` and `-`.
pub fn is_key_prefix(prefix: &str) -> bool {
    !prefix.is_empty()
        && prefix
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

/// Rate limits: per client and path (the binding), per account (failed sign-ins) and per
/// recipient (messages), each counted apart.
#[derive(Debug, Clone)]
pub struct RateLimitConfig {
    /// Per-client limits on every endpoint (`RATE_LIMIT_ENABLED`).
    pub enabled: bool,
    /// Headers that carry the client's address, tried in order (`IP_ADDRESS_HEADERS`).
    pub ip_headers: Vec<String>,
    /// `RATE_LIMIT_RULES`, in order: a path pattern and its rule (`None`: not limited).
    pub custom: Vec<(String, Option<Rule>)>,
    /// Failed sign-ins for one address before it answers 429 (`0`: no limit).
    pub sign_in_max_failures: i64,
    /// Seconds the failed sign-ins of an address are counted over.
    pub sign_in_failure_window: i64,
    /// Messages one address may be sent per hour.
    pub mail_per_address_per_hour: i64,
}

impl RateLimitConfig {
    /// The rule for a request to `path`: the first custom rule whose pattern matches, else the
    /// endpoint's own. `None`: not limited.
    pub fn rule_for(&self, path: &str, declared: Option<Rule>) -> Option<Rule> {
        if !self.enabled {
            return None;
        }
        match self.custom.iter().find(|(p, _)| glob_match(p, path)) {
            Some((_, rule)) => *rule,
            None => declared,
        }
    }

    fn parse_rules(text: &str) -> Result<Vec<(String, Option<Rule>)>, ConfigError> {
        let invalid = |reason: String| ConfigError::Invalid {
            name: "RATE_LIMIT_RULES",
            reason,
        };
        let map: serde_json::Map<String, serde_json::Value> = serde_json::from_str(text)
            .map_err(|_| invalid(r#"expected JSON such as {"/sign-in/*": {"window": 60, "max": 5}, "/get-session": false}"#.into()))?;
        map.into_iter()
            .map(|(path, value)| {
                if !path.starts_with('/') {
                    return Err(invalid(format!("{path:?} is not a path under the base path")));
                }
                let number = |k: &str| value.get(k).and_then(serde_json::Value::as_u64);
                let rule = match (&value, number("window"), number("max")) {
                    (serde_json::Value::Bool(false), _, _) => None,
                    (_, Some(window), Some(max))
                        if Rule::WINDOWS.contains(&(window as u32)) && (1..=1_000_000).contains(&max) =>
                    {
                        Some(Rule { window: window as u32, max: max as u32 })
                    }
                    _ => return Err(invalid(format!("the rule for {path:?} must be false or {{\"window\": 10 or 60, \"max\": 1 or more}} (Cloudflare's limiter counts over 10 or 60 seconds)"))),
                };
                Ok((path, rule))
            })
            .collect()
    }
}

#[derive(Debug, Clone)]
pub struct Config {
    pub secret: Secret,
    /// Origin of `BETTER_AUTH_URL`; its scheme decides `Secure` and the `__Secure-` cookie prefix.
    pub base_origin: Origin,
    pub base_path: String,
    /// The base URL's origin followed by every `TRUSTED_ORIGINS` entry.
    pub trusted_origins: Vec<OriginPattern>,
    pub session_expires_in: i64,
    pub session_update_age: i64,
    pub session_fresh_age: i64,
    /// How long KV may keep a session entry, in seconds: a lost delete heals within this.
    pub session_cache_ttl: i64,
    /// Seconds after creation when a session ends however it was refreshed; `0` = no limit.
    pub session_absolute_lifetime: i64,
    pub password_min_length: usize,
    pub password_max_length: usize,
    pub delete_user_enabled: bool,
    /// `OPENAPI_ENABLED`: the OpenAPI document and the reference page are served.
    pub open_api_enabled: bool,
    pub max_body_bytes: usize,
    pub password_hasher: PasswordHasher,
    pub jwt: JwtConfig,
    pub sync: Option<SyncConfig>,
    pub email: EmailConfig,
    /// `x-reconcile-token` for the operator endpoints; unset disables them.
    pub reconcile_token: Option<Secret>,
    pub rate_limit: RateLimitConfig,
    pub admin: AdminConfig,
    pub api_keys: ApiKeyConfig,
    pub social: SocialConfig,
    pub magic_link: MagicLinkConfig,
    pub email_otp: EmailOtpConfig,
    pub two_factor: TwoFactorConfig,
    pub passkey: PasskeyConfig,
    /// `SUPABASE_API_ENABLED=true`: the Supabase Auth API is served.
    pub supabase: Option<SupabaseConfig>,
}

impl Config {
    pub fn secure_cookies(&self) -> bool {
        self.base_origin.is_https()
    }

    /// `BETTER_AUTH_URL`'s origin and the base path: where links in messages point.
    pub fn base_url(&self) -> String {
        format!("{}{}", self.base_origin, self.base_path)
    }

    pub fn is_trusted_origin(&self, origin: &Origin) -> bool {
        self.trusted_origins.iter().any(|p| p.matches(origin))
    }

    /// Reads configuration through `lookup(name)`; empty values count as unset.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Config, ConfigError> {
        let get = |name: &str| {
            lookup(name)
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty())
        };

        let secret = get("BETTER_AUTH_SECRET").ok_or(ConfigError::Missing("BETTER_AUTH_SECRET"))?;
        if secret.chars().count() < MIN_SECRET_LEN {
            return Err(ConfigError::WeakSecret);
        }
        let base_url = get("BETTER_AUTH_URL").ok_or(ConfigError::Missing("BETTER_AUTH_URL"))?;
        let (base_origin, path) =
            Origin::parse_url(&base_url).ok_or_else(|| ConfigError::Invalid {
                name: "BETTER_AUTH_URL",
                reason: format!("{base_url:?} is not an absolute http(s) URL"),
            })?;
        let base_path = match path.trim_end_matches('/') {
            "" => "/api/auth".to_string(),
            p => p.to_string(),
        };

        let mut trusted_origins = vec![OriginPattern::Exact(base_origin.clone())];
        for entry in get("TRUSTED_ORIGINS")
            .unwrap_or_default()
            .split(',')
            .map(str::trim)
            .filter(|e| !e.is_empty())
        {
            let pattern = OriginPattern::parse(entry).ok_or_else(|| ConfigError::Invalid {
                name: "TRUSTED_ORIGINS",
                reason: format!("{entry:?} is not an origin such as https://app.example.com"),
            })?;
            if pattern.is_too_broad() {
                return Err(ConfigError::Invalid {
                    name: "TRUSTED_ORIGINS",
                    reason: format!("{entry:?} would trust hosts anyone can own; name your domain, as in https://*.example.com"),
                });
            }
            trusted_origins.push(pattern);
        }

        let number =
            |name: &'static str, default: i64, min: i64, max: i64| -> Result<i64, ConfigError> {
                match get(name) {
                    None => Ok(default),
                    Some(v) => match v.parse::<i64>() {
                        Ok(n) if (min..=max).contains(&n) => Ok(n),
                        _ => Err(ConfigError::Invalid {
                            name,
                            reason: format!(
                                "expected a whole number from {min} to {max}, got {v:?}"
                            ),
                        }),
                    },
                }
            };
        // A cookie's Max-Age may not exceed 400 days.
        let session_expires_in = number("SESSION_EXPIRES_IN", 7 * 86_400, 60, 400 * 86_400)?;
        let session_update_age = number("SESSION_UPDATE_AGE", 86_400, 0, session_expires_in)?;
        let session_fresh_age = number("SESSION_FRESH_AGE", 86_400, 0, 400 * 86_400)?;
        let session_cache_ttl = number("SESSION_CACHE_TTL", 300, 60, 86_400)?;
        let session_absolute_lifetime = number("SESSION_ABSOLUTE_LIFETIME", 0, 0, 400 * 86_400)?;
        let password_min_length = number("PASSWORD_MIN_LENGTH", 8, 1, 1024)? as usize;
        let password_max_length =
            number("PASSWORD_MAX_LENGTH", 128, password_min_length as i64, 1024)? as usize;
        let max_body_bytes = number("MAX_BODY_BYTES", 64 * 1024, 1024, 16 * 1024 * 1024)? as usize;
        let flag = |name: &'static str, default: bool| -> Result<bool, ConfigError> {
            match get(name).as_deref() {
                None => Ok(default),
                Some("true") | Some("1") => Ok(true),
                Some("false") | Some("0") => Ok(false),
                Some(v) => Err(ConfigError::Invalid {
                    name,
                    reason: format!("expected true or false, got {v:?}"),
                }),
            }
        };
        let delete_user_enabled = flag("DELETE_USER_ENABLED", true)?;
        let open_api_enabled = flag("OPENAPI_ENABLED", true)?;

        let password_hasher = match get("PASSWORD_HASHER").as_deref() {
            None | Some("wasm") => PasswordHasher::Wasm,
            Some("node-crypto") => PasswordHasher::NodeCrypto,
            Some(v) => {
                return Err(ConfigError::Invalid {
                    name: "PASSWORD_HASHER",
                    reason: format!("expected wasm or node-crypto, got {v:?}"),
                })
            }
        };

        let jwt = JwtConfig {
            issuer: get("JWT_ISSUER").unwrap_or_else(|| base_origin.to_string()),
            audience: get("JWT_AUDIENCE").unwrap_or_else(|| base_origin.to_string()),
            expires_in: number("JWT_EXPIRES_IN", 15 * 60, 30, 86_400)?,
            rotation_interval: number(
                "JWKS_ROTATION_INTERVAL",
                30 * 86_400,
                2 * 86_400,
                365 * 86_400,
            )?,
            grace_period: number("JWKS_GRACE_PERIOD", 30 * 86_400, 86_400, 365 * 86_400)?,
        };

        let sync = match get("PAYLOAD_SYNC_URL") {
            None => None,
            Some(url) => {
                let url = http_url("PAYLOAD_SYNC_URL", &url, &base_origin)?;
                let secret = get("BA_TO_PAYLOAD_SECRET")
                    .ok_or(ConfigError::Missing("BA_TO_PAYLOAD_SECRET"))?;
                if secret.chars().count() < MIN_SECRET_LEN {
                    return Err(ConfigError::Invalid {
                        name: "BA_TO_PAYLOAD_SECRET",
                        reason: format!("must be at least {MIN_SECRET_LEN} characters long"),
                    });
                }
                Some(SyncConfig {
                    url: url.trim_end_matches('/').to_string(),
                    secret: Secret(secret),
                    key_id: get("BA_TO_PAYLOAD_KEY_ID").unwrap_or_else(|| "1".to_string()),
                    previous_secret: get("BA_TO_PAYLOAD_PREVIOUS_SECRET").map(Secret),
                    subrequest_budget: number("SYNC_SUBREQUEST_BUDGET", 40, 1, 10_000)?,
                    batch_size: number("SYNC_BATCH_SIZE", 500, 1, 1_000)?,
                    batch_bytes: number("SYNC_BATCH_BYTES", 256 * 1024, 4 * 1024, 4 * 1024 * 1024)?
                        as usize,
                    reconcile: ReconcileConfig {
                        page_size: number("RECONCILE_PAGE_SIZE", 1_000, 1, 1_000)?,
                        every_ms: number(
                            "RECONCILE_EVERY_MS",
                            30 * 60 * 1000,
                            60_000,
                            30 * 86_400_000,
                        )?,
                        on_boot: flag("RECONCILE_ON_BOOT", true)?,
                        prune: flag("RECONCILE_PRUNE", false)?,
                    },
                    protocol: number("SYNC_PROTOCOL", 2, 1, 2)? as u8,
                })
            }
        };
        let reconcile_token = get("RECONCILE_TOKEN").map(Secret);
        if reconcile_token
            .as_ref()
            .is_some_and(|t| t.expose().len() < MIN_SECRET_LEN)
        {
            return Err(ConfigError::Invalid {
                name: "RECONCILE_TOKEN",
                reason: format!("must be at least {MIN_SECRET_LEN} characters long"),
            });
        }

        let mailer = match get("MAIL_PROVIDER").as_deref() {
            None => None,
            Some("resend") => Some(MailerConfig::Resend {
                url: http_url(
                    "RESEND_API_URL",
                    &get("RESEND_API_URL").unwrap_or_else(|| "https://api.resend.com/emails".into()),
                    &base_origin,
                )?,
                api_key: Secret(get("RESEND_API_KEY").ok_or(ConfigError::Missing("RESEND_API_KEY"))?),
                from: get("MAIL_FROM").ok_or(ConfigError::Missing("MAIL_FROM"))?,
            }),
            Some("webhook") => {
                let url = get("MAIL_WEBHOOK_URL").ok_or(ConfigError::Missing("MAIL_WEBHOOK_URL"))?;
                let secret =
                    get("MAIL_WEBHOOK_SECRET").ok_or(ConfigError::Missing("MAIL_WEBHOOK_SECRET"))?;
                if secret.chars().count() < MIN_SECRET_LEN {
                    return Err(ConfigError::Invalid {
                        name: "MAIL_WEBHOOK_SECRET",
                        reason: format!("must be at least {MIN_SECRET_LEN} characters long"),
                    });
                }
                Some(MailerConfig::Webhook {
                    url: http_url("MAIL_WEBHOOK_URL", &url, &base_origin)?,
                    secret: Secret(secret),
                    key_id: get("MAIL_WEBHOOK_KEY_ID").unwrap_or_else(|| "1".to_string()),
                })
            }
            // Links and messages become readable over HTTP: never on a public address.
            Some("log") if base_origin.is_loopback() => Some(MailerConfig::Log),
            Some("log") => {
                return Err(ConfigError::Invalid {
                    name: "MAIL_PROVIDER",
                    reason: "log keeps messages readable at /dev/mailbox, so it is only allowed when BETTER_AUTH_URL is a loopback address".into(),
                })
            }
            Some(v) => {
                return Err(ConfigError::Invalid {
                    name: "MAIL_PROVIDER",
                    reason: format!("expected resend, webhook or log, got {v:?}"),
                })
            }
        };
        let require_verification = flag("REQUIRE_EMAIL_VERIFICATION", false)?;
        if require_verification && mailer.is_none() {
            return Err(ConfigError::Invalid {
                name: "REQUIRE_EMAIL_VERIFICATION",
                reason: "needs MAIL_PROVIDER, or nobody could ever verify an address".into(),
            });
        }
        let email = EmailConfig {
            app_name: get("APP_NAME").unwrap_or_else(|| base_origin.host().to_string()),
            require_verification,
            send_on_sign_up: flag("SEND_VERIFICATION_ON_SIGN_UP", require_verification)?,
            send_on_sign_in: flag("SEND_VERIFICATION_ON_SIGN_IN", false)?,
            auto_sign_in: flag("AUTO_SIGN_IN", true)?,
            auto_sign_in_after_verification: flag("AUTO_SIGN_IN_AFTER_VERIFICATION", false)?,
            verification_expires_in: number(
                "EMAIL_VERIFICATION_EXPIRES_IN",
                3_600,
                60,
                7 * 86_400,
            )?,
            reset_expires_in: number("RESET_PASSWORD_TOKEN_EXPIRES_IN", 3_600, 60, 86_400)?,
            revoke_sessions_on_reset: flag("REVOKE_SESSIONS_ON_PASSWORD_RESET", true)?,
            change_email_enabled: flag("CHANGE_EMAIL_ENABLED", mailer.is_some())?,
            batch_size: number("MAIL_BATCH_SIZE", 10, 1, 100)?,
            answer_floor_ms: number("MAIL_ANSWER_FLOOR_MS", 400, 0, 5_000)?,
            mailer,
        };

        let names = |value: Option<String>, default: &str| -> Vec<String> {
            value
                .unwrap_or_else(|| default.to_string())
                .split(',')
                .map(|n| n.trim().to_string())
                .filter(|n| !n.is_empty())
                .collect()
        };
        let admin = AdminConfig {
            user_ids: names(get("ADMIN_USER_IDS"), ""),
            admin_roles: names(get("ADMIN_ROLES"), "admin"),
            default_role: get("DEFAULT_ROLE")
                .map(|r| r.trim().to_string())
                .filter(|r| !r.is_empty())
                .unwrap_or_else(|| "user".into()),
            banned_message: get("BANNED_USER_MESSAGE").unwrap_or_else(|| {
                "You have been banned from this application. Please contact support if you believe this is an error.".into()
            }),
            custom_roles: match get("ADMIN_ROLE_PERMISSIONS") {
                Some(text) => AdminConfig::parse_roles(&text)?,
                None => Vec::new(),
            },
            impersonation_session_duration: number(
                "IMPERSONATION_SESSION_DURATION",
                3_600,
                60,
                86_400,
            )?,
            default_ban_expires_in: match get("DEFAULT_BAN_EXPIRES_IN") {
                Some(_) => Some(number("DEFAULT_BAN_EXPIRES_IN", 0, 1, 100 * 365 * 86_400)?),
                None => None,
            },
        };

        let api_keys = ApiKeyConfig {
            enabled: flag("API_KEYS_ENABLED", true)?,
            sessions: flag("API_KEY_SESSIONS", true)?,
            default_prefix: match get("API_KEY_PREFIX") {
                Some(p) if is_key_prefix(&p) && p.len() <= 32 => Some(p),
                Some(p) => {
                    return Err(ConfigError::Invalid {
                        name: "API_KEY_PREFIX",
                        reason: format!("{p:?} is not 1 to 32 letters, digits, _ or -"),
                    })
                }
                None => None,
            },
            length: number("API_KEY_LENGTH", 64, 32, 256)? as usize,
            rate_limit_enabled: flag("API_KEY_RATE_LIMIT_ENABLED", true)?,
            rate_limit_max: number("API_KEY_RATE_LIMIT_MAX", 10, 1, 1_000_000_000)?,
            rate_limit_window: number("API_KEY_RATE_LIMIT_WINDOW", 86_400, 1, 365 * 86_400)?,
            default_expires_in: match get("API_KEY_DEFAULT_EXPIRES_IN") {
                Some(_) => Some(number(
                    "API_KEY_DEFAULT_EXPIRES_IN",
                    0,
                    86_400,
                    365 * 86_400,
                )?),
                None => None,
            },
            metadata_enabled: flag("API_KEY_METADATA_ENABLED", false)?,
            require_name: flag("API_KEY_REQUIRE_NAME", false)?,
            default_permissions: match get("API_KEY_DEFAULT_PERMISSIONS") {
                Some(text) => Some(
                    serde_json::from_str(&text)
                        .ok()
                        .as_ref()
                        .and_then(parse_grants)
                        .ok_or_else(|| ConfigError::Invalid {
                            name: "API_KEY_DEFAULT_PERMISSIONS",
                            reason: "expected an object of resources, each a list of actions"
                                .into(),
                        })?,
                ),
                None => None,
            },
        };

        let social = social::read(&get, &base_origin, &flag)?;
        let magic_link = MagicLinkConfig {
            enabled: flag("MAGIC_LINK_ENABLED", false)?,
            expires_in: number("MAGIC_LINK_EXPIRES_IN", 300, 60, 86_400)?,
            disable_sign_up: flag("MAGIC_LINK_DISABLE_SIGN_UP", false)?,
        };
        let email_otp = EmailOtpConfig {
            enabled: flag("EMAIL_OTP_ENABLED", false)?,
            expires_in: number("EMAIL_OTP_EXPIRES_IN", 300, 60, 3_600)?,
            allowed_attempts: number("EMAIL_OTP_ALLOWED_ATTEMPTS", 3, 1, 10)?,
            disable_sign_up: flag("EMAIL_OTP_DISABLE_SIGN_UP", false)?,
        };
        let two_factor = TwoFactorConfig {
            enabled: flag("TWO_FACTOR_ENABLED", true)?,
            issuer: get("TWO_FACTOR_ISSUER").unwrap_or_else(|| email.app_name.clone()),
            otp_enabled: flag("TWO_FACTOR_OTP_ENABLED", email.mailer.is_some())?,
            otp_expires_in: number("TWO_FACTOR_OTP_EXPIRES_IN", 180, 60, 3_600)?,
            otp_allowed_attempts: number("TWO_FACTOR_OTP_ALLOWED_ATTEMPTS", 5, 1, 10)?,
            challenge_max_age: number("TWO_FACTOR_COOKIE_MAX_AGE", 600, 60, 3_600)?,
            trust_device_max_age: number("TRUST_DEVICE_MAX_AGE", 30 * 86_400, 60, 400 * 86_400)?,
            lockout_max_failures: number("TWO_FACTOR_LOCKOUT_MAX_FAILURES", 10, 0, 1_000)?,
            lockout_seconds: number("TWO_FACTOR_LOCKOUT_SECONDS", 900, 60, 86_400)?,
        };
        let passkey = PasskeyConfig {
            enabled: flag("PASSKEY_ENABLED", true)?,
            rp_id: get("PASSKEY_RP_ID")
                .unwrap_or_else(|| base_origin.host().to_string())
                .to_ascii_lowercase(),
            rp_name: get("PASSKEY_RP_NAME").unwrap_or_else(|| email.app_name.clone()),
            require_user_verification: match get("PASSKEY_USER_VERIFICATION").as_deref() {
                None | Some("preferred") => false,
                Some("required") => true,
                Some(v) => {
                    return Err(ConfigError::Invalid {
                        name: "PASSKEY_USER_VERIFICATION",
                        reason: format!("expected preferred or required, got {v:?}"),
                    })
                }
            },
        };
        let supabase = if flag("SUPABASE_API_ENABLED", false)? {
            let path = get("SUPABASE_API_PATH").unwrap_or_else(|| "/auth/v1".into());
            let path = path.trim_end_matches('/').to_string();
            let clashes = path == base_path
                || path.starts_with(&format!("{base_path}/"))
                || base_path.starts_with(&format!("{path}/"));
            if !path.starts_with('/')
                || path.len() < 2
                || clashes
                || path.starts_with("/.well-known")
            {
                return Err(ConfigError::Invalid {
                    name: "SUPABASE_API_PATH",
                    reason: format!(
                        "{path:?} must be a path such as /auth/v1, apart from {base_path}"
                    ),
                });
            }
            Some(SupabaseConfig {
                base_path: path,
                access_token_lifetime: number("SUPABASE_JWT_EXPIRY", 3_600, 30, 604_800)?,
                refresh_reuse_interval: number(
                    "SUPABASE_REFRESH_TOKEN_REUSE_INTERVAL",
                    10,
                    0,
                    3_600,
                )?,
                otp_expires_in: number("SUPABASE_OTP_EXPIRY", 3_600, 60, 86_400)?,
            })
        } else {
            None
        };
        if two_factor.otp_enabled && email.mailer.is_none() {
            return Err(ConfigError::Invalid {
                name: "TWO_FACTOR_OTP_ENABLED",
                reason: "needs MAIL_PROVIDER: the codes go by email".into(),
            });
        }

        let rate_limit = RateLimitConfig {
            enabled: flag("RATE_LIMIT_ENABLED", true)?,
            ip_headers: get("IP_ADDRESS_HEADERS")
                .unwrap_or_else(|| "cf-connecting-ip".into())
                .split(',')
                .map(|h| h.trim().to_ascii_lowercase())
                .filter(|h| !h.is_empty())
                .collect(),
            custom: match get("RATE_LIMIT_RULES") {
                Some(text) => RateLimitConfig::parse_rules(&text)?,
                None => Vec::new(),
            },
            sign_in_max_failures: number("SIGN_IN_MAX_FAILURES", 10, 0, 1_000_000)?,
            sign_in_failure_window: number("SIGN_IN_FAILURE_WINDOW", 900, 60, 86_400)?,
            mail_per_address_per_hour: number("MAIL_MAX_PER_ADDRESS_PER_HOUR", 5, 1, 1_000_000)?,
        };

        Ok(Config {
            secret: Secret(secret),
            base_origin,
            base_path,
            trusted_origins,
            session_expires_in,
            session_update_age,
            session_fresh_age,
            session_cache_ttl,
            session_absolute_lifetime,
            password_min_length,
            password_max_length,
            delete_user_enabled,
            open_api_enabled,
            max_body_bytes,
            password_hasher,
            jwt,
            sync,
            email,
            reconcile_token,
            rate_limit,
            admin,
            api_keys,
            social,
            magic_link,
            email_otp,
            two_factor,
            passkey,
            supabase,
        })
    }
}

/// An absolute http(s) URL. User data must not cross the internet in clear text: plain http is
/// refused when the service itself is https, unless the URL is on loopback (local setups).
fn http_url(name: &'static str, url: &str, base_origin: &Origin) -> Result<String, ConfigError> {
    let Some((origin, _)) = Origin::parse_url(url) else {
        return Err(ConfigError::Invalid {
            name,
            reason: format!("{url:?} is not an absolute http(s) URL"),
        });
    };
    if !origin.is_https() && base_origin.is_https() && !origin.is_loopback() {
        return Err(ConfigError::Invalid {
            name,
            reason: "must use https when BETTER_AUTH_URL does".into(),
        });
    }
    Ok(url.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    const SECRET: &str = "0123456789abcdef0123456789abcdef";

    fn config(vars: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Config::from_lookup(|name| map.get(name).cloned())
    }

    #[test]
    fn defaults_follow_better_auth() {
        let c = config(&[
            ("BETTER_AUTH_SECRET", SECRET),
            ("BETTER_AUTH_URL", "http://127.0.0.1:8787"),
        ])
        .unwrap();
        assert_eq!(
            (c.session_expires_in, c.session_update_age),
            (604_800, 86_400)
        );
        assert_eq!((c.password_min_length, c.password_max_length), (8, 128));
        assert_eq!(c.base_path, "/api/auth");
        assert!(!c.secure_cookies());
        assert_eq!(c.password_hasher, PasswordHasher::Wasm);
        assert_eq!(
            (
                c.jwt.issuer.as_str(),
                c.jwt.audience.as_str(),
                c.jwt.expires_in
            ),
            ("http://127.0.0.1:8787", "http://127.0.0.1:8787", 900)
        );
        assert_eq!(
            (c.jwt.rotation_interval, c.jwt.grace_period),
            (30 * 86_400, 30 * 86_400)
        );
    }

    #[test]
    fn sync_is_configured_only_with_a_url_and_a_strong_secret() {
        let base = [
            ("BETTER_AUTH_SECRET", SECRET),
            ("BETTER_AUTH_URL", "http://x.test"),
        ];
        assert!(config(&base).unwrap().sync.is_none());
        let url = ("PAYLOAD_SYNC_URL", "http://127.0.0.1:3000/");
        assert_eq!(
            config(&[base[0], base[1], url]).unwrap_err(),
            ConfigError::Missing("BA_TO_PAYLOAD_SECRET")
        );
        assert!(matches!(
            config(&[base[0], base[1], url, ("BA_TO_PAYLOAD_SECRET", "short")]),
            Err(ConfigError::Invalid { .. })
        ));
        let c = config(&[base[0], base[1], url, ("BA_TO_PAYLOAD_SECRET", SECRET)]).unwrap();
        let sync = c.sync.unwrap();
        assert_eq!(
            (
                sync.url.as_str(),
                sync.key_id.as_str(),
                sync.subrequest_budget,
                sync.secrets().len()
            ),
            ("http://127.0.0.1:3000", "1", 40, 1)
        );
    }

    #[test]
    fn sync_over_plain_http_is_refused_for_an_https_service_unless_on_loopback() {
        let https = [
            ("BETTER_AUTH_SECRET", SECRET),
            ("BETTER_AUTH_URL", "https://auth.example.com"),
            ("BA_TO_PAYLOAD_SECRET", SECRET),
        ];
        let with_url = |url| config(&[https[0], https[1], https[2], ("PAYLOAD_SYNC_URL", url)]);
        assert!(matches!(
            with_url("http://cms.example.com"),
            Err(ConfigError::Invalid {
                name: "PAYLOAD_SYNC_URL",
                ..
            })
        ));
        assert!(with_url("https://cms.example.com").is_ok());
        assert!(with_url("http://127.0.0.1:3000").is_ok());
        assert!(with_url("http://localhost:3000").is_ok());
    }

    #[test]
    fn the_password_hasher_is_chosen_by_name() {
        let base = [
            ("BETTER_AUTH_SECRET", SECRET),
            ("BETTER_AUTH_URL", "http://x.test"),
        ];
        let c = config(&[base[0], base[1], ("PASSWORD_HASHER", "node-crypto")]).unwrap();
        assert_eq!(c.password_hasher, PasswordHasher::NodeCrypto);
        assert!(matches!(
            config(&[base[0], base[1], ("PASSWORD_HASHER", "md5")]),
            Err(ConfigError::Invalid {
                name: "PASSWORD_HASHER",
                ..
            })
        ));
    }

    #[test]
    fn https_base_url_means_secure_cookies_and_trusted_origin() {
        let c = config(&[
            ("BETTER_AUTH_SECRET", SECRET),
            ("BETTER_AUTH_URL", "https://auth.example.com/api/auth"),
        ])
        .unwrap();
        assert!(c.secure_cookies());
        assert!(c.is_trusted_origin(&Origin::parse("https://auth.example.com").unwrap()));
        assert!(!c.is_trusted_origin(&Origin::parse("http://auth.example.com").unwrap()));
    }

    #[test]
    fn missing_or_weak_secret_is_an_error_never_a_default() {
        assert_eq!(
            config(&[("BETTER_AUTH_URL", "http://x.test")]).unwrap_err(),
            ConfigError::Missing("BETTER_AUTH_SECRET")
        );
        assert_eq!(
            config(&[
                ("BETTER_AUTH_SECRET", "short"),
                ("BETTER_AUTH_URL", "http://x.test")
            ])
            .unwrap_err(),
            ConfigError::WeakSecret
        );
    }

    #[test]
    fn secrets_never_appear_in_debug_output() {
        let c = config(&[
            ("BETTER_AUTH_SECRET", SECRET),
            ("BETTER_AUTH_URL", "http://x.test"),
        ])
        .unwrap();
        assert!(!format!("{c:?}").contains(SECRET));
    }

    #[test]
    fn trusted_origins_are_parsed_and_bad_entries_rejected() {
        let base = [
            ("BETTER_AUTH_SECRET", SECRET),
            ("BETTER_AUTH_URL", "http://x.test"),
        ];
        let c = config(&[
            base[0],
            base[1],
            (
                "TRUSTED_ORIGINS",
                " http://127.0.0.1:5173 , https://*.example.com",
            ),
        ])
        .unwrap();
        assert!(c.is_trusted_origin(&Origin::parse("http://127.0.0.1:5173").unwrap()));
        assert!(c.is_trusted_origin(&Origin::parse("https://app.example.com").unwrap()));
        assert!(!c.is_trusted_origin(&Origin::parse("https://example.com.evil.test").unwrap()));
        assert!(matches!(
            config(&[base[0], base[1], ("TRUSTED_ORIGINS", "not a url")]),
            Err(ConfigError::Invalid { .. })
        ));
    }

    #[test]
    fn trusting_every_host_or_a_short_reconcile_token_is_a_configuration_error() {
        let base = [
            ("BETTER_AUTH_SECRET", SECRET),
            ("BETTER_AUTH_URL", "http://x.test"),
        ];
        for broad in ["*", "https://*", "https://app.example.com, *.com"] {
            assert!(
                matches!(
                    config(&[base[0], base[1], ("TRUSTED_ORIGINS", broad)]),
                    Err(ConfigError::Invalid {
                        name: "TRUSTED_ORIGINS",
                        ..
                    })
                ),
                "{broad}"
            );
        }
        assert!(matches!(
            config(&[base[0], base[1], ("RECONCILE_TOKEN", "short-token")]),
            Err(ConfigError::Invalid {
                name: "RECONCILE_TOKEN",
                ..
            })
        ));
        assert!(config(&[base[0], base[1], ("RECONCILE_TOKEN", SECRET)]).is_ok());
    }

    #[test]
    fn rate_limits_are_on_by_default_and_custom_rules_are_checked() {
        let base = [
            ("BETTER_AUTH_SECRET", SECRET),
            ("BETTER_AUTH_URL", "http://x.test"),
        ];
        let c = config(&base).unwrap();
        let r = &c.rate_limit;
        assert!(r.enabled);
        assert_eq!(r.ip_headers, vec!["cf-connecting-ip"]);
        assert_eq!(
            (
                r.sign_in_max_failures,
                r.sign_in_failure_window,
                r.mail_per_address_per_hour
            ),
            (10, 900, 5)
        );
        assert_eq!(
            r.rule_for("/sign-in/email", Some(Rule::CREDENTIALS)),
            Some(Rule::CREDENTIALS)
        );
        let c = config(&[
            base[0],
            base[1],
            (
                "RATE_LIMIT_RULES",
                r#"{"/get-session": false, "/sign-in/*": {"window": 60, "max": 5}}"#,
            ),
            ("IP_ADDRESS_HEADERS", "X-Forwarded-For"),
        ])
        .unwrap();
        let r = &c.rate_limit;
        assert_eq!(r.rule_for("/get-session", Some(Rule::DEFAULT)), None);
        assert_eq!(
            r.rule_for("/sign-in/email", Some(Rule::CREDENTIALS)),
            Some(Rule { window: 60, max: 5 })
        );
        assert_eq!(
            r.rule_for("/sign-up/email", Some(Rule::CREDENTIALS)),
            Some(Rule::CREDENTIALS)
        );
        assert_eq!(r.ip_headers, vec!["x-forwarded-for"]);
        for bad in [
            "not json",
            r#"{"/x": {"window": 30, "max": 5}}"#,
            r#"{"/x": {"window": 10, "max": 0}}"#,
            r#"{"/x": true}"#,
            r#"{"x": false}"#,
        ] {
            assert!(
                matches!(
                    config(&[base[0], base[1], ("RATE_LIMIT_RULES", bad)]),
                    Err(ConfigError::Invalid {
                        name: "RATE_LIMIT_RULES",
                        ..
                    })
                ),
                "{bad}"
            );
        }
        let off = config(&[base[0], base[1], ("RATE_LIMIT_ENABLED", "false")]).unwrap();
        assert_eq!(
            off.rate_limit
                .rule_for("/sign-in/email", Some(Rule::CREDENTIALS)),
            None
        );
    }

    #[test]
    fn numbers_out_of_range_are_rejected() {
        let err = config(&[
            ("BETTER_AUTH_SECRET", SECRET),
            ("BETTER_AUTH_URL", "http://x.test"),
            ("SESSION_EXPIRES_IN", "-5"),
        ]);
        assert!(matches!(
            err,
            Err(ConfigError::Invalid {
                name: "SESSION_EXPIRES_IN",
                ..
            })
        ));
    }
}
