//! The sign-in's state (RFC 9700 §4.7): random, single use, bound to the browser by a signed
//! cookie, and kept in D1 for ten minutes with what the callback needs: the PKCE verifier, the
//! nonce, where to send the browser, and the user an account is being linked to. D1 keeps the
//! state's digest, never the state.

use crate::crypto::{random, sha256_hex};
use crate::error::ApiError;
use crate::kernel::context::Ctx;
use crate::storage::{query_one, Statement};
use crate::time::{to_iso, Millis, SECOND};
use serde::{Deserialize, Serialize};

pub const LIFETIME: Millis = 10 * 60 * SECOND;
/// The cookie binding the state to the browser (`better-auth.state`).
pub const COOKIE: &str = "state";

/// What a sign-in hands to its callback.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Flow {
    pub provider_id: String,
    pub callback_url: String,
    pub error_url: Option<String>,
    pub new_user_url: Option<String>,
    pub code_verifier: Option<String>,
    pub nonce: Option<String>,
    /// `link-social`: the signed-in user the account will be linked to.
    pub link: Option<LinkIntent>,
    pub request_sign_up: bool,
    pub expires_at: Millis,
    /// The session goes to a PKCE client as a code on `callback_url` (`?code=`), not as a cookie.
    #[serde(default)]
    pub hand_off: Option<crate::features::verification::hand_off::Challenge>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LinkIntent {
    pub user_id: String,
    pub email: String,
    /// The session handed back when the flow hands off (Supabase's `linkIdentity`).
    #[serde(default)]
    pub session_id: Option<String>,
}

/// Why a callback's state is refused; `error_url` when the flow named one.
pub struct Refused {
    pub code: &'static str,
    pub error_url: Option<String>,
}

fn identifier(state: &str) -> String {
    format!("auth-state:{}", sha256_hex(state.as_bytes()))
}

/// better-auth's alphabet for states, verifiers and nonces.
fn random_text(len: usize) -> Result<String, ApiError> {
    Ok(random::alphanumeric(len)?)
}

/// A new flow's state, PKCE verifier and nonce (as asked), stored, with the state cookie set.
pub async fn begin(
    ctx: &mut Ctx<'_>,
    mut flow: Flow,
    pkce: bool,
    nonce: bool,
) -> Result<(String, Flow), ApiError> {
    let state = random_text(32)?;
    flow.code_verifier = if pkce { Some(random_text(128)?) } else { None };
    flow.nonce = if nonce { Some(random_text(32)?) } else { None };
    flow.expires_at = ctx.now + LIFETIME;
    let value = serde_json::to_string(&flow).map_err(ApiError::internal_because)?;
    let now_iso = to_iso(ctx.now);
    ctx.drivers
        .sql
        .execute(crate::features::verification::store::insert_unbound(
            &random::alphanumeric(32)?,
            &identifier(&state),
            &value,
            &to_iso(flow.expires_at),
            &now_iso,
        ))
        .await?;
    ctx.set_signed_cookie(COOKIE, &state, Some(LIFETIME / SECOND));
    Ok((state, flow))
}

/// The flow `state` began, spent: it must be in D1, carried by this browser's signed cookie, and
/// still fresh. Of two callbacks with one state, one gets the flow.
pub async fn take(ctx: &mut Ctx<'_>, state: &str) -> Result<Flow, Refused> {
    let mismatch = |error_url: Option<String>| Refused {
        code: "state_mismatch",
        error_url,
    };
    let sql = ctx.drivers.sql.as_ref();
    let id = identifier(state);
    let row: Option<serde_json::Map<String, serde_json::Value>> = query_one(
        sql,
        Statement::new(
            r#"select "value" from "verification" where "identifier" = ?1"#,
            vec![id.as_str().into()],
        ),
    )
    .await
    .map_err(|_| Refused {
        code: "internal_server_error",
        error_url: None,
    })?;
    let flow: Flow = row
        .and_then(|r| r.get("value").and_then(|v| v.as_str()).map(str::to_string))
        .and_then(|v| serde_json::from_str(&v).ok())
        .ok_or_else(|| mismatch(None))?;
    let bound = ctx.signed_cookie(COOKIE).is_some_and(|c| c == state);
    if !bound {
        return Err(mismatch(flow.error_url.clone()));
    }
    ctx.expire_cookie(COOKIE);
    let spent = sql
        .execute(Statement::new(
            r#"delete from "verification" where "identifier" = ?1"#,
            vec![id.into()],
        ))
        .await
        .map_err(|_| mismatch(flow.error_url.clone()))?;
    if spent != 1 || flow.expires_at < ctx.now {
        return Err(mismatch(flow.error_url.clone()));
    }
    Ok(flow)
}
