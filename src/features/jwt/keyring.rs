//! The signing keys over time: which key signs now, which keys the JWKS publishes, and rotation.
//!
//! Each key signs for `JWKS_ROTATION_INTERVAL` (its `expiresAt`) and stays published for
//! `JWKS_GRACE_PERIOD` after that, so tokens it signed keep verifying. The cron creates the
//! successor [`ROTATION_LEAD`] before the current key expires, and a new key is published for
//! [`ACTIVATION_DELAY`] (twice the JWKS cache lifetime) before it signs anything, so verifiers
//! with a cached JWKS already know it. Requests only create a key when there is none at all.

use super::keys::{Alg, KeyError, KeyPair, PublicKey};
use super::store::{self as jwks, KeyRow};
use super::token;
use crate::config::Config;
use crate::crypto::random;
use crate::storage::users::User;
use crate::storage::{Sql, StorageError};
use crate::time::{parse_iso, to_iso, Millis, SECOND};
use serde_json::{json, Map, Value};
use std::cell::RefCell;
use std::rc::Rc;
use thiserror::Error;

/// How long clients may cache the JWKS document.
pub const JWKS_MAX_AGE_SECONDS: i64 = 300;
pub const ACTIVATION_DELAY: Millis = 2 * JWKS_MAX_AGE_SECONDS * SECOND;
pub const ROTATION_LEAD: Millis = 86_400 * SECOND;
/// How long an isolate keeps the signing key before reading D1 again.
const CACHE_FOR: Millis = 5 * 60 * SECOND;

#[derive(Debug, Error)]
pub enum KeyRingError {
    #[error(transparent)]
    Storage(#[from] StorageError),
    #[error(transparent)]
    Key(#[from] KeyError),
}

impl From<KeyRingError> for crate::error::ApiError {
    fn from(e: KeyRingError) -> crate::error::ApiError {
        match e {
            KeyRingError::Storage(e) => e.into(),
            KeyRingError::Key(e) => crate::error::ApiError::internal().caused_by(e),
        }
    }
}

/// The signing keys as one isolate remembers them, one per algorithm (decrypting one costs a D1
/// read and a cipher).
#[derive(Default)]
pub struct KeyCache {
    signing: RefCell<Vec<(KeyPair, Millis)>>,
}

/// The keys of one algorithm: each algorithm's keys rotate on their own.
pub struct KeyRing<'a> {
    pub sql: &'a dyn Sql,
    pub config: &'a Config,
    pub cache: Rc<KeyCache>,
    pub alg: Alg,
}

/// What a cron run did.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Rotation {
    pub created: Option<String>,
    pub pruned: usize,
}

