//! The passkey endpoints as `@better-auth/passkey` serves them: options and verification for
//! registering (signed in, fresh session) and for signing in, and the user's own list, rename and
//! delete.

use super::ceremony::{self, Pending, PendingUser};
use super::relying_party::{self, Expected, Refusal};
use super::store::{self, Passkey};
use crate::crypto::cose;
use crate::crypto::random;
use crate::error::{ApiError, Code};
use crate::kernel::context::Ctx;
use crate::kernel::response::Reply;
use crate::net::origin::Origin;
use crate::session;
use crate::storage::users;
use crate::time::to_iso;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use serde_json::{json, Value};

/// How long the browser may wait for the authenticator (`@simplewebauthn/server`'s default).
const TIMEOUT_MS: i64 = 60_000;

fn credential_descriptors(passkeys: &[Passkey]) -> Vec<Value> {
    passkeys
        .iter()
        .map(|p| {
            let transports: Vec<&str> = p
                .transports
                .as_deref()
                .unwrap_or_default()
                .split(',')
                .filter(|t| !t.is_empty())
                .collect();
            json!({"id": p.credential_id, "type": "public-key", "transports": transports})
        })
        .collect()
}

/// Whether a ceremony may come from `origin`: this service or a trusted origin, on the RP ID's
/// domain.
fn origin_allowed(ctx: &Ctx<'_>, origin: &str) -> bool {
    let Some(origin) = Origin::parse(origin) else {
        return false;
    };
    let rp_id = &ctx.config.passkey.rp_id;
    let host = origin.host().to_ascii_lowercase();
    let on_domain = host == *rp_id || host.ends_with(&format!(".{rp_id}"));
    on_domain && (origin == ctx.config.base_origin || ctx.config.is_trusted_origin(&origin))
}

pub async fn generate_register_options(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    let session = ctx.signed_in()?;
    let user = &session.user;
    let config = &ctx.config.passkey;
    let existing = store::list_for_user(ctx.drivers.sql.as_ref(), &user.id).await?;
    let challenge = ceremony::new_challenge()?;
    // A user handle of its own per registration, as better-auth: it names no account.
    let handle = random::alphanumeric(32)?.to_ascii_lowercase();
    let name = ctx.query("name").map(str::to_string);
    let mut selection = json!({
        "residentKey": "preferred",
        "userVerification": if config.require_user_verification { "required" } else { "preferred" },
        "requireResidentKey": false,
    });
    match ctx.query("authenticatorAttachment") {
        None => {}
        Some(a @ ("platform" | "cross-platform")) => {
            selection["authenticatorAttachment"] = json!(a)
        }
        Some(_) => {
            return Err(ApiError::validation(
                r#"[query.authenticatorAttachment] Invalid option: expected one of "platform"|"cross-platform""#,
            ))
        }
    }
    let options = json!({
        "challenge": challenge,
        "rp": {"name": config.rp_name, "id": config.rp_id},
        "user": {
            "id": URL_SAFE_NO_PAD.encode(handle.as_bytes()),
            "name": name.unwrap_or_else(|| user.email.clone()),
            "displayName": user.email,
        },
        "pubKeyCredParams": cose::ALGORITHMS.map(|alg| json!({"alg": alg, "type": "public-key"})),
        "timeout": TIMEOUT_MS,
        "attestation": "none",
        "excludeCredentials": credential_descriptors(&existing),
        "authenticatorSelection": selection,
        "extensions": {"credProps": true},
        "hints": [],
    });
    let pending = Pending {
        ceremony: "registration".into(),
        expected_challenge: challenge,
        user_data: PendingUser {
            id: user.id.clone(),
        },
    };
    ceremony::begin(ctx, &pending).await?;
    Ok(Reply::json(options))
}

pub async fn generate_authenticate_options(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    let session = ctx.session(session::Source::Cache).await?;
    let config = &ctx.config.passkey;
    let challenge = ceremony::new_challenge()?;
    let mut options = json!({
        "rpId": config.rp_id,
        "challenge": challenge,
        "timeout": TIMEOUT_MS,
        "userVerification": if config.require_user_verification { "required" } else { "preferred" },
    });
    if let Some(session) = &session {
        let passkeys = store::list_for_user(ctx.drivers.sql.as_ref(), &session.user.id).await?;
        if !passkeys.is_empty() {
            options["allowCredentials"] = json!(credential_descriptors(&passkeys));
        }
    }
    let pending = Pending {
        ceremony: "authentication".into(),
        expected_challenge: challenge,
        user_data: PendingUser {
            id: session.map(|s| s.user.id).unwrap_or_default(),
        },
    };
    ceremony::begin(ctx, &pending).await?;
    Ok(Reply::json(options))
}

fn expected<'a>(
    ctx: &'a Ctx<'_>,
    pending: &'a Pending,
    origin_allowed: &'a dyn Fn(&str) -> bool,
) -> Expected<'a> {
    Expected {
        challenge: &pending.expected_challenge,
        rp_id: &ctx.config.passkey.rp_id,
        origin_allowed,
        user_verification: ctx.config.passkey.require_user_verification,
    }
}

fn log_refusal(ctx: &Ctx<'_>, ceremony: &str, refusal: &Refusal) {
    ctx.log(
        crate::drivers::Level::Info,
        &format!("passkey {ceremony} refused: {refusal}"),
    );
}

