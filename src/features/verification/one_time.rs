//! One-time tokens sent by email (address verification, email change, password reset): issuing a
//! token together with its message, as statements for one batch, and finding a live token.

use crate::config::Config;
use crate::crypto::{random, sha256_hex};
use crate::error::ApiError;
use crate::features::verification::links;
use crate::features::verification::store as verifications;
use crate::mail::templates::{self, Details};
use crate::mail::{queue, Kind, Message};
use crate::rate_limit::per_address;
use crate::storage::counters::{self, Guard};
use crate::storage::{Sql, Statement, StorageError};
use crate::time::{parse_iso, to_iso, Millis, SECOND};
use serde::{Deserialize, Serialize};

/// 32 characters of `[a-zA-Z0-9]`: about 190 bits.
const TOKEN_LEN: usize = 32;
const HOUR: Millis = 3_600 * SECOND;

/// What a token stands for, stored (as JSON) in `verification.value`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Claims {
    pub user_id: String,
    /// The user's address when the token was issued; the token dies if it changes.
    pub email: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub new_email: Option<String>,
}

/// `"<purpose>:<SHA-256 hex of the token>"`: the only form in which a token is stored.
pub fn identifier(kind: Kind, token: &str) -> String {
    format!("{}:{}", kind.as_str(), sha256_hex(token.as_bytes()))
}

/// Deletes every outstanding token of `kind` issued for the user (reset links die when the
/// password or the address changes).
pub fn revoke_all(kind: Kind, user_id: &str) -> Statement {
    verifications::delete_for_user(&format!("{}:", kind.as_str()), user_id)
}

/// A message to send with a fresh token.
pub struct Mailing<'a> {
    pub kind: Kind,
    pub claims: Claims,
    pub to: &'a str,
    pub name: &'a str,
    /// A checked callback URL (or `redirectTo` for resets).
    pub callback: Option<&'a str>,
}

/// The token's row and its queued message, to commit in one batch.
pub struct Issued {
    pub statements: Vec<Statement>,
    pub mail_id: String,
}

fn lifetime(config: &Config, kind: Kind) -> i64 {
    match kind {
        Kind::ResetPassword => config.email.reset_expires_in,
        _ => config.email.verification_expires_in,
    }
}

/// What a message carries: a link, and for a change of address the new one; or a code.
pub enum Carrying<'a> {
    Link {
        url: String,
        new_email: Option<&'a str>,
    },
    Code(&'a str),
    /// A code, and a link that does what the code does.
    CodeAndLink {
        code: &'a str,
        url: String,
    },
}

/// A message with a link or a code, rendered from its template.
pub fn message(
    config: &Config,
    kind: Kind,
    to: &str,
    name: &str,
    carrying: Carrying<'_>,
    expires_in: i64,
) -> Result<Message, ApiError> {
    let (url, new_email, code) = match carrying {
        Carrying::Link { url, new_email } => (url, new_email, None),
        Carrying::Code(code) => (String::new(), None, Some(code)),
        Carrying::CodeAndLink { code, url } => (url, None, Some(code)),
    };
    let rendered = templates::render(&Details {
        kind,
        app_name: &config.email.app_name,
        name,
        url: &url,
        new_email,
        expires_in,
        code,
    });
    Ok(Message {
        id: format!("mail_{}", random::alphanumeric(24)?),
        kind,
        to: to.to_string(),
        subject: rendered.subject,
        text: rendered.text,
        html: rendered.html,
        url,
        app_name: config.email.app_name.clone(),
    })
}

/// The recipient's messages this hour, the one about to be queued included: over the limit, a
/// message (and its token) is not stored, and the answer is the same.
pub fn guard(config: &Config, to: &str, now: Millis) -> Guard {
    Guard {
        key: per_address::mail_key(config.secret.expose(), to),
        now,
        max: config.rate_limit.mail_per_address_per_hour,
    }
}

/// A fresh one-time token: 32 characters of `[a-zA-Z0-9]`.
pub fn new_token() -> Result<String, ApiError> {
    Ok(random::alphanumeric(TOKEN_LEN)?)
}

pub fn issue(config: &Config, mailing: &Mailing<'_>, now: Millis) -> Result<Issued, ApiError> {
    let token = new_token()?;
    let expires_in = lifetime(config, mailing.kind);
    let expires_at = now + expires_in * SECOND;
    let base = config.base_url();
    let url = match mailing.kind {
        Kind::ResetPassword => links::reset_password(&base, &token, mailing.callback),
        _ => links::verify_email(&base, &token, mailing.callback),
    };
    let message = message(
        config,
        mailing.kind,
        mailing.to,
        mailing.name,
        Carrying::Link {
            url,
            new_email: mailing.claims.new_email.as_deref(),
        },
        expires_in,
    )?;
    let claims = serde_json::to_string(&mailing.claims).map_err(ApiError::internal_because)?;
    let guard = guard(config, mailing.to, now);
    let statements = vec![
        count_message(&guard),
        verifications::insert(
            &random::alphanumeric(32)?,
            &identifier(mailing.kind, &token),
            &claims,
            &mailing.claims.user_id,
            &to_iso(expires_at),
            &to_iso(now),
            &guard,
        ),
        queue::enqueue(
            config.secret.expose(),
            &message,
            Some(&mailing.claims.user_id),
            expires_at,
            now,
            &guard,
        )
        .map_err(ApiError::internal_because)?,
    ];
    Ok(Issued {
        statements,
        mail_id: message.id,
    })
}

/// Counts a message to the recipient (the hour's limit), as its first statement.
pub fn count_message(guard: &Guard) -> Statement {
    counters::bump(&guard.key, guard.now, HOUR)
}

/// A stored token: what it was issued for, and its identifier (to spend it).
#[derive(Debug, Clone)]
pub struct Found {
    pub kind: Kind,
    pub identifier: String,
    pub claims: Claims,
    pub expired: bool,
}

/// Finds a token issued for one of `kinds` (at most three), expired or not.
pub async fn find(
    sql: &dyn Sql,
    kinds: &[Kind],
    token: &str,
    now: Millis,
) -> Result<Option<Found>, StorageError> {
    if token.is_empty() || kinds.is_empty() {
        return Ok(None);
    }
    let ids: Vec<(Kind, String)> = kinds.iter().map(|&k| (k, identifier(k, token))).collect();
    let at = |i: usize| ids[i.min(ids.len() - 1)].1.as_str();
    let Some(row) = verifications::find(sql, [at(0), at(1), at(2)]).await? else {
        return Ok(None);
    };
    let Some((kind, _)) = ids.iter().find(|(_, id)| *id == row.identifier) else {
        return Ok(None);
    };
    // A row that is not ours (an imported better-auth token, say) is no token here.
    let Ok(claims) = serde_json::from_str::<Claims>(&row.value) else {
        return Ok(None);
    };
    Ok(Some(Found {
        kind: *kind,
        expired: parse_iso(&row.expires_at).is_none_or(|at| at <= now),
        identifier: row.identifier,
        claims,
    }))
}

/// A fresh one-time token and its message, as statements for the caller's batch. The message is
/// sent right after the response when `deliver` is set; with it unset (an unknown address,
/// answered like a known one) the statements are still run, and change nothing.
pub fn mail_token(
    ctx: &mut crate::kernel::context::Ctx<'_>,
    mailing: &Mailing<'_>,
    deliver: bool,
) -> Result<Vec<Statement>, ApiError> {
    let issued = issue(ctx.config, mailing, ctx.now)?;
    if deliver {
        ctx.queued_mail.push(issued.mail_id);
    }
    Ok(issued.statements)
}
