//! `GET /health`, `GET /settings` and the JWKS that verifies the access tokens.

use crate::error::ApiError;
use crate::features::jwt::endpoints::jwks_document;
use crate::features::jwt::keyring::JWKS_MAX_AGE_SECONDS;
use crate::features::jwt::keys::Alg;
use crate::kernel::context::Ctx;
use crate::kernel::response::Reply;
use serde_json::{json, Map, Value};

pub async fn health(_ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    Ok(Reply::json(json!({
        "version": env!("PORTCULLIS_VERSION"),
        "name": "portcullis",
        "description": "Supabase Auth compatible API of portcullis",
    })))
}

/// What is on: email sign-in, each configured provider, whether sign-ups confirm by email.
pub async fn settings(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    let mut external = Map::new();
    external.insert("email".into(), json!(true));
    external.insert("phone".into(), json!(false));
    external.insert("anonymous_users".into(), json!(false));
    for provider in &ctx.config.social.providers {
        external.insert(provider.id.clone(), json!(true));
    }
    Ok(Reply::json(json!({
        "external": Value::Object(external),
        "disable_signup": false,
        "mailer_autoconfirm": !ctx.config.email.require_verification,
        "phone_autoconfirm": false,
        "sms_provider": "",
        "saml_enabled": false,
        "passkeys_enabled": false,
    })))
}

pub async fn jwks(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    let ring = crate::features::jwt::ring(ctx.config, ctx.drivers, Alg::ES256);
    let doc = jwks_document(&ring, ctx.now).await?;
    Ok(Reply::json(doc)
        .header(
            "cache-control",
            format!("public, max-age={JWKS_MAX_AGE_SECONDS}"),
        )
        .header("access-control-allow-origin", "*"))
}
