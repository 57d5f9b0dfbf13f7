//! Signing in with a social or OpenID provider (`GET /authorize`, PKCE: the browser comes back to
//! `redirect_to?code=`), redeeming that code (`grant_type=pkce`), and unlinking an identity.

use super::{delegate, landing, links, nothing, opened};
use crate::error::ApiError;
use crate::features::social;
use crate::features::supabase::answers::{error, validation};
use crate::features::supabase::tokens;
use crate::features::verification::hand_off::{self, Challenge, Redeemed};
use crate::features::verification::links::with_param;
use crate::kernel::context::Ctx;
use crate::kernel::response::Reply;
use crate::session::store as session_table;
use crate::storage::accounts;
use crate::storage::users;
use serde_json::json;

/// Where the browser goes after the provider: `redirect_to` itself for a PKCE client (`?code=`),
/// or, in the implicit flow, this API's `/callback`, which puts the session in the fragment.
fn callback_target(
    ctx: &Ctx<'_>,
    target: &str,
    challenge: Option<Challenge>,
) -> (String, Challenge) {
    match challenge {
        Some(challenge) => (target.to_string(), challenge),
        None => {
            let hop = crate::features::supabase::api_url(ctx.config, "/callback");
            (
                with_param(&hop, "redirect_to", target),
                Challenge::implicit(),
            )
        }
    }
}

fn query_challenge(ctx: &Ctx<'_>) -> Result<Option<Challenge>, ApiError> {
    links::parse_challenge(
        ctx.input.query("code_challenge"),
        ctx.input.query("code_challenge_method"),
    )
}

fn provider(ctx: &Ctx<'_>) -> Result<String, ApiError> {
    ctx.input
        .query("provider")
        .filter(|p| !p.is_empty())
        .map(str::to_string)
        .ok_or_else(|| validation("Unsupported provider: missing provider"))
}

/// `GET /authorize?provider=…&redirect_to=…[&code_challenge=…&code_challenge_method=s256]`: a
/// 302 to the provider.
pub async fn authorize(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    let provider = provider(ctx)?;
    let challenge = query_challenge(ctx)?;
    let target = landing(ctx)?;
    let (callback, challenge) = callback_target(ctx, &target, challenge);
    let url = social::begin_hand_off(ctx, &provider, callback, challenge, None).await?;
    Ok(Reply::redirect(url))
}

/// `GET /user/identities/authorize`: links an account at `provider` to the signed-in user; the
/// browser comes back with the same session (`?code=` for a PKCE client). `{url}` when
/// `skip_http_redirect=true`, as supabase-js asks.
pub async fn link_identity(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    let bearer = tokens::bearer(ctx).await?;
    let provider = provider(ctx)?;
    let challenge = query_challenge(ctx)?;
    let target = landing(ctx)?;
    let (callback, challenge) = callback_target(ctx, &target, challenge);
    let intent = social::LinkIntent {
        user_id: bearer.user.id.clone(),
        email: bearer.user.email.clone(),
        session_id: Some(bearer.record.id.clone()),
    };
    let url = social::begin_hand_off(ctx, &provider, callback, challenge, Some(intent)).await?;
    if ctx.input.query("skip_http_redirect") == Some("true") {
        return Ok(Reply::json(json!({ "url": url })));
    }
    Ok(Reply::redirect(url))
}

/// `GET /callback?code=…&redirect_to=…`: the implicit flow's last hop, from the provider's
/// callback to `redirect_to` with the session (or the refusal) in the fragment.
pub async fn implicit_callback(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    let target = landing(ctx)?;
    if let Some(code) = ctx.input.query("error").map(str::to_string) {
        let description = ctx
            .input
            .query("error_description")
            .unwrap_or(&code)
            .to_string();
        return Ok(links::fragment(
            &target,
            &[
                ("error", "access_denied".to_string()),
                ("error_code", code),
                ("error_description", description),
            ],
        ));
    }
    let code = ctx.input.query("code").unwrap_or_default().to_string();
    let sql = ctx.drivers.sql.as_ref();
    let (session_id, method) = match hand_off::redeem(sql, &code, "", ctx.now).await? {
        Redeemed::Session { session_id, method } => (session_id, method),
        _ => {
            return Ok(links::error_redirect(
                &target,
                error(
                    404,
                    "flow_state_not_found",
                    "invalid flow state, no valid flow state found",
                ),
            ))
        }
    };
    let Some(record) = session_table::find_by_id(sql, &session_id).await? else {
        return Ok(links::error_redirect(
            &target,
            error(403, "session_not_found", "The session is gone"),
        ));
    };
    let user = users::find_by_id(sql, &record.user_id)
        .await?
        .ok_or_else(|| error(403, "user_not_found", "User not found"))?;
    let session = tokens::open(ctx, &record, user, &method).await?;
    Ok(links::session_redirect(&target, &session, None))
}

