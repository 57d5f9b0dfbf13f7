//! Session endpoints: `get-session`, `sign-out`, `list-sessions` and the three revocations.

use crate::drivers::Level;
use crate::error::{ApiError, Code};
use crate::kernel::context::Ctx;
use crate::kernel::response::Reply;
use crate::session::store as table;
use crate::session::{self as sessions, ActiveSession, Source};

use serde_json::{json, Value};

fn no_store(reply: Reply) -> Reply {
    reply
        .header("cache-control", "no-store")
        .header("pragma", "no-cache")
}

fn is_flag_set(ctx: &Ctx<'_>, name: &str) -> bool {
    ctx.query(name).is_some_and(|v| !v.is_empty())
}

pub async fn get_session(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    // An API key stands for its user's session as it is: nothing to refresh, no cookie to set.
    if let Some(session) = ctx.credential_session().await? {
        return Ok(session_answer(ctx, &session).await);
    }
    let Some(token) = ctx.presented_token() else {
        return Ok(no_store(Reply::null()));
    };
    let sessions = ctx.sessions();
    let Some(mut session) = sessions.find(&token, Source::Cache, ctx.now).await? else {
        ctx.clear_session_cookies();
        return Ok(no_store(Reply::null()));
    };
    let frozen = ctx.has_dont_remember() || is_flag_set(ctx, "disableRefresh");
    if !frozen && sessions.needs_refresh(&session, ctx.now) {
        match sessions.refresh(&mut session, ctx.now).await {
            Ok(true) => ctx.set_session_cookie(&session.token, true),
            // Revoked elsewhere since it was cached.
            Ok(false) => {
                ctx.clear_session_cookies();
                return Ok(no_store(Reply::null()));
            }
            Err(_) => {
                ctx.clear_session_cookies();
                return Err(ApiError::new(401, Code::FailedToGetSession));
            }
        }
    }
    Ok(session_answer(ctx, &session).await)
}

/// `{session, user}`, with a JWT for the user in `set-auth-jwt`.
async fn session_answer(ctx: &Ctx<'_>, session: &ActiveSession) -> Reply {
    let body =
        json!({"session": sessions::json(&session.record, &session.token), "user": session.user});
    let mut reply = no_store(Reply::json(body));
    // The JWT is a convenience: failing to sign one is logged and does not fail the session read.
    match crate::features::jwt::key_ring(ctx)
        .token_for(&session.user, ctx.now)
        .await
    {
        Ok(jwt) => reply = reply.header("set-auth-jwt", jwt),
        Err(e) => ctx.log(
            Level::Warn,
            &format!("[jwt] no set-auth-jwt for get-session: {e}"),
        ),
    }
    reply
}

pub async fn sign_out(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    let token = ctx.presented_token();
    ctx.clear_session_cookies();
    if let Some(token) = token {
        ctx.sessions()
            .revoke_digests(&[sessions::digest(&token)])
            .await?;
    }
    Ok(Reply::json(json!({"success": true})))
}

pub async fn list_sessions(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    let current = ctx.signed_in()?;
    let list: Vec<Value> = ctx
        .sessions()
        .list(&current.user.id, ctx.now)
        .await?
        .iter()
        // An admin's impersonation sessions are not the user's to see, as in better-auth.
        .filter(|r| r.impersonated_by.is_none())
        .map(|r| {
            let token = if r.token_digest == current.record.token_digest {
                current.token.as_str()
            } else {
                r.token_digest.as_str()
            };
            sessions::json(r, token)
        })
        .collect();
    Ok(Reply::json(list))
}

pub async fn revoke_session(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    let handle = ctx
        .input
        .exact_text("token")
        .ok_or_else(ApiError::internal)?;
    let current = ctx.signed_in()?;
    let target = sessions::handle_digest(&handle);
    // Someone else's session, or an unknown one, is answered like a success and left alone.
    let owned = table::find_by_digest(ctx.drivers.sql.as_ref(), &target)
        .await?
        .is_some_and(|s| s.user_id == current.user.id);
    if owned {
        ctx.sessions()
            .revoke_digests(std::slice::from_ref(&target))
            .await?;
        if target == current.record.token_digest {
            ctx.clear_session_cookies();
        }
    }
    Ok(Reply::json(json!({"status": true})))
}

pub async fn revoke_sessions(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    let current = ctx.signed_in()?;
    ctx.sessions().revoke_all(&current.user.id, None).await?;
    ctx.clear_session_cookies();
    Ok(Reply::json(json!({"status": true})))
}

pub async fn revoke_other_sessions(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    let current = ctx.signed_in()?;
    ctx.sessions()
        .revoke_all(&current.user.id, Some(&current.record.token_digest))
        .await?;
    Ok(Reply::json(json!({"status": true})))
}

/// better-auth answers a POST only with `deferSessionRefresh`, which portcullis does not offer.
pub async fn get_session_post(_: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    Err(ApiError::new(
        405,
        Code::MethodNotAllowedDeferSessionRequired,
    ))
}
