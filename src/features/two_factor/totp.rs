//! The authenticator-app factor: the secret as better-auth stores it (encrypted; `base32:`-prefixed
//! when it was imported in base32), its `otpauth://` URI, and accepting a code at most once: a
//! code's step is claimed in D1, and no code of that step or an earlier one works again.

use crate::crypto::totp::{self, Generator, DIGITS, STEP_SECONDS};
use crate::crypto::{random, symmetric};
use crate::error::ApiError;
use crate::features::verification::tries;
use crate::kernel::context::Ctx;
use crate::kernel::cookies::encode_uri_component;
use crate::storage::Statement;
use crate::time::{to_iso, SECOND};
use totp_rs::Secret;

const BASE32_PREFIX: &str = "base32:";

/// A new secret, as better-auth makes one (32 letters and digits), and its stored form.
pub fn new_secret(ctx: &Ctx<'_>) -> Result<(String, String), ApiError> {
    let secret = random::alphanumeric(32)?;
    let sealed = symmetric::encrypt(ctx.config.secret.expose(), &secret)
        .map_err(ApiError::internal_because)?;
    Ok((secret, sealed))
}

/// The key bytes of a stored secret.
pub fn open_secret(ctx: &Ctx<'_>, stored: &str) -> Result<Vec<u8>, ApiError> {
    let secret = symmetric::decrypt(ctx.config.secret.expose(), stored)
        .map_err(ApiError::internal_because)?;
    match secret.strip_prefix(BASE32_PREFIX) {
        Some(encoded) => Secret::try_from_base32(encoded.to_uppercase())
            .map(|secret| secret.as_bytes().to_vec())
            .map_err(|_| ApiError::internal_because("a base32 TOTP secret does not decode")),
        None => Ok(secret.into_bytes()),
    }
}

/// better-auth's `otpauth://totp/<issuer>:<account>?secret=…&issuer=…&digits=6&period=30`.
pub fn uri(issuer: &str, account: &str, secret: &[u8]) -> String {
    let query = form_urlencoded::Serializer::new(String::new())
        .append_pair("secret", &totp::base32(secret))
        .append_pair("issuer", issuer)
        .append_pair("digits", &DIGITS.to_string())
        .append_pair("period", &STEP_SECONDS.to_string())
        .finish();
    format!(
        "otpauth://totp/{}:{}?{query}",
        encode_uri_component(issuer),
        encode_uri_component(account)
    )
}

fn step_identifier(user_id: &str) -> String {
    format!("two-factor-totp-step:{user_id}")
}

/// Claims `step` for the user unless it or a later step was claimed: kept until no code of that
/// step can be right any more.
fn claim_step(ctx: &Ctx<'_>, user_id: &str, step: u64) -> Result<Vec<Statement>, ApiError> {
    let identifier = step_identifier(user_id);
    let step = step as i64;
    let stale_after = (step + 2) * STEP_SECONDS as i64 * SECOND + SECOND;
    let now_iso = to_iso(ctx.now);
    Ok(vec![
        Statement::new(
            r#"insert into "verification" ("id", "identifier", "value", "expiresAt", "createdAt", "updatedAt")
               select ?1, ?2, ?3, ?4, ?5, ?5
               where not exists (select 1 from "verification" where "identifier" = ?2 and cast("value" as integer) >= ?3)"#,
            vec![
                random::alphanumeric(32)?.into(),
                identifier.as_str().into(),
                step.into(),
                to_iso(stale_after).into(),
                now_iso.as_str().into(),
            ],
        ),
        Statement::new(
            r#"delete from "verification" where "identifier" = ?1 and cast("value" as integer) < ?2"#,
            vec![identifier.as_str().into(), step.into()],
        ),
    ])
}

/// Whether `code` is the user's code now (or one step either side) and was not used before.
pub async fn accept(
    ctx: &Ctx<'_>,
    user_id: &str,
    secret: &[u8],
    code: &str,
) -> Result<bool, ApiError> {
    let generator = Generator::new(secret, DIGITS)
        .ok_or_else(|| ApiError::internal_because("the TOTP secret is too short"))?;
    let Some(step) = generator.step_of(code, (ctx.now / SECOND) as u64) else {
        return Ok(false);
    };
    let claimed = ctx
        .drivers
        .sql
        .batch(claim_step(ctx, user_id, step)?)
        .await?;
    Ok(claimed.first() == Some(&1))
}

/// Forgets the user's used steps (the factor is gone).
pub fn forget_steps(user_id: &str) -> Statement {
    tries::remove(&step_identifier(user_id))
}