/// `POST /token?grant_type=pkce` with `{auth_code, code_verifier}`.
pub async fn pkce_grant(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    let (Some(code), Some(verifier)) =
        (ctx.input.text("auth_code"), ctx.input.text("code_verifier"))
    else {
        return Err(validation(
            "invalid request: both auth code and code verifier should be non-empty",
        ));
    };
    let not_found = || {
        error(
            404,
            "flow_state_not_found",
            "invalid flow state, no valid flow state found",
        )
    };
    let sql = ctx.drivers.sql.as_ref();
    let (session_id, method) = match hand_off::redeem(sql, &code, &verifier, ctx.now).await? {
        Redeemed::Session { session_id, method } => (session_id, method),
        Redeemed::Missing => return Err(not_found()),
        Redeemed::WrongVerifier => {
            return Err(error(
                400,
                "bad_code_verifier",
                "code challenge does not match previously saved code verifier",
            ))
        }
    };
    let record = session_table::find_by_id(sql, &session_id)
        .await?
        .ok_or_else(not_found)?;
    let user = users::find_by_id(sql, &record.user_id)
        .await?
        .ok_or_else(not_found)?;
    Ok(Reply::json(
        tokens::open(ctx, &record, user, &method).await?,
    ))
}

/// `POST /token?grant_type=id_token` with `{provider, id_token, nonce?, access_token?}`: a sign-in
/// with an ID token the client got itself, checked as better-auth's `idToken` sign-in checks it;
/// with `link_identity: true` and a bearer, the provider's account is linked to that user instead,
/// and the same session answered.
pub async fn id_token_grant(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    let provider = ctx
        .input
        .text("provider")
        .ok_or_else(|| validation("provider is required"))?;
    let token = ctx
        .input
        .text("id_token")
        .ok_or_else(|| validation("id_token is required"))?;
    let mut id_token = json!({ "token": token });
    if let Some(nonce) = ctx.input.text("nonce") {
        id_token["nonce"] = json!(nonce);
    }
    if let Some(access) = ctx.input.text("access_token") {
        id_token["accessToken"] = json!(access);
    }
    let body = json!({ "provider": provider, "idToken": id_token });
    if ctx.input.flag("link_identity") == Some(true) {
        let bearer = tokens::bearer(ctx).await?;
        super::account::stand_in(ctx, &bearer);
        delegate(ctx, &social::FEATURE, "/link-social", body).await?;
        let user = users::find_by_id(ctx.drivers.sql.as_ref(), &bearer.user.id)
            .await?
            .ok_or_else(|| error(403, "user_not_found", "User not found"))?;
        return Ok(Reply::json(
            tokens::open(ctx, &bearer.record, user, "oauth").await?,
        ));
    }
    let answer = delegate(ctx, &social::FEATURE, "/sign-in/social", body).await?;
    let (record, user) = opened(ctx, &answer).await?;
    Ok(Reply::json(
        tokens::open(ctx, &record, user, "id_token").await?,
    ))
}

/// `DELETE /user/identities/:id`: unlinks one of the user's accounts, never the last.
pub async fn unlink_identity(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    let bearer = tokens::bearer(ctx).await?;
    let id = ctx.param(0).to_string();
    let sql = ctx.drivers.sql.as_ref();
    let owned = accounts::list_for_user(sql, &bearer.user.id).await?;
    if !owned.iter().any(|a| a.id == id) {
        return Err(error(422, "identity_not_found", "Identity doesn't exist"));
    }
    if owned.len() <= 1 {
        return Err(error(
            422,
            "single_identity_not_deletable",
            "User must have at least 1 identity after unlinking",
        ));
    }
    sql.execute(accounts::delete_owned(&bearer.user.id, &id, false))
        .await?;
    Ok(nothing())
}
