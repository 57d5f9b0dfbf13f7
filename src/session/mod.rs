//! Sessions: D1 is the durable record, KV the fast read path; both keyed by the SHA-256 digest of
//! the token. Sensitive operations read D1 only; revocation removes both.

pub mod bans;
pub mod store;

use crate::config::Config;
use crate::crypto::{random, sha256_hex};
use crate::error::ApiError;
use crate::session::store::{self as table, SessionRecord};
use crate::storage::users::{self, User};
use crate::storage::{returned_text, Kv, Sql, Statement, StorageError, KV_MIN_TTL_SECONDS};
use crate::time::{parse_iso, to_iso, Millis, SECOND};
use serde::{Deserialize, Serialize};

/// Lifetime of a session created with `rememberMe: false`.
pub const DONT_REMEMBER_SECONDS: i64 = 86_400;
pub const TOKEN_LEN: usize = 32;

/// Where a lookup may read from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// KV first, D1 on a miss: for reading the session.
    Cache,
    /// D1 only: for revocation, password changes and deletion, which must not trust a stale cache.
    Durable,
}

/// A session found for a request: its raw token (from the request), its record and its user.
#[derive(Debug, Clone)]
pub struct ActiveSession {
    pub token: String,
    pub record: SessionRecord,
    pub user: User,
    /// Set when an API key stands for the session (no session row exists then).
    pub api_key: Option<KeyGrant>,
}

/// The API key a session stands on: its id, and what it grants (`None`: all its user may do).
#[derive(Debug, Clone, PartialEq)]
pub struct KeyGrant {
    pub id: String,
    pub permissions: Option<crate::config::Grants>,
}

/// A session about to be stored; its insert statement can join a larger batch.
pub struct NewSession {
    pub token: String,
    pub record: SessionRecord,
}

impl NewSession {
    pub fn insert(&self) -> Statement {
        table::insert(&self.record)
    }

    /// The insert, conditioned on the user's password still being `password_hash`.
    pub fn insert_if_password(&self, password_hash: &str) -> Statement {
        table::insert_if_password(&self.record, password_hash)
    }
}

#[derive(Serialize, Deserialize)]
struct CachedSession {
    session: SessionRecord,
    user: User,
}

pub struct Sessions<'a> {
    pub sql: &'a dyn Sql,
    pub kv: &'a dyn Kv,
    pub config: &'a Config,
}

pub fn digest(token: &str) -> String {
    sha256_hex(token.as_bytes())
}

/// better-auth's session JSON. `token` is the raw token for the caller's own session and the
/// token's digest for the others, which `revoke-session` accepts in its place.
pub fn json(record: &SessionRecord, token: &str) -> serde_json::Value {
    serde_json::json!({
        "id": record.id,
        "expiresAt": record.expires_at,
        "token": token,
        "createdAt": record.created_at,
        "updatedAt": record.updated_at,
        "ipAddress": record.ip_address,
        "userAgent": record.user_agent,
        "userId": record.user_id,
        "impersonatedBy": record.impersonated_by,
    })
}

/// A `revoke-session` handle is either a raw token or, as `list-sessions` shows other sessions,
/// the token's SHA-256 digest.
pub fn handle_digest(handle: &str) -> String {
    let is_digest = handle.len() == 64
        && handle
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
    if is_digest {
        handle.to_string()
    } else {
        digest(handle)
    }
}

fn kv_key(digest: &str) -> String {
    format!("session:{digest}")
}

fn expires_ms(record: &SessionRecord) -> Millis {
    parse_iso(&record.expires_at).unwrap_or(0)
}

