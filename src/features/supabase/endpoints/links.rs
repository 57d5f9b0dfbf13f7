//! The link beside each emailed code (GoTrue's `GET /verify`). The link's token digest is the
//! code's row id, so the code or the link spends it, once; what the link needs besides (the
//! address, the purpose, a PKCE challenge) waits under `supabase-link:<digest>`. The browser goes
//! on to `redirect_to` with the session in the fragment, or with `?code=` for a PKCE client.

use super::{landing, new_session, redirect_to};
use crate::crypto::{random, sha256_hex};
use crate::error::ApiError;
use crate::features::email_otp::codes::{self as otp, Purpose};
use crate::features::supabase::answers::{error, translate, validation};
use crate::features::supabase::tokens;
use crate::features::sync::{self, SyncChange};
use crate::features::verification::codes::{self, Link};
use crate::features::verification::hand_off::{self, Challenge};
use crate::features::verification::links::with_param;
use crate::features::verification::proven;
use crate::features::verification::store as verifications;
use crate::kernel::context::Ctx;
use crate::kernel::response::{Payload, Reply};
use crate::session::store::SessionRecord;
use crate::storage::returned_text;
use crate::storage::users::{self, User};
use crate::storage::Statement;
use crate::time::{to_iso, SECOND};
use serde::{Deserialize, Serialize};
use serde_json::Value;

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Pending {
    email: String,
    /// The link's `type`: `magiclink`, `recovery` or `signup`.
    kind: String,
    create_user: bool,
    challenge: Option<Challenge>,
}

/// The link `type` of a code's purpose.
fn kind_of(purpose: Purpose) -> &'static str {
    match purpose {
        Purpose::SignIn => "magiclink",
        Purpose::ForgetPassword => "recovery",
        Purpose::EmailVerification => "signup",
    }
}

fn pending_identifier(digest: &str) -> String {
    format!("supabase-link:{digest}")
}

/// A PKCE challenge as a request gives it: both parts or neither (supabase-js sends `null`s
/// outside the PKCE flow).
pub fn parse_challenge(
    challenge: Option<&str>,
    method: Option<&str>,
) -> Result<Option<Challenge>, ApiError> {
    match (
        challenge.filter(|c| !c.is_empty()),
        method.filter(|m| !m.is_empty()),
    ) {
        (None, None) => Ok(None),
        (Some(c), Some(m)) => Challenge::parse(c, m)
            .map(Some)
            .ok_or_else(|| validation("Invalid code challenge")),
        _ => Err(validation(
            "code_challenge and code_challenge_method go together",
        )),
    }
}

/// The PKCE challenge in a request's body.
pub fn challenge(ctx: &Ctx<'_>) -> Result<Option<Challenge>, ApiError> {
    parse_challenge(
        ctx.input.text("code_challenge").as_deref(),
        ctx.input.text("code_challenge_method").as_deref(),
    )
}

/// Statements mailing a code for `purpose` to `email` with its link.
pub fn issue(
    ctx: &mut Ctx<'_>,
    purpose: Purpose,
    email: &str,
    user_id: Option<&str>,
    create_user: bool,
) -> Result<Vec<Statement>, ApiError> {
    let kind = kind_of(purpose);
    let pending = Pending {
        email: email.to_string(),
        kind: kind.to_string(),
        create_user,
        challenge: challenge(ctx)?,
    };
    let token = random::alphanumeric(32)?;
    let digest = sha256_hex(token.as_bytes());
    let mut url = crate::features::supabase::api_url(
        ctx.config,
        &format!("/verify?token={token}&type={kind}"),
    );
    if let Some(target) = redirect_to(ctx)? {
        url = with_param(&url, "redirect_to", &target);
    }
    let mut statements = otp::issue(
        ctx,
        purpose,
        email,
        user_id,
        Some(Link {
            url: &url,
            row_id: &digest,
        }),
    )?;
    let value = serde_json::to_string(&pending).map_err(ApiError::internal_because)?;
    let expires_at = ctx.now + ctx.config.email_otp.expires_in * SECOND;
    statements.push(verifications::insert_unbound(
        &random::alphanumeric(32)?,
        &pending_identifier(&digest),
        &value,
        &to_iso(expires_at),
        &to_iso(ctx.now),
    ));
    Ok(statements)
}

fn invalid_link() -> ApiError {
    error(403, "otp_expired", "Email link is invalid or has expired")
}

/// A session opened by a link's token (the link, or `token_hash` given to `POST /verify`).
pub struct Redeemed {
    pub record: SessionRecord,
    pub user: User,
    pub method: &'static str,
    pub challenge: Option<Challenge>,
}

