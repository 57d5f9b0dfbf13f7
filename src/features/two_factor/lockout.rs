//! The temporary lock of a user's second factor (better-auth's account lockout): after
//! `TWO_FACTOR_LOCKOUT_MAX_FAILURES` failed second factors in a row at sign-in, across challenges
//! and factors, every factor is refused for `TWO_FACTOR_LOCKOUT_SECONDS`.

use super::store::{self, Factors};
use crate::error::{ApiError, Code};
use crate::kernel::context::Ctx;
use crate::time::{parse_iso, to_iso, SECOND};

fn enabled(ctx: &Ctx<'_>) -> bool {
    ctx.config.two_factor.lockout_max_failures > 0
}

/// 429 `ACCOUNT_TEMPORARILY_LOCKED` while the lock lasts; a lock that ran out is cleared.
pub async fn ensure_unlocked(ctx: &Ctx<'_>, factors: &Factors) -> Result<(), ApiError> {
    let Some(until) = factors.locked_until.as_deref().and_then(parse_iso) else {
        return Ok(());
    };
    if !enabled(ctx) {
        return Ok(());
    }
    if until > ctx.now {
        return Err(ApiError::new(429, Code::AccountTemporarilyLocked));
    }
    ctx.drivers
        .sql
        .execute(store::reset_failures(&factors.id))
        .await?;
    Ok(())
}

pub async fn failed(ctx: &Ctx<'_>, factors: &Factors) -> Result<(), ApiError> {
    if !enabled(ctx) {
        return Ok(());
    }
    let config = &ctx.config.two_factor;
    let until = to_iso(ctx.now + config.lockout_seconds * SECOND);
    ctx.drivers
        .sql
        .execute(store::record_failure(
            &factors.id,
            config.lockout_max_failures,
            &until,
        ))
        .await?;
    Ok(())
}

pub async fn succeeded(ctx: &Ctx<'_>, factors: &Factors) -> Result<(), ApiError> {
    if enabled(ctx) {
        ctx.drivers
            .sql
            .execute(store::reset_failures(&factors.id))
            .await?;
    }
    Ok(())
}
