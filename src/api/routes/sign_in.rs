//! `POST /sign-in/email`: checks the password (with equal work for unknown addresses) and opens a
//! session.

use crate::api::context::Ctx;
use crate::api::request::Fields;
use crate::api::response::Reply;
use crate::api::routes::email::verification_mail;
use crate::auth::credentials::{self, check_not_too_long};
use crate::auth::validate::is_valid_email;
use crate::error::{ApiError, Code};
use crate::storage::users;
use serde_json::json;

pub async fn sign_in_email(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    let mut f = Fields::object(&ctx.body)?;
    let email = f.string("email");
    let password = f.string("password");
    let remember = f.optional_bool("rememberMe").unwrap_or(true);
    let callback = f.optional_string("callbackURL").filter(|c| !c.is_empty());
    f.finish()?;
    let (Some(email), Some(password)) = (email, password) else {
        return Err(ApiError::internal());
    };
    if !is_valid_email(&email) {
        return Err(ApiError::new(400, Code::InvalidEmail));
    }
    check_not_too_long(ctx.config, &password)?;

    let found = users::find_with_password(ctx.drivers.sql.as_ref(), &email.to_lowercase()).await?;
    let stored = found.as_ref().and_then(|f| f.password.clone());
    let verified =
        credentials::verify_stored(ctx.drivers.kdf.as_ref(), &password, stored.as_deref())?;
    let (Some(true), Some(found), Some(verified_hash)) = (verified, found, stored) else {
        return Err(ApiError::new(401, Code::InvalidEmailOrPassword));
    };
    let user = found.user;
    let options = &ctx.config.email;
    if options.require_verification && !user.email_verified {
        if options.send_on_sign_in {
            let statements = verification_mail(ctx, &user, callback.as_deref(), true)?;
            ctx.drivers.sql.batch(statements).await?;
        }
        return Err(ApiError::new(403, Code::EmailNotVerified));
    }

    let sessions = ctx.sessions();
    let session = sessions.new_session(
        &user.id,
        remember,
        ctx.client_ip(),
        ctx.user_agent(),
        ctx.now,
    )?;
    // A reset or password change that committed since the check leaves no session behind.
    let inserted = ctx
        .drivers
        .sql
        .execute(session.insert_if_password(&verified_hash))
        .await?;
    if inserted == 0 {
        return Err(ApiError::new(401, Code::InvalidEmailOrPassword));
    }
    sessions.cache(&session.record, &user, ctx.now).await;
    ctx.set_session_cookie(&session.token, remember);
    let reply = match callback {
        Some(url) => {
            Reply::json(json!({"redirect": true, "token": session.token, "url": url, "user": user}))
                .header("location", url)
        }
        None => Reply::json(json!({"redirect": false, "token": session.token, "user": user})),
    };
    Ok(reply)
}
