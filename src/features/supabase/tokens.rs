//! Supabase sessions over better-auth's: the access token (an ES256 JWT with GoTrue's claims;
//! supabase-js verifies only ES256 and RS256 itself), the refresh token that rotates on each use
//! with reuse detection, and the bearer check every signed-in endpoint makes.

use super::answers::error;
use super::api_url;
use super::store::{self, RefreshRow};
use super::user_json::{Profile, AUDIENCE};
use crate::config::Config;
use crate::crypto::{random, sha256_hex, symmetric};
use crate::error::ApiError;
use crate::features::jwt::keys::Alg;
use crate::features::jwt::token::{self, Expectations};
use crate::kernel::context::Ctx;
use crate::kernel::request::header;
use crate::session::bans;
use crate::session::store::{self as session_table, SessionRecord};
use crate::storage::users::{self, User};
use crate::time::{Millis, SECOND};
use serde_json::{json, Map, Value};

/// GoTrue's refresh tokens are short; ours carry about 190 bits.
const REFRESH_TOKEN_LEN: usize = 32;
const SEAL_LABEL: &str = "supabase-refresh-token";

fn supabase(config: &Config) -> Result<&crate::config::SupabaseConfig, ApiError> {
    config.supabase.as_ref().ok_or_else(ApiError::not_found)
}

/// How a session was signed in: `amr` as GoTrue writes it.
pub fn amr(method: &str, now: Millis) -> Value {
    json!([{"method": method, "timestamp": now / SECOND}])
}

async fn access_token(
    ctx: &Ctx<'_>,
    record: &SessionRecord,
    profile: &Profile,
    amr: &Value,
) -> Result<(String, i64), ApiError> {
    let sb = supabase(ctx.config)?;
    let pair = crate::features::jwt::ring(ctx.config, ctx.drivers, Alg::ES256)
        .signing_key(ctx.now)
        .await?;
    let iat = ctx.now / SECOND;
    let exp = iat + sb.access_token_lifetime;
    let mut claims = Map::new();
    for (name, value) in [
        ("iss", json!(api_url(ctx.config, ""))),
        ("sub", json!(profile.user.id)),
        ("aud", json!(AUDIENCE)),
        ("exp", json!(exp)),
        ("iat", json!(iat)),
        ("email", json!(profile.user.email)),
        ("phone", json!("")),
        ("app_metadata", profile.app_metadata()),
        ("user_metadata", profile.user_metadata()),
        ("role", json!(AUDIENCE)),
        ("aal", json!("aal1")),
        ("amr", amr.clone()),
        ("session_id", json!(record.id)),
        ("is_anonymous", json!(false)),
    ] {
        claims.insert(name.into(), value);
    }
    Ok((token::sign(&pair, &claims), exp))
}

/// GoTrue's token response for the session, with `refresh_token`.
async fn response(
    ctx: &Ctx<'_>,
    record: &SessionRecord,
    profile: &Profile,
    amr: &Value,
    refresh_token: &str,
) -> Result<Value, ApiError> {
    let (access, exp) = access_token(ctx, record, profile, amr).await?;
    Ok(json!({
        "access_token": access,
        "token_type": "bearer",
        "expires_in": exp - ctx.now / SECOND,
        "expires_at": exp,
        "refresh_token": refresh_token,
        "user": profile.json(Some(&record.created_at)),
    }))
}

/// A fresh refresh token for the session (child of `parent`), as its row and the raw token.
fn new_refresh(
    ctx: &Ctx<'_>,
    record: &SessionRecord,
    amr: &Value,
    parent: Option<&str>,
) -> Result<(RefreshRow, String), ApiError> {
    let raw = random::alphanumeric(REFRESH_TOKEN_LEN)?;
    let key = symmetric::derived_key(ctx.config.secret.expose(), SEAL_LABEL);
    let sealed = symmetric::seal(&key, &raw).map_err(ApiError::internal_because)?;
    let row = RefreshRow {
        digest: sha256_hex(raw.as_bytes()),
        session_id: record.id.clone(),
        user_id: record.user_id.clone(),
        parent: parent.map(str::to_string),
        revoked: false,
        amr: amr.to_string(),
        sealed: Some(sealed),
        updated_at: ctx.now,
    };
    Ok((row, raw))
}

