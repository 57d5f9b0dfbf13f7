//! `POST /sign-up/email`: a user, its credential account and its first session in one batch.

use crate::api::context::{Ctx, SyncChange};
use crate::api::request::Fields;
use crate::api::response::Reply;
use crate::auth::credentials::check_new_password;
use crate::auth::validate::{is_valid_email, is_valid_name};
use crate::crypto::{password, random};
use crate::error::{ApiError, Code};
use crate::storage::users::{self, User};
use crate::storage::{accounts, StorageError};
use crate::time::to_iso;
use serde_json::json;

pub async fn sign_up_email(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    let mut f = Fields::object(&ctx.body)?;
    let name = f.string("name");
    let email = f.string("email");
    let password = f.string("password");
    let image = f.optional_nullable_string("image");
    let remember = f.optional_bool("rememberMe").unwrap_or(true);
    f.optional_string("callbackURL");
    if email.as_deref().is_some_and(|e| !is_valid_email(e)) {
        f.issue("email", "Invalid email address");
    }
    if password.as_deref() == Some("") {
        f.issue(
            "password",
            "Too small: expected string to have >=1 characters",
        );
    }
    if name.as_deref().is_some_and(|n| !is_valid_name(n)) {
        f.issue(
            "name",
            "Invalid input: names are at most 256 characters, without control characters",
        );
    }
    f.finish()?;
    let (Some(name), Some(email), Some(password)) = (name, email, password) else {
        return Err(ApiError::internal());
    };
    check_new_password(ctx.config, &password)?;

    let email = email.to_lowercase();
    let sql = ctx.drivers.sql.as_ref();
    if users::find_by_email(sql, &email).await?.is_some() {
        return Err(ApiError::new(422, Code::UserAlreadyExistsUseAnotherEmail));
    }

    let hash = password::hash(ctx.drivers.kdf.as_ref(), &password)?;
    let now_iso = to_iso(ctx.now);
    let user = User {
        id: random::alphanumeric(32)?,
        name,
        email,
        email_verified: false,
        image: image.flatten(),
        created_at: now_iso.clone(),
        updated_at: now_iso.clone(),
    };
    let sessions = ctx.sessions();
    let session = sessions.new_session(
        &user.id,
        remember,
        ctx.client_ip(),
        ctx.user_agent(),
        ctx.now,
    )?;
    let mut batch = vec![
        users::insert(&user),
        accounts::insert_credential(&random::alphanumeric(32)?, &user.id, &hash, &now_iso),
        session.insert(),
    ];
    batch.extend(ctx.sync_statements(&user.id, SyncChange::Upsert)?);
    match sql.batch(batch).await {
        Ok(_) => {}
        // Two sign-ups raced for one address: the loser sees what a later duplicate would.
        Err(StorageError::Conflict(_)) => {
            return Err(ApiError::new(422, Code::UserAlreadyExistsUseAnotherEmail))
        }
        Err(e) => return Err(e.into()),
    }
    sessions.cache(&session.record, &user, ctx.now).await;
    ctx.set_session_cookie(&session.token, remember);
    Ok(Reply::json(json!({"token": session.token, "user": user})))
}
