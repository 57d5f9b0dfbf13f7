//! The social endpoints, and what the sign-in and link flows share: the provider a request names,
//! the authorization request that starts a flow, and the `idToken` check.

mod accounts;
mod callback;
mod sign_in;

pub use accounts::{account_info, get_access_token, link_social, refresh_token, unlink_account};
pub use callback::{callback, callback_form};
pub use sign_in::sign_in_social;

use super::profile::{self, Profile};
use super::providers::{self, Provider};
use super::state::{self, Flow};
use super::tokens;
use crate::config::Config;
use crate::error::{ApiError, Code};
use crate::kernel::context::Ctx;
use crate::kernel::response::Reply;
use crate::storage::accounts::ProviderTokens;
use crate::time::{to_iso, Millis, SECOND};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

/// How old a token a client hands over (`idToken`) may be (better-auth's one hour).
const ID_TOKEN_MAX_AGE: Millis = 3600 * SECOND;

/// The provider a request names: 404 `PROVIDER_NOT_FOUND` when it is not configured; 503 when
/// its discovery document cannot be had.
async fn named_provider<'c>(ctx: &Ctx<'c>, id: &str) -> Result<Provider<'c>, ApiError> {
    let config: &'c Config = ctx.config;
    match providers::resolve(config, ctx.drivers, id, ctx.now).await {
        Ok(Some(provider)) => Ok(provider),
        Ok(None) => Err(ApiError::new(404, Code::ProviderNotFound)),
        Err(e) => Err(ApiError::new(503, Code::ServiceUnavailable).caused_by(e)),
    }
}

fn redirect_uri(config: &Config, provider_id: &str) -> String {
    format!("{}/callback/{provider_id}", config.base_url())
}

/// Starts a flow: its state, then `{url, redirect}` pointing the browser at the provider.
async fn start(ctx: &mut Ctx<'_>, provider: &Provider<'_>, flow: Flow) -> Result<Reply, ApiError> {
    let openid = provider.is_openid();
    let (state, flow) = state::begin(ctx, flow, provider.uses_pkce(), openid).await?;
    let requested = ctx.input.strings("scopes").unwrap_or_default();
    let scopes = provider.scopes(&requested).join(" ");
    let redirect = redirect_uri(ctx.config, &provider.config.id);
    let mut query = form_urlencoded::Serializer::new(String::new());
    query
        .append_pair("response_type", provider.response_type())
        .append_pair("client_id", &provider.config.client_id)
        .append_pair("state", &state)
        .append_pair("scope", &scopes)
        .append_pair("redirect_uri", &redirect);
    // `login_hint` in the query: Supabase's `/authorize` passes it on, as GoTrue does.
    let hint = ctx
        .input
        .text("loginHint")
        .or_else(|| ctx.input.query("login_hint").map(str::to_string));
    if let Some(hint) = hint {
        query.append_pair("login_hint", &hint);
    }
    if let Some(nonce) = &flow.nonce {
        query.append_pair("nonce", nonce);
    }
    for (name, value) in provider.extra_parameters() {
        query.append_pair(name, &value);
    }
    if let Some(verifier) = &flow.code_verifier {
        let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
        query
            .append_pair("code_challenge_method", "S256")
            .append_pair("code_challenge", &challenge);
    }
    let endpoint = &provider.authorization_url;
    let joiner = if endpoint.contains('?') { '&' } else { '?' };
    let url = format!("{endpoint}{joiner}{}", query.finish());
    let redirect = !ctx.input.flag("disableRedirect").unwrap_or(false);
    let reply = Reply::json(json!({ "url": url, "redirect": redirect }));
    Ok(if redirect {
        reply.header("location", url)
    } else {
        reply
    })
}

