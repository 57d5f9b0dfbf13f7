//! The token endpoint: a code for tokens (with the PKCE verifier), and a refresh token for new
//! ones, authenticated with the client's secret in the form (`client_secret_post`, as better-auth
//! sends it). GitHub reports errors with a 200, which count as errors here too.

use super::providers::Provider;
use super::remote::{self, RemoteError};
use crate::drivers::Drivers;
use crate::time::{Millis, SECOND};
use serde_json::Value;
use thiserror::Error;

/// What a token endpoint gave.
#[derive(Debug, Clone, Default)]
pub struct Tokens {
    pub access_token: Option<String>,
    pub refresh_token: Option<String>,
    pub id_token: Option<String>,
    pub access_token_expires_at: Option<Millis>,
    pub refresh_token_expires_at: Option<Millis>,
    pub scopes: Vec<String>,
}

#[derive(Debug, Error)]
pub enum ExchangeError {
    #[error("{0}")]
    Remote(#[from] RemoteError),
    #[error("the token endpoint refused: {0}")]
    Refused(String),
}

fn text(body: &Value, name: &str) -> Option<String> {
    body.get(name)
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

fn tokens_from(body: &Value, now: Millis) -> Tokens {
    let seconds = |name: &str| {
        body.get(name)
            .and_then(Value::as_f64)
            .map(|s| now + (s * SECOND as f64) as Millis)
    };
    let scopes = match body.get("scope") {
        Some(Value::String(s)) => s.split_whitespace().map(str::to_string).collect(),
        Some(Value::Array(list)) => list
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_string)
            .collect(),
        _ => Vec::new(),
    };
    Tokens {
        access_token: text(body, "access_token"),
        refresh_token: text(body, "refresh_token"),
        id_token: text(body, "id_token"),
        access_token_expires_at: seconds("expires_in"),
        refresh_token_expires_at: seconds("refresh_token_expires_in"),
        scopes,
    }
}

async fn token_request(
    drivers: &Drivers,
    provider: &Provider<'_>,
    mut form: Vec<(&str, &str)>,
    now: Millis,
) -> Result<Tokens, ExchangeError> {
    let config = provider.config;
    form.push(("client_id", &config.client_id));
    form.push(("client_secret", config.client_secret.expose_str()));
    let (status, body) = remote::post_form(drivers, &provider.token_url, &form, Vec::new()).await?;
    if !(200..300).contains(&status) || body.get("error").is_some() {
        let why = text(&body, "error").unwrap_or_else(|| format!("status {status}"));
        return Err(ExchangeError::Refused(why));
    }
    let tokens = tokens_from(&body, now);
    if tokens.access_token.is_none() {
        return Err(ExchangeError::Refused("no access_token".into()));
    }
    Ok(tokens)
}

/// The tokens for an authorization code.
pub async fn redeem(
    drivers: &Drivers,
    provider: &Provider<'_>,
    code: &str,
    code_verifier: Option<&str>,
    redirect_uri: &str,
    now: Millis,
) -> Result<Tokens, ExchangeError> {
    let mut form = vec![
        ("grant_type", "authorization_code"),
        ("code", code),
        ("redirect_uri", redirect_uri),
    ];
    if let Some(verifier) = code_verifier {
        form.push(("code_verifier", verifier));
    }
    token_request(drivers, provider, form, now).await
}

/// New tokens for a refresh token.
pub async fn refresh(
    drivers: &Drivers,
    provider: &Provider<'_>,
    refresh_token: &str,
    now: Millis,
) -> Result<Tokens, ExchangeError> {
    let form = vec![
        ("grant_type", "refresh_token"),
        ("refresh_token", refresh_token),
    ];
    token_request(drivers, provider, form, now).await
}
