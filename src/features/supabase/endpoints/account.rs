//! Signing up, signing in (`/token` with the password, refresh and PKCE grants), the user, and
//! signing out: better-auth's flows on Supabase's wire.

use super::{delegate, delegate_as, links, opened, redirect_to};
use crate::crypto::password;
use crate::error::ApiError;
use crate::features::email_otp::codes::Purpose;
use crate::features::email_password::credentials::check_new_password;
use crate::features::supabase::answers::{error, validation};
use crate::features::supabase::store;
use crate::features::supabase::tokens::{self, Bearer};
use crate::features::supabase::user_json::Profile;
use crate::features::verification::one_time;
use crate::features::{email_password, user, verification};
use crate::handler;
use crate::kernel::context::Ctx;
use crate::kernel::response::{Payload, Reply};
use crate::mail::Kind;
use crate::session::store as session_table;
use crate::session::ActiveSession;
use crate::storage::accounts;
use crate::storage::users::{self, User};
use crate::time::{parse_iso, to_iso, SECOND};
use serde_json::{json, Map, Value};

/// `data` as given: an object, or nothing.
fn metadata_input(ctx: &Ctx<'_>) -> Result<Map<String, Value>, ApiError> {
    match ctx.input.raw("data") {
        None | Some(Value::Null) => Ok(Map::new()),
        Some(Value::Object(map)) => Ok(map.clone()),
        Some(_) => Err(validation("data must be a JSON object")),
    }
}

fn text_of(map: &Map<String, Value>, names: &[&str]) -> Option<String> {
    names
        .iter()
        .find_map(|n| map.get(*n).and_then(Value::as_str))
        .map(str::to_string)
}

/// better-auth's sign-up without its verification link: Supabase's confirmation replaces it.
async fn sign_up_unconfirmed(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    email_password::sign_up::sign_up(ctx, false).await
}

/// `POST /signup`: better-auth's sign-up. A session when sign-ups open one; the user alone when
/// the address must be confirmed first (and, for a taken address, a user that is no one, as
/// GoTrue answers, so the answer tells nothing).
pub async fn signup(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    let email = ctx
        .input
        .text("email")
        .ok_or_else(|| validation("To signup, please provide your email"))?;
    let password = ctx
        .input
        .exact_text("password")
        .filter(|p| !p.is_empty())
        .ok_or_else(|| validation("Signup requires a valid password"))?;
    let data = metadata_input(ctx)?;
    let callback = redirect_to(ctx)?;
    let mut body = json!({
        "name": text_of(&data, &["name", "full_name"]).unwrap_or_default(),
        "email": email,
        "password": password,
    });
    if let Some(url) = &callback {
        body["callbackURL"] = json!(url);
    }
    let options = &ctx.config.email;
    let confirms = options.send_on_sign_up && options.mailer.is_some();
    let unconfirmed = handler!(sign_up_unconfirmed);
    let answer = delegate_as(
        ctx,
        &email_password::FEATURE,
        "/sign-up/email",
        body,
        Some(unconfirmed),
    )
    .await?;
    let given: User = serde_json::from_value(answer["user"].clone())
        .map_err(|e| ApiError::internal_because(format!("sign-up answered no user: {e}")))?;
    let sql = ctx.drivers.sql.as_ref();
    let stored = users::find_by_id(sql, &given.id).await?;
    let Some(user) = stored else {
        // The address was taken: the answer is a user that does not exist.
        let profile = Profile {
            user: given,
            accounts: Vec::new(),
            metadata: data,
        };
        return Ok(Reply::json(profile.json(None)));
    };
    if !data.is_empty() {
        sql.execute(store::set_metadata(&user.id, &data, ctx.now))
            .await?;
    }
    if confirms {
        let statements = links::issue(
            ctx,
            Purpose::EmailVerification,
            &user.email,
            Some(&user.id),
            false,
        )?;
        ctx.drivers.sql.batch(statements).await?;
    }
    match answer["token"].as_str() {
        Some(_) => {
            let (record, _) = opened(ctx, &answer).await?;
            Ok(Reply::json(
                tokens::open(ctx, &record, user, "password").await?,
            ))
        }
        None => {
            let mut json = Profile::load(sql, user).await?.json(None);
            json["confirmation_sent_at"] = json!(to_iso(ctx.now));
            Ok(Reply::json(json))
        }
    }
}

/// `POST /token`: `grant_type` password, refresh_token, pkce or id_token.
pub async fn token(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    match ctx.input.query("grant_type") {
        Some("password") => password_grant(ctx).await,
        Some("refresh_token") => {
            let presented = ctx
                .input
                .exact_text("refresh_token")
                .filter(|t| !t.is_empty())
                .ok_or_else(|| validation("Refresh token is not valid"))?;
            Ok(Reply::json(tokens::refresh(ctx, &presented).await?))
        }
        Some("pkce") => super::oauth::pkce_grant(ctx).await,
        Some("id_token") => super::oauth::id_token_grant(ctx).await,
        _ => Err(error(400, "invalid_credentials", "unsupported_grant_type")),
    }
}

async fn password_grant(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    let (Some(email), Some(password)) = (ctx.input.text("email"), ctx.input.exact_text("password"))
    else {
        return Err(validation("An email address and a password are required"));
    };
    let body = json!({"email": email, "password": password});
    let answer = delegate(ctx, &email_password::FEATURE, "/sign-in/email", body).await?;
    if answer.get("twoFactorRedirect").is_some() {
        return Err(error(
            403,
            "insufficient_aal",
            "This account signs in with a second factor: sign in through better-auth's two-factor endpoints",
        ));
    }
    let (record, user) = opened(ctx, &answer).await?;
    Ok(Reply::json(
        tokens::open(ctx, &record, user, "password").await?,
    ))
}