/// A new flow's settings from the request (`callbackURL` defaults to the service's origin).
fn flow(ctx: &Ctx<'_>, provider_id: &str) -> Flow {
    Flow {
        provider_id: provider_id.to_string(),
        callback_url: ctx
            .input
            .text("callbackURL")
            .unwrap_or_else(|| ctx.config.base_origin.to_string()),
        error_url: ctx.input.text("errorCallbackURL"),
        new_user_url: ctx.input.text("newUserCallbackURL"),
        code_verifier: None,
        nonce: None,
        link: None,
        request_sign_up: ctx.input.flag("requestSignUp").unwrap_or(false),
        expires_at: 0,
        hand_off: None,
    }
}

/// Starts a sign-in (or, with `link`, the linking of an account to a signed-in user) with
/// `provider_id` whose session is handed off by a code: the provider's authorization URL. The
/// browser comes back to `callback_url` with `?code=` (or `?error=`).
pub async fn begin_hand_off(
    ctx: &mut Ctx<'_>,
    provider_id: &str,
    callback_url: String,
    challenge: crate::features::verification::hand_off::Challenge,
    link: Option<super::state::LinkIntent>,
) -> Result<String, ApiError> {
    let provider = named_provider(ctx, provider_id).await?;
    let mut flow = flow(ctx, provider_id);
    flow.callback_url = callback_url.clone();
    flow.error_url = Some(callback_url);
    flow.hand_off = Some(challenge);
    flow.link = link;
    let reply = start(ctx, &provider, flow).await?;
    match reply.payload {
        crate::kernel::response::Payload::Json(v) => v["url"]
            .as_str()
            .map(str::to_string)
            .ok_or_else(ApiError::internal),
        _ => Err(ApiError::internal()),
    }
}

/// The provider's user from a token a client obtained itself (`idToken: {token, nonce?,
/// accessToken?}`), and the tokens to store: 404 `ID_TOKEN_NOT_SUPPORTED` for providers without
/// ID tokens, 401 `INVALID_TOKEN` for a token that fails any check.
async fn from_id_token(
    ctx: &Ctx<'_>,
    provider: &Provider<'_>,
    given: &Value,
) -> Result<(Profile, ProviderTokens), ApiError> {
    if !provider.takes_id_tokens() {
        return Err(ApiError::new(404, Code::IdTokenNotSupported));
    }
    let field = |name: &str| given.get(name).and_then(Value::as_str);
    let token = field("token").ok_or_else(|| {
        ApiError::validation(
            "[body.idToken.token] Invalid input: expected string, received undefined",
        )
    })?;
    let claims = profile::verified_claims(
        ctx.drivers,
        provider,
        token,
        field("nonce"),
        Some(ID_TOKEN_MAX_AGE),
        ctx.now,
    )
    .await
    .map_err(|e| ApiError::new(401, Code::InvalidToken).caused_by(e))?;
    let user = given.get("user");
    let profile = profile::from_claims(provider.kind(), &claims, user)
        .map_err(|e| ApiError::new(401, Code::FailedToGetUserInfo).caused_by(e))?;
    if profile.email.is_none() {
        return Err(ApiError::new(401, Code::UserEmailNotFound));
    }
    let sealed = match field("accessToken") {
        Some(access) => Some(tokens::seal(ctx.config, access).map_err(ApiError::internal_because)?),
        None => None,
    };
    Ok((
        profile,
        ProviderTokens {
            access_token: sealed,
            refresh_token: None,
            id_token: Some(token.to_string()),
            access_token_expires_at: None,
            refresh_token_expires_at: None,
        },
    ))
}

/// Tokens from a token endpoint, sealed for storage.
fn sealed(config: &Config, tokens: &super::exchange::Tokens) -> Result<ProviderTokens, ApiError> {
    let seal = |t: &Option<String>| -> Result<Option<String>, ApiError> {
        t.as_deref()
            .map(|t| tokens::seal(config, t).map_err(ApiError::internal_because))
            .transpose()
    };
    Ok(ProviderTokens {
        access_token: seal(&tokens.access_token)?,
        refresh_token: seal(&tokens.refresh_token)?,
        id_token: tokens.id_token.clone(),
        access_token_expires_at: tokens.access_token_expires_at.map(to_iso),
        refresh_token_expires_at: tokens.refresh_token_expires_at.map(to_iso),
    })
}
