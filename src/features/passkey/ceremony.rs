//! The challenge of a WebAuthn ceremony (better-auth's `better-auth-passkey` cookie): 32 random
//! bytes, kept in D1 for five minutes under the digest of a random token that only the signed
//! cookie of the browser that asked carries; spent by the verification that follows, whatever its
//! outcome.

use crate::crypto::{random, sha256_hex};
use crate::error::{ApiError, Code};
use crate::features::verification::store as verifications;
use crate::kernel::context::Ctx;
use crate::storage::returned_text;
use crate::time::{to_iso, SECOND};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde::{Deserialize, Serialize};

/// The cookie's short name: `better-auth.better-auth-passkey`, as better-auth names it.
pub const COOKIE: &str = "better-auth-passkey";
const LIFETIME_SECONDS: i64 = 300;

/// What a ceremony's options promised, as better-auth keeps it.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Pending {
    /// `registration` or `authentication`.
    #[serde(rename = "type")]
    pub ceremony: String,
    pub expected_challenge: String,
    pub user_data: PendingUser,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct PendingUser {
    /// The signed-in user, or empty for a sign-in.
    pub id: String,
}

fn identifier(token: &str) -> String {
    format!("passkey-challenge:{}", sha256_hex(token.as_bytes()))
}

/// A fresh challenge (base64url), as `@simplewebauthn/server` makes them.
pub fn new_challenge() -> Result<String, ApiError> {
    let mut bytes = [0u8; 32];
    random::fill(&mut bytes)?;
    Ok(URL_SAFE_NO_PAD.encode(bytes))
}

/// Keeps the ceremony and binds it to this browser.
pub async fn begin(ctx: &mut Ctx<'_>, pending: &Pending) -> Result<(), ApiError> {
    let token = random::alphanumeric(32)?;
    let value = serde_json::to_string(pending).map_err(ApiError::internal_because)?;
    ctx.drivers
        .sql
        .execute(verifications::insert_unbound(
            &random::alphanumeric(32)?,
            &identifier(&token),
            &value,
            &to_iso(ctx.now + LIFETIME_SECONDS * SECOND),
            &to_iso(ctx.now),
        ))
        .await?;
    ctx.set_signed_cookie(COOKIE, &token, Some(LIFETIME_SECONDS));
    Ok(())
}

/// Spends the ceremony this browser began: 400 `CHALLENGE_NOT_FOUND` without one of that kind.
pub async fn take(ctx: &mut Ctx<'_>, ceremony: &str) -> Result<Pending, ApiError> {
    let missing = || ApiError::new(400, Code::ChallengeNotFound);
    let token = ctx.signed_cookie(COOKIE).ok_or_else(missing)?;
    ctx.expire_cookie(COOKIE);
    let spent = ctx
        .drivers
        .sql
        .run_batch(vec![verifications::take_live(
            &identifier(&token),
            &to_iso(ctx.now),
        )])
        .await?;
    let value = returned_text(spent.first(), "value");
    let pending: Pending = value
        .first()
        .and_then(|v| serde_json::from_str(v).ok())
        .ok_or_else(missing)?;
    if pending.ceremony != ceremony {
        return Err(missing());
    }
    Ok(pending)
}