/// Spends the link `token` of `kind` (`magiclink`, `email`, `signup` or `recovery`) and opens a
/// session for its address.
pub async fn redeem(ctx: &mut Ctx<'_>, token: &str, kind: &str) -> Result<Redeemed, ApiError> {
    let digest = sha256_hex(token.as_bytes());
    let now_iso = to_iso(ctx.now);
    let sql = ctx.drivers.sql.as_ref();
    let taken = sql
        .run_batch(vec![verifications::take_live(
            &pending_identifier(&digest),
            &now_iso,
        )])
        .await?;
    let value = returned_text(taken.first(), "value").into_iter().next();
    let pending: Pending = value
        .and_then(|v| serde_json::from_str(&v).ok())
        .ok_or_else(invalid_link)?;
    let fits = matches!(
        (pending.kind.as_str(), kind),
        ("recovery", "recovery")
            | ("magiclink", "magiclink" | "email")
            | ("signup", "signup" | "email")
    );
    if !fits || sql.execute(codes::spend_row(&digest, &now_iso)).await? != 1 {
        return Err(invalid_link());
    }
    let user = match pending.kind.as_str() {
        "signup" => confirm(ctx, &pending.email).await?,
        kind => {
            let sign_up =
                kind == "magiclink" && pending.create_user && !ctx.config.email_otp.disable_sign_up;
            let found = proven::user_for(ctx, &pending.email, None, sign_up).await?;
            found.ok_or_else(invalid_link)?.0
        }
    };
    Ok(Redeemed {
        record: new_session(ctx, &user).await?,
        user,
        method: if pending.kind == "recovery" {
            "recovery"
        } else {
            "otp"
        },
        challenge: pending.challenge,
    })
}

/// Confirms the address of the user who signed up with it (better-auth's verify-email: the
/// account stays as it is); the user.
pub async fn confirm(ctx: &mut Ctx<'_>, email: &str) -> Result<User, ApiError> {
    let sql = ctx.drivers.sql.as_ref();
    let mut user = users::find_by_email(sql, email)
        .await?
        .ok_or_else(invalid_link)?;
    if !user.email_verified {
        let now_iso = to_iso(ctx.now);
        let mut batch = vec![users::mark_verified(&user.id, &now_iso)];
        batch.extend(sync::record(ctx, &user.id, SyncChange::Upsert)?);
        ctx.drivers.sql.batch(batch).await?;
        user.email_verified = true;
        user.updated_at = now_iso;
    }
    Ok(user)
}

/// A 303 to `target` with `pairs` in the fragment.
pub fn fragment(target: &str, pairs: &[(&str, String)]) -> Reply {
    let mut fragment = form_urlencoded::Serializer::new(String::new());
    for (k, v) in pairs {
        fragment.append_pair(k, v);
    }
    let base = target.split('#').next().unwrap_or(target);
    see_other(format!("{base}#{}", fragment.finish()))
}

fn see_other(location: String) -> Reply {
    Reply {
        status: 303,
        payload: Payload::Empty,
        headers: vec![("location", location)],
    }
}

/// GoTrue's error redirect: `error`, `error_code` and `error_description` in the fragment.
pub fn error_redirect(target: &str, err: ApiError) -> Reply {
    let err = translate(err);
    let (code, message) = match &err.body {
        Some(b) => (b.code.unwrap_or("unexpected_failure"), b.message.clone()),
        None => ("unexpected_failure", String::new()),
    };
    let oauth_error = match err.status {
        400 => "invalid_request",
        401 => "unauthorized_client",
        403 => "access_denied",
        s if s >= 500 => "server_error",
        _ => "invalid_request",
    };
    fragment(
        target,
        &[
            ("error", oauth_error.to_string()),
            ("error_code", code.to_string()),
            ("error_description", message),
        ],
    )
}

/// The session in the fragment, as GoTrue's implicit flow hands it over (with the link's `type`).
pub fn session_redirect(target: &str, session: &Value, kind: Option<&str>) -> Reply {
    let field = |name: &str| match &session[name] {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    let mut pairs = vec![
        ("access_token", field("access_token")),
        ("expires_at", field("expires_at")),
        ("expires_in", field("expires_in")),
        ("refresh_token", field("refresh_token")),
        ("token_type", "bearer".to_string()),
    ];
    if let Some(kind) = kind {
        pairs.push(("type", kind.to_string()));
    }
    fragment(target, &pairs)
}

/// `GET /verify?token=…&type=…&redirect_to=…`: the link in a code message.
pub async fn verify_link(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    let (Some(token), Some(kind)) = (
        ctx.input.query("token").map(str::to_string),
        ctx.input.query("type").map(str::to_string),
    ) else {
        return Err(validation("Verify requires a token and a type"));
    };
    let target = landing(ctx)?;
    let redeemed = match redeem(ctx, &token, &kind).await {
        Ok(r) => r,
        Err(e) if e.status >= 500 => return Err(e),
        Err(e) => return Ok(error_redirect(&target, e)),
    };
    if let Some(challenge) = &redeemed.challenge {
        let code = hand_off::issue(
            ctx.drivers.sql.as_ref(),
            &redeemed.record.id,
            redeemed.method,
            challenge,
            ctx.now,
        )
        .await?;
        return Ok(see_other(with_param(&target, "code", &code)));
    }
    let session = tokens::open(ctx, &redeemed.record, redeemed.user, redeemed.method).await?;
    Ok(session_redirect(&target, &session, Some(&kind)))
}