/// Supabase's session for a stored better-auth session just signed in by `method`.
pub async fn open(
    ctx: &Ctx<'_>,
    record: &SessionRecord,
    user: User,
    method: &str,
) -> Result<Value, ApiError> {
    let amr = amr(method, ctx.now);
    let (row, raw) = new_refresh(ctx, record, &amr, None)?;
    ctx.drivers
        .sql
        .execute(store::insert(&row, ctx.now))
        .await?;
    let profile = Profile::load(ctx.drivers.sql.as_ref(), user).await?;
    response(ctx, record, &profile, &amr, &raw).await
}

fn not_found() -> ApiError {
    error(
        400,
        "refresh_token_not_found",
        "Invalid Refresh Token: Refresh Token Not Found",
    )
}

/// `grant_type=refresh_token`: rotates the token. A revoked token used again within the reuse
/// interval gets the session's live token back (the client lost the answer), or a new one; past
/// it, the session ends.
pub async fn refresh(ctx: &Ctx<'_>, presented: &str) -> Result<Value, ApiError> {
    let sb = supabase(ctx.config)?;
    let sql = ctx.drivers.sql.as_ref();
    let digest = sha256_hex(presented.as_bytes());
    let Some(mut row) = store::find(sql, &digest).await? else {
        return Err(not_found());
    };
    let Some(mut record) = session_table::find_by_id(sql, &row.session_id).await? else {
        sql.execute(store::delete_for_session(&row.session_id))
            .await?;
        return Err(not_found());
    };
    let sessions = ctx.sessions();
    if sessions.is_over(&record, ctx.now) {
        end_session(ctx, &record).await?;
        return Err(error(
            400,
            "session_expired",
            "Invalid Refresh Token: Session Expired",
        ));
    }
    let Some(user) = users::find_by_id(sql, &record.user_id).await? else {
        return Err(not_found());
    };
    if let Err(banned) = bans::admit(ctx.config, &user, ctx.now) {
        return Err(super::answers::translate(banned));
    }
    let amr: Value = serde_json::from_str(&row.amr).unwrap_or_else(|_| json!([]));
    if !row.revoked {
        if sql.execute(store::revoke(&digest, ctx.now)).await? == 1 {
            return rotate(ctx, &mut record, user, &amr, &digest).await;
        }
        // A refresh with the same token won the race: this one is a reuse.
        row = store::find(sql, &digest).await?.ok_or_else(not_found)?;
    }
    if ctx.now > row.updated_at + sb.refresh_reuse_interval * SECOND {
        end_session(ctx, &record).await?;
        return Err(error(
            400,
            "refresh_token_already_used",
            "Invalid Refresh Token: Already Used",
        ));
    }
    let live = store::live_of_session(sql, &record.id).await?;
    let key = symmetric::derived_key(ctx.config.secret.expose(), SEAL_LABEL);
    let handed_back = live
        .filter(|l| l.parent.as_deref() == Some(digest.as_str()))
        .and_then(|l| l.sealed)
        .and_then(|sealed| symmetric::open(&key, &sealed).ok());
    match handed_back {
        Some(raw) => {
            ctx.sessions().slide(&mut record, &user, ctx.now).await?;
            let profile = Profile::load(sql, user).await?;
            response(ctx, &record, &profile, &amr, &raw).await
        }
        None => rotate(ctx, &mut record, user, &amr, &digest).await,
    }
}

/// Issues the child of `parent` (ending any other live token of the session) and slides the
/// session's expiry.
async fn rotate(
    ctx: &Ctx<'_>,
    record: &mut SessionRecord,
    user: User,
    amr: &Value,
    parent: &str,
) -> Result<Value, ApiError> {
    let (row, raw) = new_refresh(ctx, record, amr, Some(parent))?;
    ctx.drivers
        .sql
        .batch(vec![
            store::revoke_others_of_session(&record.id, &row.digest, ctx.now),
            store::insert(&row, ctx.now),
        ])
        .await?;
    if !ctx.sessions().slide(record, &user, ctx.now).await? {
        return Err(not_found());
    }
    let profile = Profile::load(ctx.drivers.sql.as_ref(), user).await?;
    response(ctx, record, &profile, amr, &raw).await
}