impl Sessions<'_> {
    /// When a session made at `created` stops, if it lived `lifetime` seconds from `from`: never
    /// after `SESSION_ABSOLUTE_LIFETIME` past its creation, when that is set.
    fn expiry(&self, created: Millis, from: Millis, lifetime: i64) -> Millis {
        let sliding = from + lifetime * SECOND;
        match self.config.session_absolute_lifetime {
            0 => sliding,
            absolute => sliding.min(created + absolute * SECOND),
        }
    }

    /// Past its expiry, or older than `SESSION_ABSOLUTE_LIFETIME` (which may have been set after
    /// the session was made).
    pub fn is_over(&self, record: &SessionRecord, now: Millis) -> bool {
        let absolute = self.config.session_absolute_lifetime;
        let created = parse_iso(&record.created_at).unwrap_or(0);
        expires_ms(record) <= now || (absolute > 0 && created + absolute * SECOND <= now)
    }

    pub fn new_session(
        &self,
        user_id: &str,
        remember: bool,
        ip: &str,
        user_agent: &str,
        now: Millis,
    ) -> Result<NewSession, ApiError> {
        let token = random::alphanumeric(TOKEN_LEN)?;
        let lifetime = if remember {
            self.config.session_expires_in
        } else {
            DONT_REMEMBER_SECONDS
        };
        let record = SessionRecord {
            id: random::alphanumeric(32)?,
            token_digest: digest(&token),
            user_id: user_id.to_string(),
            expires_at: to_iso(self.expiry(now, now, lifetime)),
            created_at: to_iso(now),
            updated_at: to_iso(now),
            ip_address: Some(ip.to_string()),
            user_agent: Some(user_agent.to_string()),
            impersonated_by: None,
        };
        Ok(NewSession { token, record })
    }

    /// Stores `session` on its own and caches it; a banned user gets `BANNED_USER` (an expired ban
    /// is lifted first).
    pub async fn store(
        &self,
        session: &NewSession,
        user: &User,
        now: Millis,
    ) -> Result<(), ApiError> {
        let lift_ban = bans::admit(self.config, user, now)?;
        let mut batch: Vec<Statement> = lift_ban.into_iter().collect();
        batch.push(session.insert());
        let inserted = self.sql.batch(batch).await?;
        if inserted.last() != Some(&1) {
            return Err(bans::banned(self.config));
        }
        self.cache(&session.record, user, now).await;
        Ok(())
    }

    /// Stores a session on its own (when it does not join a larger batch) and caches it; a banned
    /// user gets `BANNED_USER` (an expired ban is lifted first).
    pub async fn create(
        &self,
        user: &User,
        remember: bool,
        ip: &str,
        user_agent: &str,
        now: Millis,
    ) -> Result<NewSession, ApiError> {
        let session = self.new_session(&user.id, remember, ip, user_agent, now)?;
        self.store(&session, user, now).await?;
        Ok(session)
    }

    /// Writes the KV entry for a stored session, for at most `SESSION_CACHE_TTL` seconds: an entry
    /// whose delete was lost (or raced a revocation) dies by itself. A failed cache write only
    /// costs a D1 read later.
    pub async fn cache(&self, record: &SessionRecord, user: &User, now: Millis) {
        let remaining = (expires_ms(record) - now) / SECOND;
        let ttl =
            (remaining.clamp(0, self.config.session_cache_ttl) as u64).max(KV_MIN_TTL_SECONDS);
        if let Ok(value) = serde_json::to_string(&CachedSession {
            session: record.clone(),
            user: user.clone(),
        }) {
            let _ = self
                .kv
                .put(&kv_key(&record.token_digest), &value, ttl)
                .await;
        }
    }

    /// The live session for `token`, or `None` (unknown, expired or revoked).
    pub async fn find(
        &self,
        token: &str,
        source: Source,
        now: Millis,
    ) -> Result<Option<ActiveSession>, StorageError> {
        let digest = digest(token);
        if source == Source::Cache {
            if let Ok(Some(raw)) = self.kv.get(&kv_key(&digest)).await {
                if let Ok(cached) = serde_json::from_str::<CachedSession>(&raw) {
                    if !self.is_over(&cached.session, now) {
                        return Ok(Some(ActiveSession {
                            token: token.to_string(),
                            record: cached.session,
                            user: cached.user,
                            api_key: None,
                        }));
                    }
                }
            }
        }
        let Some(record) = table::find_by_digest(self.sql, &digest).await? else {
            return Ok(None);
        };
        if self.is_over(&record, now) {
            self.revoke_digests(&[digest]).await?;
            return Ok(None);
        }
        let Some(user) = users::find_by_id(self.sql, &record.user_id).await? else {
            return Ok(None);
        };
        self.cache(&record, &user, now).await;
        Ok(Some(ActiveSession {
            token: token.to_string(),
            record,
            user,
            api_key: None,
        }))
    }

    /// Whether the session's last refresh is at least `SESSION_UPDATE_AGE` old (better-auth's rule).
    pub fn needs_refresh(&self, session: &ActiveSession, now: Millis) -> bool {
        let c = self.config;
        expires_ms(&session.record) - c.session_expires_in * SECOND + c.session_update_age * SECOND
            <= now
    }

    /// Slides the expiry to a full lifetime from now, in D1 and KV. `false` when the D1 row is
    /// gone (revoked elsewhere): the cache entry is dropped, never written back to life.
    pub async fn refresh(
        &self,
        session: &mut ActiveSession,
        now: Millis,
    ) -> Result<bool, StorageError> {
        self.slide(&mut session.record, &session.user, now).await
    }

    /// [`Sessions::refresh`] for a session known by its record.
    pub async fn slide(
        &self,
        record: &mut SessionRecord,
        user: &User,
        now: Millis,
    ) -> Result<bool, StorageError> {
        let created = parse_iso(&record.created_at).unwrap_or(now);
        let expires = self.expiry(created, now, self.config.session_expires_in);
        if expires <= expires_ms(record) {
            return Ok(true); // already at its absolute limit
        }
        record.expires_at = to_iso(expires);
        record.updated_at = to_iso(now);
        let r = &*record;
        let changed = self
            .sql
            .execute(table::extend(&r.token_digest, &r.expires_at, &r.updated_at))
            .await?;
        if changed == 0 {
            self.forget_cached(std::slice::from_ref(&r.token_digest))
                .await?;
            return Ok(false);
        }
        self.cache(r, user, now).await;
        Ok(true)
    }

    /// Every unexpired session of the user, from D1.
    pub async fn list(
        &self,
        user_id: &str,
        now: Millis,
    ) -> Result<Vec<SessionRecord>, StorageError> {
        let all = table::list_for_user(self.sql, user_id).await?;
        Ok(all.into_iter().filter(|s| expires_ms(s) > now).collect())
    }

    /// Deletes sessions from D1, then from KV. A KV delete that fails is an error: the session
    /// would otherwise keep working from the cache.
    pub async fn revoke_digests(&self, digests: &[String]) -> Result<(), StorageError> {
        if digests.is_empty() {
            return Ok(());
        }
        self.sql
            .batch(digests.iter().map(|d| table::delete_by_digest(d)).collect())
            .await?;
        self.forget_cached(digests).await
    }

    /// Drops KV entries whose D1 rows are already gone (or going in the caller's batch).
    pub async fn forget_cached(&self, digests: &[String]) -> Result<(), StorageError> {
        for d in digests {
            let key = kv_key(d);
            if self.kv.delete(&key).await.is_err() {
                self.kv.delete(&key).await?;
            }
        }
        Ok(())
    }

    /// Runs a batch whose statement at `deleting` (if any) removes sessions of `user_id`, returning
    /// their digests, then drops exactly those from KV: a session created while the batch was
    /// being prepared cannot slip through. The user's trusted devices end with the sessions.
    pub async fn run_revoking(
        &self,
        user_id: &str,
        mut batch: Vec<Statement>,
        deleting: Option<usize>,
    ) -> Result<Vec<u64>, StorageError> {
        if deleting.is_some() {
            batch.push(table::delete_trusted_devices(user_id));
        }
        let done = self.sql.run_batch(batch).await?;
        let digests = returned_text(deleting.and_then(|i| done.get(i)), table::RETURNED_DIGEST);
        self.forget_cached(&digests).await?;
        Ok(done.into_iter().map(|d| d.changes).collect())
    }

    /// Revokes every session of the user except `keep` (a token digest).
    pub async fn revoke_all(&self, user_id: &str, keep: Option<&str>) -> Result<(), StorageError> {
        let delete = match keep {
            Some(keep) => table::delete_others_of_user(user_id, keep),
            None => table::delete_for_user(user_id),
        };
        self.run_revoking(user_id, vec![delete], Some(0))
            .await
            .map(drop)
    }

    /// Rewrites the user copy inside every cached session of the user, after a profile change.
    pub async fn refresh_cached_user(&self, user: &User, now: Millis) -> Result<(), StorageError> {
        for record in self.list(&user.id, now).await? {
            self.cache(&record, user, now).await;
        }
        Ok(())
    }
}
