//! Trusted devices (better-auth's `trust_device` cookie): a device that passed a second factor
//! with `trustDevice` skips it at the user's password sign-ins for `TRUST_DEVICE_MAX_AGE`, renewed
//! at each. The signed cookie carries `<HMAC(secret, "<user>!<id>")>!<id>`, and the
//! `trust-device-<id>` row must still be there: it ends with the user's sessions
//! (`session::store::delete_trusted_devices`) and when the second factor is turned off.

use crate::crypto::hmac::hmac_sha256;
use crate::crypto::{constant_time_eq, random};
use crate::error::ApiError;
use crate::features::verification::store as verifications;
use crate::kernel::context::Ctx;
use crate::storage::Statement;
use crate::time::{to_iso, SECOND};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;

pub const COOKIE: &str = "trust_device";
const PREFIX: &str = "trust-device-";

fn token(ctx: &Ctx<'_>, user_id: &str, id: &str) -> String {
    URL_SAFE_NO_PAD.encode(hmac_sha256(
        ctx.config.secret.expose(),
        format!("{user_id}!{id}").as_bytes(),
    ))
}

/// Trusts this device for the user: the cookie is set; the row's statement is the caller's.
pub fn remember(ctx: &mut Ctx<'_>, user_id: &str) -> Result<Statement, ApiError> {
    let id = format!("{PREFIX}{}", random::alphanumeric(32)?);
    let max_age = ctx.config.two_factor.trust_device_max_age;
    let row = verifications::insert_unbound(
        &random::alphanumeric(32)?,
        &id,
        user_id,
        &to_iso(ctx.now + max_age * SECOND),
        &to_iso(ctx.now),
    );
    let value = format!("{}!{id}", token(ctx, user_id, &id));
    ctx.set_signed_cookie(COOKIE, &value, Some(max_age));
    Ok(row)
}

/// Whether the request comes from a device trusted for the user. A trusted device's row is spent
/// and a new one given (a copied cookie works once at most); a cookie that does not hold is
/// expired.
pub async fn recognise(ctx: &mut Ctx<'_>, user_id: &str) -> Result<bool, ApiError> {
    let Some(value) = ctx.signed_cookie(COOKIE) else {
        return Ok(false);
    };
    let id = value.split_once('!').and_then(|(given, id)| {
        let genuine = id.starts_with(PREFIX)
            && constant_time_eq(given.as_bytes(), token(ctx, user_id, id).as_bytes());
        genuine.then(|| id.to_string())
    });
    let spent = match id {
        Some(id) => {
            ctx.drivers
                .sql
                .execute(Statement::new(
                    r#"delete from "verification" where "identifier" = ?1 and "value" = ?2 and "expiresAt" > ?3"#,
                    vec![id.into(), user_id.into(), to_iso(ctx.now).into()],
                ))
                .await?
                == 1
        }
        None => false,
    };
    if !spent {
        ctx.expire_cookie(COOKIE);
        return Ok(false);
    }
    let renewed = remember(ctx, user_id)?;
    ctx.drivers.sql.execute(renewed).await?;
    Ok(true)
}
