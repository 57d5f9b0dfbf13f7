//! One-time codes by email, for the features that mail them (email OTP, the second factor): six
//! digits, each replacing the one before under its identifier, kept as an HMAC under the secret
//! (a plain hash of six digits falls to a table of a million) with the count of wrong tries
//! ([`tries`]), and queued with their message within the recipient's hourly limit. A code is spent
//! by deleting its row, so of two uses at once one wins.

use super::one_time::{self, Carrying};
use super::store as verifications;
use super::tries::{self, Taken};
use crate::crypto::hex_encode;
use crate::crypto::hmac::hmac_sha256;
use crate::crypto::{constant_time_eq, random};
use crate::error::ApiError;
use crate::kernel::context::Ctx;
use crate::mail::{queue, Kind};
use crate::storage::Statement;
use crate::time::{to_iso, SECOND};

const DIGITS: usize = 6;

/// A link a message carries beside its code, standing for the same code: the code's row is kept
/// under `row_id`, the digest of the link's token (the token itself is never stored).
pub struct Link<'a> {
    pub url: &'a str,
    pub row_id: &'a str,
}

/// A code to mail.
pub struct Mailing<'a> {
    /// The message's template.
    pub kind: Kind,
    /// What the digest is keyed with besides the secret: a feature's codes never match another's.
    pub label: &'static str,
    /// The row the code is kept under.
    pub identifier: &'a str,
    pub to: &'a str,
    pub name: &'a str,
    /// The recipient's user, if there is one yet.
    pub user_id: Option<&'a str>,
    pub expires_in: i64,
    pub link: Option<Link<'a>>,
}

fn digest(ctx: &Ctx<'_>, label: &str, code: &str) -> String {
    hex_encode(&hmac_sha256(
        ctx.config.secret.expose(),
        format!("{label}:{code}").as_bytes(),
    ))
}

/// Statements storing a new code (replacing any earlier one under the identifier) and queueing
/// its message.
pub fn issue(ctx: &mut Ctx<'_>, mailing: Mailing<'_>) -> Result<Vec<Statement>, ApiError> {
    let config = ctx.config;
    let code = random::digits(DIGITS)?;
    let expires_at = ctx.now + mailing.expires_in * SECOND;
    let carrying = match &mailing.link {
        Some(link) => Carrying::CodeAndLink {
            code: &code,
            url: link.url.to_string(),
        },
        None => Carrying::Code(&code),
    };
    let row_id = match &mailing.link {
        Some(link) => link.row_id.to_string(),
        None => random::alphanumeric(32)?,
    };
    let message = one_time::message(
        config,
        mailing.kind,
        mailing.to,
        mailing.name,
        carrying,
        mailing.expires_in,
    )?;
    let guard = one_time::guard(config, mailing.to, ctx.now);
    let statements = vec![
        one_time::count_message(&guard),
        tries::remove(mailing.identifier),
        verifications::insert_unbound(
            &row_id,
            mailing.identifier,
            &tries::fresh(&digest(ctx, mailing.label, &code)),
            &to_iso(expires_at),
            &to_iso(ctx.now),
        ),
        queue::enqueue(
            config.secret.expose(),
            &message,
            mailing.user_id,
            expires_at,
            ctx.now,
            &guard,
        )
        .map_err(ApiError::internal_because)?,
    ];
    ctx.queued_mail.push(message.id);
    Ok(statements)
}

/// Spends the code kept under `row_id` (by its link): one change for the use that wins, none
/// when the code was used, replaced by a newer one, or is past its expiry.
pub fn spend_row(row_id: &str, now_iso: &str) -> Statement {
    Statement::new(
        r#"delete from "verification" where "id" = ?1 and "expiresAt" > ?2"#,
        vec![row_id.into(), now_iso.into()],
    )
}

/// What checking a code found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Checked {
    Missing,
    Expired,
    /// Out of tries: the code is gone.
    Exhausted,
    Wrong,
    Right,
}

/// Checks `code` against the one under `identifier`, taking one of its `allowed` tries first.
/// A right code is spent when `spend`; otherwise its try is given back.
pub async fn check(
    ctx: &Ctx<'_>,
    label: &str,
    identifier: &str,
    code: &str,
    allowed: i64,
    spend: bool,
) -> Result<Checked, ApiError> {
    let sql = ctx.drivers.sql.as_ref();
    let stored = match tries::take(sql, identifier, allowed, ctx.now).await? {
        Taken::Missing => return Ok(Checked::Missing),
        Taken::Expired => return Ok(Checked::Expired),
        Taken::Exhausted => return Ok(Checked::Exhausted),
        Taken::Payload(stored) => stored,
    };
    if !constant_time_eq(digest(ctx, label, code).as_bytes(), stored.as_bytes()) {
        return Ok(Checked::Wrong);
    }
    if !spend {
        sql.execute(tries::give_back(identifier)).await?;
        return Ok(Checked::Right);
    }
    // Spent by a racing use since the try was taken.
    if sql.execute(tries::remove(identifier)).await? != 1 {
        return Ok(Checked::Wrong);
    }
    Ok(Checked::Right)
}
