//! `GET /callback/:providerId`: the provider sends the browser back here. The state is spent and
//! checked, the code redeemed, the ID token verified, the user found, linked or made, and the
//! browser sent on; every refusal is a redirect to the error URL with `?error=<code>`, as
//! better-auth answers. `POST` (Apple's `form_post`) is turned into the same `GET`.

use super::{named_provider, redirect_uri, sealed};
use crate::drivers::Level;
use crate::error::ApiError;
use crate::features::social::linking::{self, Refusal};
use crate::features::social::state;
use crate::features::social::{exchange, profile};
use crate::features::verification::hand_off;
use crate::features::verification::links::with_param;
use crate::kernel::context::Ctx;
use crate::kernel::response::Reply;
use serde_json::Value;

/// The fields a callback carries, in better-auth's order.
const FIELDS: [&str; 7] = [
    "code",
    "error",
    "device_id",
    "error_description",
    "state",
    "user",
    "iss",
];

/// A provider's error code or description as it may appear in our redirect: printable, short.
fn tidy(text: &str, max: usize) -> String {
    text.chars().filter(|c| !c.is_control()).take(max).collect()
}

fn refuse(url: &str, code: &str, description: Option<&str>) -> Reply {
    let mut target = with_param(url, "error", code);
    if let Some(description) = description.filter(|d| !d.is_empty()) {
        target = with_param(&target, "error_description", description);
    }
    Reply::redirect(target)
}

pub async fn callback(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    let provider_id = ctx.param(0).to_string();
    let default_error = format!("{}/error", ctx.config.base_url());
    let query = |ctx: &Ctx<'_>, name: &str| {
        ctx.query(name)
            .filter(|v| !v.is_empty())
            .map(str::to_string)
    };
    let Some(state) = query(ctx, "state") else {
        return Ok(refuse(&default_error, "state_not_found", None));
    };
    let flow = match state::take(ctx, &state).await {
        Ok(flow) => flow,
        Err(refused) => {
            return Ok(refuse(
                refused.error_url.as_deref().unwrap_or(&default_error),
                refused.code,
                None,
            ))
        }
    };
    let error_url = flow.error_url.clone().unwrap_or(default_error);
    if let Some(error) = query(ctx, "error") {
        let description = query(ctx, "error_description").map(|d| tidy(&d, 256));
        return Ok(refuse(
            &error_url,
            &tidy(&error, 64),
            description.as_deref(),
        ));
    }
    let Some(code) = query(ctx, "code") else {
        return Ok(refuse(&error_url, "no_code", None));
    };
    if flow.provider_id != provider_id {
        return Ok(refuse(&error_url, "state_mismatch", None));
    }
    let provider = match named_provider(ctx, &provider_id).await {
        Ok(provider) => provider,
        Err(e) if e.status == 404 => {
            return Ok(refuse(&error_url, "oauth_provider_not_found", None))
        }
        Err(e) => {
            ctx.log(
                Level::Error,
                &format!("[social] {provider_id}: {}", e.cause.unwrap_or_default()),
            );
            return Ok(refuse(&error_url, "internal_server_error", None));
        }
    };
    if let Some(iss) = query(ctx, "iss") {
        if !provider.issuers.is_empty() && !provider.issuers.contains(&iss) {
            return Ok(refuse(&error_url, "issuer_mismatch", None));
        }
    }
    let drivers = ctx.drivers;
    let redirect = redirect_uri(ctx.config, &provider_id);
    let tokens = match exchange::redeem(
        drivers,
        &provider,
        &code,
        flow.code_verifier.as_deref(),
        &redirect,
        ctx.now,
    )
    .await
    {
        Ok(tokens) => tokens,
        Err(e) => {
            ctx.log(
                Level::Warn,
                &format!("[social] {provider_id}: code not redeemed: {e}"),
            );
            return Ok(refuse(&error_url, "invalid_code", None));
        }
    };
    let apple_user = query(ctx, "user").and_then(|u| serde_json::from_str::<Value>(&u).ok());
    let profile = match profile::fetch(
        drivers,
        &provider,
        &tokens,
        flow.nonce.as_deref(),
        apple_user.as_ref(),
        ctx.now,
    )
    .await
    {
        Ok(profile) => profile,
        Err(e) => {
            ctx.log(
                Level::Warn,
                &format!("[social] {provider_id}: no user: {e}"),
            );
            return Ok(refuse(&error_url, "unable_to_get_user_info", None));
        }
    };
    let stored = sealed(ctx.config, &tokens)?;
    if let Some(intent) = &flow.link {
        return Ok(
            match linking::link(ctx, &provider_id, &profile, &stored, &tokens.scopes, intent).await
            {
                Ok(()) => match (&flow.hand_off, &intent.session_id) {
                    (Some(challenge), Some(session_id)) => {
                        let code = hand_off::issue(
                            ctx.drivers.sql.as_ref(),
                            session_id,
                            "oauth",
                            challenge,
                            ctx.now,
                        )
                        .await?;
                        Reply::redirect(with_param(&flow.callback_url, "code", &code))
                    }
                    _ => Reply::redirect(flow.callback_url),
                },
                Err(refusal) => refuse(&error_url, refusal.code(), None),
            },
        );
    }
    match linking::sign_in(
        ctx,
        &provider_id,
        &profile,
        &stored,
        &tokens.scopes.join(","),
    )
    .await
    {
        Ok(signed) => {
            if let Some(challenge) = &flow.hand_off {
                let code = hand_off::issue(
                    ctx.drivers.sql.as_ref(),
                    &signed.session.record.id,
                    "oauth",
                    challenge,
                    ctx.now,
                )
                .await?;
                return Ok(Reply::redirect(with_param(
                    &flow.callback_url,
                    "code",
                    &code,
                )));
            }
            ctx.set_session_cookie(&signed.session.token, true);
            let target = match (signed.new_user, flow.new_user_url) {
                (true, Some(new_user_url)) => new_user_url,
                _ => flow.callback_url,
            };
            Ok(Reply::redirect(target))
        }
        Err(Refusal::Api(e)) if e.status >= 500 => Err(e),
        Err(refusal) => {
            let description = match &refusal {
                Refusal::Api(_) => Some(refusal.message()),
                _ => None,
            };
            Ok(refuse(&error_url, refusal.code(), description.as_deref()))
        }
    }
}

/// A `form_post` callback: the same fields, sent on to the `GET` callback.
pub async fn callback_form(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    let mut query = form_urlencoded::Serializer::new(String::new());
    for name in FIELDS {
        let value = ctx
            .query(name)
            .map(str::to_string)
            .or_else(|| ctx.input.text(name));
        if let Some(value) = value {
            query.append_pair(name, &value);
        }
    }
    Ok(Reply::redirect(format!(
        "{}/callback/{}?{}",
        ctx.config.base_url(),
        ctx.param(0),
        query.finish()
    )))
}
