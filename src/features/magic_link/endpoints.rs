//! Sending a link, and following one: following it proves the mailbox, and signs in as
//! [`proven::user_for`] says.

use crate::crypto::random;
use crate::error::ApiError;
use crate::features::verification::links::{absolute, with_param};
use crate::features::verification::store as verifications;
use crate::features::verification::{one_time, proven};
use crate::kernel::context::Ctx;
use crate::kernel::cookies::encode_uri_component;
use crate::kernel::response::Reply;
use crate::mail::{queue, Kind};
use crate::session as sessions;
use crate::storage::returned_text;
use crate::time::{to_iso, SECOND};
use serde::{Deserialize, Serialize};
use serde_json::json;

/// What a link stands for, stored (as JSON) with its digest.
#[derive(Serialize, Deserialize)]
struct Claims {
    email: String,
    #[serde(default)]
    name: Option<String>,
}

/// A refusal with its own code and message (a banned user) as a redirect to the error URL.
fn refused_by(error_url: &str, e: &ApiError) -> Reply {
    let message = e
        .body
        .as_ref()
        .map(|b| b.message.clone())
        .unwrap_or_default();
    let url = with_param(error_url, "error", e.code().unwrap_or("BANNED_USER"));
    Reply::redirect(with_param(&url, "error_description", &message))
}

/// `{base}/magic-link/verify?token=…&callbackURL=…` (`/` when none was given), and the other two
/// targets when given, as better-auth builds it.
fn link(ctx: &Ctx<'_>, token: &str) -> String {
    let mut url = format!(
        "{}/magic-link/verify?token={}&callbackURL={}",
        ctx.config.base_url(),
        encode_uri_component(token),
        encode_uri_component(&ctx.input.text("callbackURL").unwrap_or_else(|| "/".into()))
    );
    for name in ["newUserCallbackURL", "errorCallbackURL"] {
        if let Some(target) = ctx.input.text(name) {
            url.push_str(&format!("&{name}={}", encode_uri_component(&target)));
        }
    }
    url
}

pub async fn send_link(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    let email = ctx.input.exact_text("email").unwrap_or_default();
    let name = ctx.input.text("name");
    let token = one_time::new_token()?;
    let expires_in = ctx.config.magic_link.expires_in;
    let expires_at = ctx.now + expires_in * SECOND;
    let message = one_time::message(
        ctx.config,
        Kind::MagicLink,
        &email,
        name.as_deref().unwrap_or(""),
        one_time::Carrying::Link {
            url: link(ctx, &token),
            new_email: None,
        },
        expires_in,
    )?;
    let claims = serde_json::to_string(&Claims {
        email: email.to_lowercase(),
        name,
    })
    .map_err(ApiError::internal_because)?;
    let guard = one_time::guard(ctx.config, &email, ctx.now);
    let statements = vec![
        one_time::count_message(&guard),
        verifications::insert_unbound(
            &random::alphanumeric(32)?,
            &one_time::identifier(Kind::MagicLink, &token),
            &claims,
            &to_iso(expires_at),
            &to_iso(ctx.now),
        ),
        queue::enqueue(
            ctx.config.secret.expose(),
            &message,
            None,
            expires_at,
            ctx.now,
            &guard,
        )
        .map_err(ApiError::internal_because)?,
    ];
    ctx.drivers.sql.batch(statements).await?;
    ctx.queued_mail.push(message.id);
    Ok(Reply::json(json!({ "status": true })))
}

pub async fn verify(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    let origin = &ctx.config.base_origin;
    let query = |name: &str| {
        ctx.query(name)
            .filter(|v| !v.is_empty())
            .map(str::to_string)
    };
    let callback = query("callbackURL");
    let target = |url: Option<String>| absolute(origin, url.as_deref().unwrap_or("/"));
    let error_url = target(query("errorCallbackURL").or_else(|| callback.clone()));
    let new_user_url = target(query("newUserCallbackURL").or_else(|| callback.clone()));
    let callback_url = target(callback.clone());
    let refuse = |code: &str| Reply::redirect(with_param(&error_url, "error", code));

    let token = query("token").unwrap_or_default();
    let identifier = one_time::identifier(Kind::MagicLink, &token);
    let spent = ctx
        .drivers
        .sql
        .run_batch(vec![verifications::take_live(
            &identifier,
            &to_iso(ctx.now),
        )])
        .await?;
    let claims = returned_text(spent.first(), "value")
        .first()
        .and_then(|v| serde_json::from_str::<Claims>(v).ok());
    let Some(claims) = claims else {
        return Ok(refuse("INVALID_TOKEN"));
    };
    let sign_up = !ctx.config.magic_link.disable_sign_up;
    let (user, new_user) =
        match proven::user_for(ctx, &claims.email, claims.name.as_deref(), sign_up).await {
            Ok(Some(found)) => found,
            Ok(None) => return Ok(refuse("new_user_signup_disabled")),
            Err(e) if e.status == 403 => return Ok(refused_by(&error_url, &e)),
            Err(e) => return Err(e),
        };
    let session = match ctx
        .sessions()
        .create(&user, true, ctx.client_ip(), ctx.user_agent(), ctx.now)
        .await
    {
        Ok(session) => session,
        Err(e) if e.status == 403 => return Ok(refused_by(&error_url, &e)),
        Err(e) => return Err(e),
    };
    ctx.set_session_cookie(&session.token, true);
    if callback.is_none() {
        return Ok(Reply::json(json!({
            "token": session.token,
            "user": user,
            "session": sessions::json(&session.record, &session.token),
        })));
    }
    Ok(Reply::redirect(if new_user {
        new_user_url
    } else {
        callback_url
    }))
}
