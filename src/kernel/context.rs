//! The per-request context handed to handlers: configuration, drivers, the request and its
//! checked inputs, the session the endpoint required, and the cookies the answer will set.

use super::catalogue::{Catalogue, Credential};
use super::cookies::{self, SetCookie, DONT_REMEMBER, SESSION_DATA, SESSION_TOKEN};
use super::input::Input;
use super::request::{header, Request};
use crate::config::Config;
use crate::crypto::hmac::sign_value;
use crate::crypto::{constant_time_eq, sha256_hex};
use crate::drivers::{Drivers, Level};
use crate::error::{ApiError, Code};
use crate::session::{ActiveSession, Sessions, Source};
use crate::time::{parse_iso, Millis, SECOND};
use percent_encoding::percent_decode_str;

pub struct Ctx<'a> {
    pub config: &'a Config,
    pub drivers: &'a Drivers,
    /// Every endpoint of the service (the contract is generated from it).
    pub catalogue: Catalogue,
    pub req: &'a Request,
    pub now: Millis,
    /// The body and query, checked against the endpoint's declaration.
    pub input: Input,
    /// The path parameters' values, in declared order.
    pub params: Vec<String>,
    /// The session the endpoint's declaration required, once the kernel checked it.
    pub checked_session: Option<ActiveSession>,
    /// The endpoint lets the catalogue's credential (an API key) stand for the session.
    pub(super) accepts_credential: bool,
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
    pub fn new(
        config: &'a Config,
        drivers: &'a Drivers,
        catalogue: Catalogue,
        req: &'a Request,
        now: Millis,
    ) -> Ctx<'a> {
        let jar = header(req, "cookie")
            .map(cookies::parse)
            .unwrap_or_default();
        Ctx {
            config,
            drivers,
            catalogue,
            req,
            now,
            input: Input::default(),
            params: Vec::new(),
            checked_session: None,
            accepts_credential: false,
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

    /// The credential header the request carries (an API key) and the check of the feature that
    /// issues it, while that feature is on.
    fn presented_credential(&self) -> Option<(Credential, String)> {
        self.catalogue
            .iter()
            .filter_map(|f| f.credential)
            .filter(|c| (c.is_on)(self.config))
            .find_map(|c| header(self.req, c.header).map(|v| (c, v.to_string())))
    }

    /// The session a credential stands for, on an endpoint that accepts one: `None` without
    /// one, the credential's refusal when it is not good.
    pub async fn credential_session(&self) -> Result<Option<ActiveSession>, ApiError> {
        if !self.accepts_credential {
            return Ok(None);
        }
        match self.presented_credential() {
            Some((credential, value)) => (credential.check)(self, value).await.map(Some),
            None => Ok(None),
        }
    }

    /// The request's session: the one a credential stands for where the endpoint accepts one,
    /// else the session token's.
    pub async fn session(&self, source: Source) -> Result<Option<ActiveSession>, ApiError> {
        if let Some(session) = self.credential_session().await? {
            return Ok(Some(session));
        }
        match self.presented_token() {
            Some(token) => Ok(self.sessions().find(&token, source, self.now).await?),
            None => Ok(None),
        }
    }

    pub async fn require_session(&self, source: Source) -> Result<ActiveSession, ApiError> {
        match self.session(source).await? {
            Some(session) => Ok(session),
            None if !self.accepts_credential && self.presented_credential().is_some() => {
                Err(ApiError::with_message(
                    401,
                    Code::Unauthorized,
                    "This endpoint needs a signed-in session: an API key does not stand for one here",
                ))
            }
            None => Err(ApiError::unauthorized()),
        }
    }

    /// The session the endpoint declared it requires (checked by the kernel before the handler).
    pub fn signed_in(&mut self) -> Result<ActiveSession, ApiError> {
        self.checked_session
            .take()
            .ok_or_else(|| ApiError::internal_because("the endpoint declares no session"))
    }

    /// Sessions older than `SESSION_FRESH_AGE` must sign in again first.
    pub fn require_fresh(&self, session: &ActiveSession) -> Result<(), ApiError> {
        let fresh_age = self.config.session_fresh_age;
        let created = parse_iso(&session.record.created_at).unwrap_or(0);
        if fresh_age > 0 && self.now - created >= fresh_age * SECOND {
            return Err(ApiError::new(403, Code::SessionNotFresh));
        }
        Ok(())
    }

    /// The `x-reconcile-token` header must match `RECONCILE_TOKEN`; without one configured the
    /// operator endpoints do not exist.
    pub fn require_operator_token(&self) -> Result<(), ApiError> {
        let Some(token) = self.config.reconcile_token.as_ref() else {
            return Err(ApiError::message_only(
                404,
                "The reconcile endpoints are disabled: set RECONCILE_TOKEN and PAYLOAD_SYNC_URL",
            ));
        };
        let given = header(self.req, "x-reconcile-token").unwrap_or_default();
        // Digests first, so the comparison takes the same time whatever the given length.
        if !constant_time_eq(
            sha256_hex(given.as_bytes()).as_bytes(),
            sha256_hex(token.expose()).as_bytes(),
        ) {
            return Err(ApiError::new(401, Code::Unauthorized));
        }
        Ok(())
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

    /// A cookie of ours whose signature verifies (`short` as in `cookies::name`), its value.
    pub fn signed_cookie(&self, short: &str) -> Option<String> {
        self.cookie(short)
            .and_then(|raw| cookies::verified_value(self.secret(), raw))
    }

    /// Sets a signed cookie of ours that lives as long as the browser session, or `max_age`
    /// seconds.
    pub fn set_signed_cookie(&mut self, short: &str, value: &str, max_age: Option<i64>) {
        let signed = cookies::encode_uri_component(&sign_value(self.secret(), value));
        self.push_cookie(short, &signed, max_age);
    }

    /// The cookies set so far, taken out of the answer (for APIs that carry sessions otherwise).
    pub fn take_cookies(&mut self) -> Vec<String> {
        std::mem::take(&mut self.set_cookies)
    }

    pub fn expire_cookie(&mut self, short: &str) {
        self.push_cookie(short, "", Some(0));
    }

    /// Expires every auth cookie the client may hold.
    pub fn clear_session_cookies(&mut self) {
        for short in [SESSION_TOKEN, SESSION_DATA, DONT_REMEMBER] {
            self.push_cookie(short, "", Some(0));
        }
        self.auth_token = None;
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
        self.input.query(name)
    }

    /// The value of the path parameter declared `index`-th (`:token`).
    pub fn param(&self, index: usize) -> &str {
        self.params.get(index).map_or("", String::as_str)
    }
}