impl KeyRing<'_> {
    fn is_ours(&self, row: &KeyRow) -> bool {
        Alg::of_row(row.alg.as_deref(), row.crv.as_deref()) == Some(self.alg)
    }

    fn created(row: &KeyRow) -> Millis {
        parse_iso(&row.created_at).unwrap_or(0)
    }

    /// When a key stops signing; a key stored without `expiresAt` (better-auth without rotation)
    /// rotates like ours.
    fn retires(&self, row: &KeyRow) -> Millis {
        row.expires_at
            .as_deref()
            .and_then(parse_iso)
            .unwrap_or_else(|| Self::created(row) + self.config.jwt.rotation_interval * SECOND)
    }

    fn is_published(&self, row: &KeyRow, now: Millis) -> bool {
        self.retires(row) + self.config.jwt.grace_period * SECOND > now
    }

    async fn create(&self, now: Millis) -> Result<KeyRow, KeyRingError> {
        let kid = random::alphanumeric(32).map_err(|_| KeyError::Random)?;
        let pair = KeyPair::generate(kid, self.alg)?;
        let row = KeyRow {
            id: pair.kid.clone(),
            public_key: pair.public_jwk_json(),
            private_key: pair.encrypted_private_jwk(self.config.secret.expose())?,
            created_at: to_iso(now),
            expires_at: Some(to_iso(now + self.config.jwt.rotation_interval * SECOND)),
            alg: Some(self.alg.as_str().into()),
            crv: Some(self.alg.crv().into()),
        };
        self.sql.execute(jwks::insert(&row)).await?;
        Ok(row)
    }

    /// The key that signs at `now`: the newest live key that has been published long enough, else
    /// the newest live key, else a new one.
    pub async fn signing_key(&self, now: Millis) -> Result<KeyPair, KeyRingError> {
        let cached = self
            .cache
            .signing
            .borrow()
            .iter()
            .find_map(|(pair, until)| {
                (pair.alg() == self.alg && now < *until).then(|| pair.clone())
            });
        if let Some(pair) = cached {
            return Ok(pair);
        }
        let rows = jwks::all(self.sql).await?;
        let live: Vec<&KeyRow> = rows
            .iter()
            .filter(|r| self.is_ours(r) && self.retires(r) > now)
            .collect();
        let settled = live
            .iter()
            .find(|r| Self::created(r) + ACTIVATION_DELAY <= now)
            .or(live.first());
        let row = match settled {
            Some(row) => (*row).clone(),
            None => self.create(now).await?,
        };
        let pair = KeyPair::from_stored(&row.id, &row.private_key, self.config.secret.expose())?;
        let until = (now + CACHE_FOR).min(self.retires(&row));
        let mut cache = self.cache.signing.borrow_mut();
        cache.retain(|(cached, _)| cached.alg() != self.alg);
        cache.push((pair.clone(), until));
        Ok(pair)
    }

    /// The keys the JWKS publishes: every key of the algorithm not yet past its grace period. Creates the
    /// first key if there is none, so the document is never empty.
    pub async fn published(&self, now: Millis) -> Result<Vec<PublicKey>, KeyRingError> {
        let mut rows = jwks::all(self.sql).await?;
        if !rows
            .iter()
            .any(|r| self.is_ours(r) && self.retires(r) > now)
        {
            self.signing_key(now).await?;
            rows = jwks::all(self.sql).await?;
        }
        Ok(rows
            .iter()
            .filter(|r| self.is_ours(r) && self.is_published(r, now))
            .filter_map(|r| {
                serde_json::from_str::<Value>(&r.public_key)
                    .ok()
                    .and_then(|jwk| PublicKey::from_jwk(&r.id, self.alg, &jwk).ok())
            })
            .collect())
    }

    /// The cron's part: create the successor ahead of time, and drop keys past their grace period.
    pub async fn rotate(&self, now: Millis) -> Result<Rotation, KeyRingError> {
        let rows = jwks::all(self.sql).await?;
        let mut rotation = Rotation::default();
        let covered = rows
            .iter()
            .any(|r| self.is_ours(r) && self.retires(r) > now + ROTATION_LEAD);
        if !covered {
            rotation.created = Some(self.create(now).await?.id);
        }
        let expired: Vec<&KeyRow> = rows
            .iter()
            .filter(|r| self.is_ours(r) && !self.is_published(r, now))
            .collect();
        if !expired.is_empty() {
            self.sql
                .batch(expired.iter().map(|r| jwks::delete(&r.id)).collect())
                .await?;
            rotation.pruned = expired.len();
        }
        Ok(rotation)
    }

    /// A signed JWT for `user`: better-auth's claims (`iat`, the user's public fields, `sub`,
    /// `exp`, `iss`, `aud`).
    pub async fn token_for(&self, user: &User, now: Millis) -> Result<String, KeyRingError> {
        let pair = self.signing_key(now).await?;
        let iat = now / SECOND;
        let jwt = &self.config.jwt;
        let mut claims = Map::new();
        claims.insert("iat".into(), json!(iat));
        if let Ok(Value::Object(fields)) = serde_json::to_value(user) {
            claims.extend(fields);
        }
        claims.insert("sub".into(), json!(user.id));
        claims.insert("exp".into(), json!(iat + jwt.expires_in));
        claims.insert("iss".into(), json!(jwt.issuer));
        claims.insert("aud".into(), json!(jwt.audience));
        Ok(token::sign(&pair, &claims))
    }
}
