//! Proving a second factor, for a sign-in's challenge or a signed-in user: `verify-totp` (which
//! also completes a TOTP setup), `send-otp` and `verify-otp` (which turns codes by email on for a
//! signed-in user), and `verify-backup-code`. At sign-in, failures count toward the lock.

use super::switch;
use crate::error::{ApiError, Code};
use crate::features::two_factor::challenge::{self, Prover};
use crate::features::two_factor::store::{self, Factors};
use crate::features::two_factor::{backup_codes, lockout, otp, totp};
use crate::kernel::context::Ctx;
use crate::kernel::response::Reply;
use serde_json::json;

fn code(ctx: &Ctx<'_>) -> String {
    ctx.input.exact_text("code").unwrap_or_default()
}

fn trust_device(ctx: &Ctx<'_>) -> bool {
    ctx.input.flag("trustDevice").unwrap_or(false)
}

/// The answer after a factor that turned the user's second factor on: the replacing session.
async fn switched_on(ctx: &mut Ctx<'_>, prover: &Prover) -> Result<Option<Reply>, ApiError> {
    let Prover::Session(session) = prover else {
        return Ok(None);
    };
    let (token, user) = switch(ctx, session, true, Vec::new()).await?;
    Ok(Some(Reply::json(json!({ "token": token, "user": user }))))
}

/// At sign-in: the lock, checked (the factors of a user who has them).
async fn ensure_unlocked(
    ctx: &Ctx<'_>,
    prover: &Prover,
    factors: Option<&Factors>,
) -> Result<(), ApiError> {
    match factors {
        Some(factors) if prover.is_sign_in() => lockout::ensure_unlocked(ctx, factors).await,
        _ => Ok(()),
    }
}

/// At sign-in: a failure counted toward the lock, or a success that clears the count.
async fn count_outcome(
    ctx: &Ctx<'_>,
    prover: &Prover,
    factors: Option<&Factors>,
    right: bool,
) -> Result<(), ApiError> {
    match factors {
        Some(factors) if prover.is_sign_in() && right => lockout::succeeded(ctx, factors).await,
        Some(factors) if prover.is_sign_in() => lockout::failed(ctx, factors).await,
        _ => Ok(()),
    }
}

pub async fn verify_totp(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    let prover = challenge::prover(ctx).await?;
    let user = prover.user().clone();
    let not_enabled = || ApiError::new(400, Code::TotpNotEnabled);
    let factors = store::find(ctx.drivers.sql.as_ref(), &user.id)
        .await?
        .ok_or_else(not_enabled)?;
    if prover.is_sign_in() && !factors.totp_ready() {
        return Err(not_enabled());
    }
    ensure_unlocked(ctx, &prover, Some(&factors)).await?;
    challenge::take_try(ctx, &prover).await?;
    let secret = totp::open_secret(ctx, &factors.secret)?;
    let right = totp::accept(ctx, &user.id, &secret, &code(ctx)).await?;
    count_outcome(ctx, &prover, Some(&factors), right).await?;
    if !right {
        return Err(ApiError::new(401, Code::InvalidCode));
    }
    if factors.verified() != Some(true) {
        ctx.drivers
            .sql
            .execute(store::mark_verified(&factors.id))
            .await?;
        if !user.two_factor_enabled {
            if let Some(reply) = switched_on(ctx, &prover).await? {
                return Ok(reply);
            }
        }
    }
    challenge::finish(ctx, prover, trust_device(ctx)).await
}

pub async fn send_otp(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    if !ctx.config.two_factor.otp_enabled {
        return Err(ApiError::with_message(
            400,
            Code::OtpNotConfigured,
            "otp isn't configured",
        ));
    }
    let prover = challenge::prover(ctx).await?;
    otp::send(ctx, &prover).await?;
    Ok(Reply::json(json!({ "status": true })))
}

pub async fn verify_otp(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    let prover = challenge::prover(ctx).await?;
    let factors = match prover.is_sign_in() {
        true => store::find(ctx.drivers.sql.as_ref(), &prover.user().id).await?,
        false => None,
    };
    ensure_unlocked(ctx, &prover, factors.as_ref()).await?;
    let right = otp::check(ctx, &prover, &code(ctx)).await?;
    count_outcome(ctx, &prover, factors.as_ref(), right).await?;
    if !right {
        return Err(ApiError::new(401, Code::InvalidCode));
    }
    if !prover.user().two_factor_enabled {
        return match switched_on(ctx, &prover).await? {
            Some(reply) => Ok(reply),
            None => Err(ApiError::new(400, Code::FailedToCreateSession)),
        };
    }
    challenge::finish(ctx, prover, trust_device(ctx)).await
}

pub async fn verify_backup_code(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    let prover = challenge::prover(ctx).await?;
    let sql = ctx.drivers.sql.as_ref();
    let factors = store::find(sql, &prover.user().id)
        .await?
        .ok_or_else(|| ApiError::new(400, Code::BackupCodesNotEnabled))?;
    ensure_unlocked(ctx, &prover, Some(&factors)).await?;
    challenge::take_try(ctx, &prover).await?;
    let left = backup_codes::open(ctx, &factors.backup_codes)?
        .and_then(|codes| backup_codes::spend(&codes, &code(ctx)));
    count_outcome(ctx, &prover, Some(&factors), left.is_some()).await?;
    let Some(left) = left else {
        return Err(ApiError::new(401, Code::InvalidBackupCode));
    };
    let sealed = backup_codes::seal(ctx, &left)?;
    let swapped = sql
        .execute(store::swap_backup_codes(
            &factors.id,
            &factors.backup_codes,
            &sealed,
        ))
        .await?;
    if swapped != 1 {
        return Err(ApiError::message_only(
            409,
            "Failed to verify backup code. Please try again.",
        ));
    }
    if !ctx.input.flag("disableSession").unwrap_or(false) {
        return challenge::finish(ctx, prover, trust_device(ctx)).await;
    }
    let token = match &prover {
        Prover::Session(session) => Some(session.token.clone()),
        Prover::SignIn { .. } => None,
    };
    Ok(Reply::json(
        json!({ "token": token, "user": prover.user() }),
    ))
}