/// `GET /user`.
pub async fn user(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    let bearer = tokens::bearer(ctx).await?;
    let user = bearer.user.clone();
    Ok(Reply::json(tokens::user_json(ctx, &bearer, user).await?))
}

/// Lets better-auth's session checks see the bearer's session.
pub(super) fn stand_in(ctx: &mut Ctx<'_>, bearer: &Bearer) {
    ctx.checked_session = Some(ActiveSession {
        token: String::new(),
        record: bearer.record.clone(),
        user: bearer.user.clone(),
        api_key: None,
    });
}

/// `PUT /user`: `data` (merged into `user_metadata`; a `null` removes a key), `password` (with a
/// `nonce` from `/reauthenticate`, or within `SESSION_FRESH_AGE` of signing in), `email` (as
/// better-auth's change-email: confirmed by a link to the new address, or first to the current
/// one when it is confirmed).
pub async fn update_user(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    let bearer = tokens::bearer(ctx).await?;
    let data = metadata_input(ctx)?;
    let new_password = ctx.input.exact_text("password").filter(|p| !p.is_empty());
    let nonce = ctx.input.text("nonce");
    let new_email = ctx
        .input
        .text("email")
        .map(|e| e.to_lowercase())
        .filter(|e| *e != bearer.user.email);
    let callback = redirect_to(ctx)?;
    if let Some(password) = &new_password {
        check_new_password(ctx.config, password)?;
        match &nonce {
            Some(nonce) => super::codes::spend_nonce(ctx, &bearer.user, nonce).await?,
            None => {
                let signed_in = parse_iso(&bearer.record.created_at).unwrap_or(0);
                if ctx.now - signed_in > ctx.config.session_fresh_age * SECOND {
                    return Err(error(
                        400,
                        "reauthentication_needed",
                        "Password update requires reauthentication",
                    ));
                }
            }
        }
    }
    let sql = ctx.drivers.sql.as_ref();
    if !data.is_empty() {
        let mut metadata = store::metadata(sql, &bearer.user.id).await?;
        for (key, value) in &data {
            if value.is_null() {
                metadata.remove(key);
            } else {
                metadata.insert(key.clone(), value.clone());
            }
        }
        sql.execute(store::set_metadata(&bearer.user.id, &metadata, ctx.now))
            .await?;
        let name = text_of(&data, &["name", "full_name"]);
        let image = text_of(&data, &["avatar_url", "picture"]);
        if name.is_some() || image.is_some() {
            let mut body = json!({});
            if let Some(name) = name {
                body["name"] = json!(name);
            }
            if let Some(image) = image {
                body["image"] = json!(image);
            }
            stand_in(ctx, &bearer);
            delegate(ctx, &user::FEATURE, "/update-user", body).await?;
        }
    }
    if let Some(password) = new_password {
        set_password(ctx, &bearer, &password).await?;
    }
    let mut pending = None;
    if let Some(email) = new_email {
        stand_in(ctx, &bearer);
        let mut body = json!({"newEmail": email});
        if let Some(url) = &callback {
            body["callbackURL"] = json!(url);
        }
        delegate(ctx, &verification::FEATURE, "/change-email", body).await?;
        pending = Some(email);
    }
    let user = users::find_by_id(ctx.drivers.sql.as_ref(), &bearer.user.id)
        .await?
        .ok_or_else(|| error(403, "user_not_found", "User not found"))?;
    let mut json = tokens::user_json(ctx, &bearer, user.clone()).await?;
    if let Some(email) = pending.filter(|e| *e != user.email) {
        json["new_email"] = json!(email);
        json["email_change_sent_at"] = json!(to_iso(ctx.now));
    }
    Ok(Reply::json(json))
}

/// Sets the password (making the credential account a user without one lacks), ends the
/// user's other sessions and the reset links sent before.
async fn set_password(ctx: &Ctx<'_>, bearer: &Bearer, password: &str) -> Result<(), ApiError> {
    let sql = ctx.drivers.sql.as_ref();
    let hash = password::hash(ctx.drivers.kdf.as_ref(), password)?;
    let now_iso = to_iso(ctx.now);
    let user_id = &bearer.user.id;
    let set = match accounts::credential_for_user(sql, user_id).await? {
        Some(account) => accounts::set_password(&account.id, &hash, &now_iso),
        None => accounts::insert_credential(
            &crate::crypto::random::alphanumeric(32)?,
            user_id,
            &hash,
            &now_iso,
        ),
    };
    let batch = vec![
        set,
        one_time::revoke_all(Kind::ResetPassword, user_id),
        session_table::delete_others_of_user(user_id, &bearer.record.token_digest),
    ];
    ctx.sessions().run_revoking(user_id, batch, Some(2)).await?;
    Ok(())
}

/// `POST /logout?scope=global|local|others`: 204.
pub async fn logout(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    let bearer = tokens::bearer(ctx).await?;
    let sessions = ctx.sessions();
    match ctx.input.query("scope").unwrap_or("global") {
        "global" => sessions.revoke_all(&bearer.user.id, None).await?,
        "local" => tokens::end_session(ctx, &bearer.record).await?,
        "others" => {
            sessions
                .revoke_all(&bearer.user.id, Some(&bearer.record.token_digest))
                .await?
        }
        other => return Err(validation(format!("Unsupported logout scope {other:?}"))),
    }
    ctx.drivers
        .sql
        .execute(store::delete_orphans_of_user(&bearer.user.id))
        .await?;
    Ok(Reply {
        status: 204,
        payload: Payload::Empty,
        headers: Vec::new(),
    })
}