pub async fn verify_registration(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    let session = ctx.signed_in()?;
    let pending = ceremony::take(ctx, "registration").await?;
    if pending.user_data.id != session.user.id {
        return Err(ApiError::new(
            401,
            Code::YouAreNotAllowedToRegisterThisPasskey,
        ));
    }
    let response = ctx.input.raw("response").cloned().unwrap_or(Value::Null);
    let allowed = |origin: &str| origin_allowed(ctx, origin);
    let registered =
        match relying_party::verify_registration(&response, &expected(ctx, &pending, &allowed)) {
            Ok(registered) => registered,
            Err(refusal) => {
                log_refusal(ctx, "registration", &refusal);
                return Err(ApiError::new(400, Code::FailedToVerifyRegistration));
            }
        };
    let passkey = Passkey {
        id: random::alphanumeric(32)?,
        name: ctx.input.text("name"),
        public_key: STANDARD.encode(&registered.public_key),
        user_id: session.user.id.clone(),
        credential_id: registered.credential_id,
        counter: registered.counter.into(),
        device_type: if registered.multi_device {
            "multiDevice"
        } else {
            "singleDevice"
        }
        .into(),
        backed_up: registered.backed_up,
        transports: Some(registered.transports.join(",")),
        created_at: Some(to_iso(ctx.now)),
        aaguid: Some(registered.aaguid),
    };
    if ctx.drivers.sql.execute(store::insert(&passkey)).await? != 1 {
        ctx.log(
            crate::drivers::Level::Info,
            "passkey registration refused: the credential is already registered",
        );
        return Err(ApiError::new(400, Code::FailedToVerifyRegistration));
    }
    Ok(Reply::json(json!(passkey)))
}

pub async fn verify_authentication(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    let pending = ceremony::take(ctx, "authentication").await?;
    let response = ctx.input.raw("response").cloned().unwrap_or(Value::Null);
    let failed = || ApiError::new(400, Code::AuthenticationFailed);
    let credential_id = relying_party::asserted_credential(&response).map_err(|_| failed())?;
    let sql = ctx.drivers.sql.as_ref();
    let passkey = store::find_by_credential(sql, &credential_id)
        .await?
        .ok_or_else(|| ApiError::new(401, Code::PasskeyNotFound))?;
    let public_key = STANDARD
        .decode(&passkey.public_key)
        .map_err(ApiError::internal_because)?;
    let stored_counter = u32::try_from(passkey.counter).unwrap_or(u32::MAX);
    let allowed = |origin: &str| origin_allowed(ctx, origin);
    let asserted = match relying_party::verify_authentication(
        &response,
        &expected(ctx, &pending, &allowed),
        &public_key,
        stored_counter,
    ) {
        Ok(asserted) => asserted,
        Err(refusal) => {
            log_refusal(ctx, "sign-in", &refusal);
            return Err(match refusal {
                Refusal::Signature => ApiError::new(401, Code::AuthenticationFailed),
                _ => failed(),
            });
        }
    };
    let advanced = sql
        .execute(store::advance_counter(
            &passkey.id,
            passkey.counter,
            asserted.counter.into(),
            asserted.backed_up,
        ))
        .await?;
    if advanced != 1 {
        return Err(failed());
    }
    let user = users::find_by_id(sql, &passkey.user_id)
        .await?
        .ok_or_else(failed)?;
    let session = ctx
        .sessions()
        .create(&user, true, ctx.client_ip(), ctx.user_agent(), ctx.now)
        .await?;
    ctx.set_session_cookie(&session.token, true);
    Ok(Reply::json(json!({
        "session": session::json(&session.record, &session.token),
        "user": user,
    })))
}

pub async fn list_user_passkeys(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    let session = ctx.signed_in()?;
    let passkeys = store::list_for_user(ctx.drivers.sql.as_ref(), &session.user.id).await?;
    Ok(Reply::json(json!(passkeys)))
}

/// The signed-in user's passkey named by the body's `id`: 404 `PASSKEY_NOT_FOUND`, or 401 when
/// it is another user's (`forbidden`).
async fn owned(ctx: &mut Ctx<'_>, forbidden: ApiError) -> Result<Passkey, ApiError> {
    let session = ctx.signed_in()?;
    let id = ctx.input.exact_text("id").unwrap_or_default();
    let passkey = store::find(ctx.drivers.sql.as_ref(), &id)
        .await?
        .ok_or_else(|| ApiError::new(404, Code::PasskeyNotFound))?;
    if passkey.user_id != session.user.id {
        return Err(forbidden);
    }
    Ok(passkey)
}

pub async fn update_passkey(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    let forbidden = ApiError::new(401, Code::YouAreNotAllowedToRegisterThisPasskey);
    let mut passkey = owned(ctx, forbidden).await?;
    let name = ctx.input.text("name").unwrap_or_default();
    ctx.drivers
        .sql
        .execute(store::rename(&passkey.id, &name))
        .await?;
    passkey.name = Some(name);
    Ok(Reply::json(json!({ "passkey": passkey })))
}

pub async fn delete_passkey(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    let passkey = owned(ctx, ApiError::unauthorized()).await?;
    ctx.drivers.sql.execute(store::delete(&passkey.id)).await?;
    Ok(Reply::json(json!({ "status": true })))
}
