//! The per-request context handed to route handlers: configuration, drivers, the parsed request,
//! the presented session token, and the cookies the answer will set.

use super::cookies::{self, SetCookie, DONT_REMEMBER, SESSION_DATA, SESSION_TOKEN};
use super::request::{header, Request};
use crate::app::{Drivers, Level};
use crate::auth::one_time::{self, Mailing};
use crate::auth::sessions::{ActiveSession, Sessions, Source};
use crate::config::Config;
use crate::crypto::hmac::sign_value;
use crate::crypto::random;
use crate::error::ApiError;
use crate::jwt::keyring::KeyRing;
use crate::storage::{outbox, Statement};
use crate::time::Millis;
use percent_encoding::percent_decode_str;
use serde_json::Value;

/// What a user change means for the downstream copy.
pub enum SyncChange {
    Upsert,
    Delete,
}

pub struct Ctx<'a> {
    pub config: &'a Config,
    pub drivers: &'a Drivers,
    pub req: &'a Request,
    pub now: Millis,
    pub body: Option<Value>,
    pub query: Vec<(String, String)>,
    jar: Vec<(String, String)>,
    pub(super) set_cookies: Vec<String>,
    /// `token.signature` of a session cookie this answer sets (sent as `set-auth-token`).
    pub(super) auth_token: Option<String>,
    /// Users whose change put sync work in the outbox: sent right after the response.
    pub synced_users: Vec<String>,
    /// Messages this request queued: first delivery attempt right after the response.
    pub queued_mail: Vec<String>,
}

impl<'a> Ctx<'a> {
    pub fn new(config: &'a Config, drivers: &'a Drivers, req: &'a Request, now: Millis) -> Ctx<'a> {
        let jar = header(req, "cookie")
            .map(cookies::parse)
            .unwrap_or_default();
        let query = super::request::query_pairs(req);
        Ctx {
            config,
            drivers,
            req,
            now,
            body: None,
            query,
            jar,
            set_cookies: Vec::new(),
            auth_token: None,
            synced_users: Vec::new(),
            queued_mail: Vec::new(),
        }
    }

    pub fn sessions(&self) -> Sessions<'a> {
        Sessions {
            sql: self.drivers.sql.as_ref(),
            kv: self.drivers.kv.as_ref(),
            config: self.config,
        }
    }