/// Ends a session everywhere: its row, its cache entry and its refresh tokens.
pub async fn end_session(ctx: &Ctx<'_>, record: &SessionRecord) -> Result<(), ApiError> {
    ctx.drivers
        .sql
        .execute(store::delete_for_session(&record.id))
        .await?;
    ctx.sessions()
        .revoke_digests(std::slice::from_ref(&record.token_digest))
        .await?;
    Ok(())
}

/// The caller of a signed-in endpoint: its session (read from D1: a revoked session ends here at
/// once) and its user.
pub struct Bearer {
    pub record: SessionRecord,
    pub user: User,
    pub claims: Map<String, Value>,
}

impl Bearer {
    /// The claims' `amr`, for tokens issued to this session again.
    pub fn amr(&self) -> Value {
        self.claims.get("amr").cloned().unwrap_or_else(|| json!([]))
    }
}

fn bad_jwt(reason: impl std::fmt::Display) -> ApiError {
    error(
        403,
        "bad_jwt",
        format!("invalid JWT: unable to parse or verify signature, {reason}"),
    )
}

pub async fn bearer(ctx: &Ctx<'_>) -> Result<Bearer, ApiError> {
    let presented = header(ctx.req, "authorization")
        .and_then(|h| {
            let (scheme, value) = h.split_once(' ')?;
            scheme.eq_ignore_ascii_case("bearer").then(|| value.trim())
        })
        .filter(|t| !t.is_empty())
        .ok_or_else(|| {
            error(
                401,
                "no_authorization",
                "This endpoint requires a valid Bearer token",
            )
        })?;
    // Most tokens are signed by the key that signs now, which the isolate keeps: no D1 read.
    let ring = crate::features::jwt::ring(ctx.config, ctx.drivers, Alg::ES256);
    let signing = ring.signing_key(ctx.now).await?.public();
    let keys = if token::kid_of(presented).as_deref() == Some(signing.kid.as_str()) {
        vec![signing]
    } else {
        ring.published(ctx.now).await?
    };
    let issuer = api_url(ctx.config, "");
    let claims = token::verify(
        presented,
        &keys,
        &Expectations {
            issuer: &issuer,
            audience: AUDIENCE,
            now: ctx.now / SECOND,
            leeway: 0,
        },
    )
    .map_err(bad_jwt)?;
    let session_id = claims
        .get("session_id")
        .and_then(Value::as_str)
        .ok_or_else(|| bad_jwt("the token has no session"))?;
    let sql = ctx.drivers.sql.as_ref();
    let missing = || {
        error(
            403,
            "session_not_found",
            "Session from session_id claim in JWT does not exist",
        )
    };
    let record = session_table::find_by_id(sql, session_id)
        .await?
        .ok_or_else(missing)?;
    if ctx.sessions().is_over(&record, ctx.now) {
        end_session(ctx, &record).await?;
        return Err(missing());
    }
    let user = users::find_by_id(sql, &record.user_id)
        .await?
        .ok_or_else(|| {
            error(
                403,
                "user_not_found",
                "User from sub claim in JWT does not exist",
            )
        })?;
    if user.banned && bans::admit(ctx.config, &user, ctx.now).is_err() {
        return Err(error(403, "user_banned", "User is banned"));
    }
    Ok(Bearer {
        record,
        user,
        claims,
    })
}

/// GoTrue's user JSON for the caller's user (as changed by the request), signed in when the
/// caller's session began.
pub async fn user_json(ctx: &Ctx<'_>, bearer: &Bearer, user: User) -> Result<Value, ApiError> {
    let profile = Profile::load(ctx.drivers.sql.as_ref(), user).await?;
    Ok(profile.json(Some(&bearer.record.created_at)))
}
