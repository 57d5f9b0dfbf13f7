//! Setting factors up and down: `enable` (a TOTP secret to verify, or codes by email at once),
//! `disable`, `get-totp-uri` and `generate-backup-codes`, each confirmed with the password.

use super::{confirm_password, switch};
use crate::error::{ApiError, Code};
use crate::features::two_factor::{backup_codes, store, totp, trust};
use crate::kernel::context::Ctx;
use crate::kernel::response::Reply;
use crate::session::store as session_table;
use serde_json::json;

pub async fn enable(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    let session = ctx.signed_in()?;
    let method = ctx
        .input
        .exact_text("method")
        .unwrap_or_else(|| "totp".into());
    if method != "totp" && method != "otp" {
        return Err(ApiError::validation(
            r#"[body.method] Invalid option: expected one of "otp"|"totp""#,
        ));
    }
    confirm_password(ctx, &session.user.id).await?;
    if method == "otp" {
        if !ctx.config.two_factor.otp_enabled {
            return Err(ApiError::new(400, Code::OtpNotConfigured));
        }
        switch(ctx, &session, true, Vec::new()).await?;
        return Ok(Reply::json(json!({ "method": "otp" })));
    }
    let user = &session.user;
    let (codes, sealed_codes) = backup_codes::generate(ctx)?;
    let (secret, sealed_secret) = totp::new_secret(ctx)?;
    let changed = ctx
        .drivers
        .sql
        .batch(store::set_up(
            &crate::crypto::random::alphanumeric(32)?,
            &user.id,
            &sealed_secret,
            &sealed_codes,
        ))
        .await?;
    if changed.iter().all(|c| *c == 0) {
        return Err(ApiError::new(400, Code::TotpAlreadyEnabled));
    }
    let issuer = ctx
        .input
        .text("issuer")
        .unwrap_or_else(|| ctx.config.two_factor.issuer.clone());
    Ok(Reply::json(json!({
        "method": "totp",
        "totpURI": totp::uri(&issuer, &user.email, secret.as_bytes()),
        "backupCodes": codes,
    })))
}

/// Turns the second factor off: the factors and every trusted device of the user go.
pub async fn disable(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    let session = ctx.signed_in()?;
    confirm_password(ctx, &session.user.id).await?;
    let user_id = &session.user.id;
    let forget = vec![
        store::delete_for_user(user_id),
        totp::forget_steps(user_id),
        session_table::delete_trusted_devices(user_id),
    ];
    switch(ctx, &session, false, forget).await?;
    if ctx.signed_cookie(trust::COOKIE).is_some() {
        ctx.expire_cookie(trust::COOKIE);
    }
    Ok(Reply::json(json!({ "status": true })))
}

pub async fn get_totp_uri(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    let session = ctx.signed_in()?;
    let user = &session.user;
    let factors = store::find(ctx.drivers.sql.as_ref(), &user.id)
        .await?
        .ok_or_else(|| ApiError::new(400, Code::TotpNotEnabled))?;
    confirm_password(ctx, &user.id).await?;
    let secret = totp::open_secret(ctx, &factors.secret)?;
    let issuer = &ctx.config.two_factor.issuer;
    Ok(Reply::json(
        json!({ "totpURI": totp::uri(issuer, &user.email, &secret) }),
    ))
}

pub async fn generate_backup_codes(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    let session = ctx.signed_in()?;
    let user = &session.user;
    let not_enabled = || ApiError::new(400, Code::TwoFactorNotEnabled);
    if !user.two_factor_enabled {
        return Err(not_enabled());
    }
    confirm_password(ctx, &user.id).await?;
    let sql = ctx.drivers.sql.as_ref();
    let factors = store::find(sql, &user.id).await?.ok_or_else(not_enabled)?;
    let (codes, sealed) = backup_codes::generate(ctx)?;
    sql.execute(store::set_backup_codes(&factors.id, &sealed))
        .await?;
    Ok(Reply::json(json!({ "status": true, "backupCodes": codes })))
}
