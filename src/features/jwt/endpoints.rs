//! JWT endpoints: `GET /token`, the JWKS (`/jwks` and `/.well-known/jwks.json`) and a minimal
//! `/.well-known/openid-configuration` for libraries that discover keys from the issuer.

use crate::config::Config;
use crate::drivers::Drivers;
use crate::error::ApiError;
use crate::features::jwt::keyring::{KeyRing, JWKS_MAX_AGE_SECONDS};
use crate::features::jwt::keys::Alg;
use crate::kernel::context::Ctx;
use crate::kernel::request::Request;
use crate::kernel::response::{error_response, json_response, Reply, Response};
use crate::time::Millis;
use http::header::{HeaderValue, CACHE_CONTROL};
use http::Method;
use serde_json::{json, Value};

pub async fn token(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    let session = ctx.signed_in()?;
    let jwt = crate::features::jwt::key_ring(ctx)
        .token_for(&session.user, ctx.now)
        .await?;
    Ok(Reply::json(json!({"token": jwt})))
}

/// `{"keys": […]}`: the ring's published keys.
pub async fn jwks_document(ring: &KeyRing<'_>, now: Millis) -> Result<Value, ApiError> {
    let keys: Vec<Value> = ring
        .published(now)
        .await?
        .iter()
        .map(|k| k.jwks_entry())
        .collect();
    Ok(json!({"keys": keys}))
}

fn cache_for(seconds: i64) -> String {
    format!("public, max-age={seconds}")
}

pub async fn jwks(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    let doc = jwks_document(&crate::features::jwt::key_ring(ctx), ctx.now).await?;
    Ok(Reply::json(doc).header("cache-control", cache_for(JWKS_MAX_AGE_SECONDS)))
}

/// The discovery documents at the origin's root. Public keys are public: any origin may read them.
pub async fn well_known(
    config: &Config,
    drivers: &Drivers,
    req: &Request,
    now: Millis,
) -> Option<Response> {
    let path = req.uri().path();
    if !path.starts_with("/.well-known/") || req.method() != Method::GET {
        return None;
    }
    let (body, max_age) = match path {
        "/.well-known/jwks.json" => {
            let ring = super::ring(config, drivers, Alg::EdDSA);
            match jwks_document(&ring, now).await {
                Ok(doc) => (doc, JWKS_MAX_AGE_SECONDS),
                Err(e) => return Some(error_response(&e)),
            }
        }
        "/.well-known/openid-configuration" => {
            let jwks_uri = format!("{}{}/jwks", config.base_origin, config.base_path);
            let doc = json!({
                "issuer": config.jwt.issuer,
                "jwks_uri": jwks_uri,
                "id_token_signing_alg_values_supported": ["EdDSA"],
                "subject_types_supported": ["public"],
                "claims_supported": ["sub", "iss", "aud", "exp", "iat", "email", "email_verified", "name", "image"],
            });
            (doc, 3600)
        }
        _ => return None,
    };
    let mut res = json_response(200, &body);
    let h = res.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&cache_for(max_age)) {
        h.insert(CACHE_CONTROL, v);
    }
    h.insert("access-control-allow-origin", HeaderValue::from_static("*"));
    Some(res)
}