    pub fn key_ring(&self) -> KeyRing<'a> {
        KeyRing {
            sql: self.drivers.sql.as_ref(),
            config: self.config,
            cache: &self.drivers.key_cache,
        }
    }

    pub fn log(&self, level: Level, message: &str) {
        self.drivers.log.log(level, message);
    }

    fn cookie(&self, short: &str) -> Option<&str> {
        let name = cookies::name(self.config.secure_cookies(), short);
        self.jar
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.as_str())
    }

    fn secret(&self) -> &[u8] {
        self.config.secret.expose()
    }

    /// The session token the request carries: a valid `Authorization: Bearer` value first (signed,
    /// URL-encoded or bare), else the signed session cookie.
    pub fn presented_token(&self) -> Option<String> {
        self.bearer_token().or_else(|| {
            self.cookie(SESSION_TOKEN)
                .and_then(|raw| cookies::verified_value(self.secret(), raw))
        })
    }

    fn bearer_token(&self) -> Option<String> {
        let auth = header(self.req, "authorization")?;
        let (scheme, rest) = auth.split_once(' ')?;
        if !scheme.eq_ignore_ascii_case("bearer") {
            return None;
        }
        let value = rest.trim();
        if value.is_empty() {
            return None;
        }
        if !value.contains('.') {
            return Some(value.to_string());
        }
        let decoded = if value.contains('%') {
            percent_decode_str(value).decode_utf8().ok()?.into_owned()
        } else {
            value.to_string()
        };
        crate::crypto::hmac::verify_signed_value(self.secret(), &decoded).map(str::to_string)
    }

    /// `rememberMe: false` sessions carry a signed `dont_remember` cookie; they never slide.
    pub fn has_dont_remember(&self) -> bool {
        self.cookie(DONT_REMEMBER)
            .and_then(|raw| cookies::verified_value(self.secret(), raw))
            .is_some_and(|v| v == "true")
    }

    pub async fn session(&self, source: Source) -> Result<Option<ActiveSession>, ApiError> {
        match self.presented_token() {
            Some(token) => Ok(self.sessions().find(&token, source, self.now).await?),
            None => Ok(None),
        }
    }

    pub async fn require_session(&self, source: Source) -> Result<ActiveSession, ApiError> {
        self.session(source)
            .await?
            .ok_or_else(ApiError::unauthorized)
    }

    /// The client's address as the configured headers give it (kept with its sessions).
    pub fn client_ip(&self) -> &'a str {
        let headers = &self.config.rate_limit.ip_headers;
        headers
            .iter()
            .find_map(|name| header(self.req, name))
            .map(|v| v.rsplit(',').next().unwrap_or(v).trim())
            .unwrap_or("")
    }

    pub fn user_agent(&self) -> &'a str {
        header(self.req, "user-agent").unwrap_or("")
    }

    fn push_cookie(&mut self, short: &str, value: &str, max_age: Option<i64>) {
        let name = cookies::name(self.config.secure_cookies(), short);
        let line = SetCookie {
            name: &name,
            value,
            max_age,
            secure: self.config.secure_cookies(),
        }
        .header();
        self.set_cookies.push(line);
    }

    /// Sets the signed session cookie (and `set-auth-token`). Without `remember` the cookie lives
    /// for the browser session and a `dont_remember` marker goes with it.
    pub fn set_session_cookie(&mut self, token: &str, remember: bool) {
        let signed = sign_value(self.secret(), token);
        let max_age = remember.then_some(self.config.session_expires_in);
        self.push_cookie(
            SESSION_TOKEN,
            &cookies::encode_uri_component(&signed),
            max_age,
        );
        if !remember {
            let marker = cookies::encode_uri_component(&sign_value(self.secret(), "true"));
            self.push_cookie(DONT_REMEMBER, &marker, None);
        } else if self.cookie(DONT_REMEMBER).is_some() {
            self.push_cookie(DONT_REMEMBER, "", Some(0));
        }
        self.auth_token = Some(signed);
    }

    /// Expires every auth cookie the client may hold.
    pub fn clear_session_cookies(&mut self) {
        for short in [SESSION_TOKEN, SESSION_DATA, DONT_REMEMBER] {
            self.push_cookie(short, "", Some(0));
        }
        self.auth_token = None;
    }

    /// The outbox statements for a change to `user_id`, to run in the change's own batch (none
    /// when sync is not configured).
    pub fn sync_statements(
        &mut self,
        user_id: &str,
        change: SyncChange,
    ) -> Result<Vec<Statement>, ApiError> {
        if self.config.sync.is_none() {
            return Ok(Vec::new());
        }
        let event_id = format!("evt_{}", random::alphanumeric(24)?);
        self.synced_users.push(user_id.to_string());
        Ok(match change {
            SyncChange::Upsert => outbox::record_change(user_id, &event_id, self.now),
            SyncChange::Delete => outbox::record_delete(user_id, &event_id, self.now),
        })
    }

    /// A fresh one-time token and its message, as statements for the caller's batch. The message
    /// is sent right after the response when `deliver` is set; with it unset (an unknown address,
    /// answered like a known one) the statements are still run, and change nothing.
    pub fn mail_token(
        &mut self,
        mailing: &Mailing<'_>,
        deliver: bool,
    ) -> Result<Vec<Statement>, ApiError> {
        let issued = one_time::issue(self.config, mailing, self.now)?;
        if deliver {
            self.queued_mail.push(issued.mail_id);
        }
        Ok(issued.statements)
    }

    /// Waits until the configured floor has passed since the request arrived, so that answers
    /// whose work differs with the existence of an address (a D1 write or none) take the same time.
    pub async fn pad_answer(&self) {
        let floor = self.config.email.answer_floor_ms;
        let elapsed = self.drivers.timer.now() - self.now;
        if elapsed < floor {
            self.drivers.timer.sleep(floor - elapsed).await;
        }
    }

    pub fn query(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}
