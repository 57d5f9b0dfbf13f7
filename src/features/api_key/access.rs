//! Using a key: checked in better-auth's order (length, digest, enabled, expiry, permissions),
//! refused when its user is gone or banned, its use counted in D1 atomically, and the session it
//! stands for on the endpoints that accept one.

use super::key;
use super::store::{self, StoredKey};
use super::usage::{self, Refusal};
use crate::config::{grants_allow, Config, Grants};
use crate::drivers::Drivers;
use crate::error::{ApiError, Code};
use crate::kernel::context::Ctx;
use crate::session::bans;
use crate::session::store::SessionRecord;
use crate::session::{ActiveSession, KeyGrant};
use crate::storage::users::User;
use crate::time::{to_iso, Millis, SECOND};
use std::future::Future;
use std::pin::Pin;

/// Attempts at counting a use while other uses of the same key keep winning the race.
const CLAIM_ATTEMPTS: usize = 5;

/// A key that passed every check and whose use was counted, with its user.
pub struct Used {
    pub key: StoredKey,
    pub user: User,
}

/// Checks `presented` and counts its use. `requested`: permissions the key must grant.
pub async fn use_key(
    config: &Config,
    drivers: &Drivers,
    presented: &str,
    requested: Option<&Grants>,
    now: Millis,
) -> Result<Used, ApiError> {
    let sql = drivers.sql.as_ref();
    let (stored, owner) = store::find_with_owner(sql, &key::digest(presented)).await?;
    let Some(mut stored) = stored else {
        return Err(ApiError::new(401, Code::InvalidApiKey));
    };
    if stored.enabled == Some(false) {
        return Err(ApiError::new(401, Code::KeyDisabled));
    }
    if stored.is_expired(now) {
        sql.execute(store::delete(&stored.id)).await?;
        return Err(ApiError::new(401, Code::KeyExpired));
    }
    if let Some(requested) = requested {
        let granted = crate::config::parse_grants(&stored.permissions());
        if !granted.is_some_and(|g| grants_allow(&g, requested)) {
            return Err(ApiError::new(401, Code::KeyNotFound));
        }
    }
    // A key stops with its user: gone (an imported key that outlived it) or banned. A ban whose
    // time has passed no longer stops it (it is lifted at the next sign-in).
    let user = owner.ok_or_else(|| ApiError::new(401, Code::InvalidReferenceIdFromApiKey))?;
    bans::admit(config, &user, now)?;
    for _ in 0..CLAIM_ATTEMPTS {
        let claimed = match usage::claim(&stored.usage(), config.api_keys.rate_limit_enabled, now) {
            Ok(claimed) => claimed,
            Err(Refusal::Spent) => {
                sql.execute(store::delete(&stored.id)).await?;
                return Err(ApiError::new(429, Code::UsageExceeded));
            }
            Err(Refusal::UsageExceeded) => return Err(ApiError::new(429, Code::UsageExceeded)),
            Err(Refusal::RateLimited { try_again_in }) => return Err(rate_limited(try_again_in)),
        };
        if let Some(key) = store::claim(sql, &stored, &claimed, now).await? {
            return Ok(Used { key, user });
        }
        // Another use counted first: read the counters again.
        stored = store::find_by_id(sql, &stored.id)
            .await?
            .ok_or_else(|| ApiError::new(401, Code::InvalidApiKey))?;
    }
    Err(rate_limited(SECOND))
}

fn rate_limited(try_again_in: Millis) -> ApiError {
    ApiError::new(429, Code::RateLimited)
        .with_details(serde_json::json!({ "tryAgainIn": try_again_in }))
}

/// The session an `x-api-key` stands for: its user's, with the key's id, no row behind it, and
/// the key's permissions. Keys shorter than a new key are refused before any lookup.
async fn session_for_key(ctx: &Ctx<'_>, presented: String) -> Result<ActiveSession, ApiError> {
    if presented.len() < ctx.config.api_keys.length {
        return Err(ApiError::new(403, Code::InvalidApiKey));
    }
    let Used { key, user } = use_key(ctx.config, ctx.drivers, &presented, None, ctx.now).await?;
    let expires_at = key
        .expires_at
        .clone()
        .unwrap_or_else(|| to_iso(ctx.now + ctx.config.session_expires_in * SECOND));
    let record = SessionRecord {
        id: key.id.clone(),
        token_digest: crate::session::digest(&presented),
        user_id: user.id.clone(),
        expires_at,
        created_at: to_iso(ctx.now),
        updated_at: to_iso(ctx.now),
        ip_address: Some(ctx.client_ip().to_string()),
        user_agent: Some(ctx.user_agent().to_string()),
        impersonated_by: None,
    };
    Ok(ActiveSession {
        token: presented,
        record,
        user,
        api_key: Some(KeyGrant {
            id: key.id.clone(),
            permissions: crate::config::parse_grants(&key.permissions()),
        }),
    })
}

/// [`session_for_key`] as the kernel's credential check.
pub fn check_credential<'a, 'b>(
    ctx: &'a Ctx<'b>,
    presented: String,
) -> Pin<Box<dyn Future<Output = Result<ActiveSession, ApiError>> + 'a>> {
    Box::pin(session_for_key(ctx, presented))
}
