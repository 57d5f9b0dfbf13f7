//! `POST /sign-in/email`: checks the password (with equal work for unknown addresses) and opens a
//! session.

use crate::error::{ApiError, Code};
use crate::features::email_password::credentials::{self, check_not_too_long};
use crate::features::two_factor;
use crate::features::verification::email::verification_mail;
use crate::kernel::context::Ctx;
use crate::kernel::formats::is_valid_email;
use crate::kernel::response::Reply;
use crate::kernel::throttle::too_many_requests;
use crate::rate_limit::per_address;
use crate::session::bans;
use crate::storage::{counters, users};
use crate::time::SECOND;
use serde_json::json;

pub async fn sign_in_email(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    let input = &ctx.input;
    let (Some(email), Some(password)) = (input.exact_text("email"), input.exact_text("password"))
    else {
        return Err(ApiError::internal());
    };
    let remember = input.flag("rememberMe").unwrap_or(true);
    let callback = input.text("callbackURL");
    if !is_valid_email(&email) {
        return Err(ApiError::new(400, Code::InvalidEmail));
    }
    check_not_too_long(ctx.config, &password)?;

    let email = email.to_lowercase();
    let sql = ctx.drivers.sql.as_ref();
    let limits = &ctx.config.rate_limit;
    let counter = per_address::sign_in_key(ctx.config.secret.expose(), &email);
    let lookup = users::find_for_sign_in(sql, &email, &counter, ctx.now).await?;
    // Too many failures for this address, from anywhere: refused before any hashing, known
    // address or not.
    if limits.sign_in_max_failures > 0 && lookup.failures >= limits.sign_in_max_failures {
        return Ok(too_many_requests(
            (lookup.failures_until - ctx.now + SECOND - 1) / SECOND,
        ));
    }
    let stored = lookup.found.as_ref().and_then(|f| f.password.clone());
    let verified =
        credentials::verify_stored(ctx.drivers.kdf.as_ref(), &password, stored.as_deref())?;
    let (Some(true), Some(found), Some(verified_hash)) = (verified, lookup.found, stored) else {
        if limits.sign_in_max_failures > 0 {
            let window = limits.sign_in_failure_window * SECOND;
            sql.execute(counters::bump(&counter, ctx.now, window))
                .await?;
        }
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

    // After the password, as better-auth: a ban is news only to whoever knows it.
    let lift_ban = bans::admit(ctx.config, &user, ctx.now)?;

    if let Some(challenge) = two_factor::challenge_password_sign_in(ctx, &user, remember).await? {
        if lookup.failures > 0 {
            sql.execute(counters::clear(&counter)).await?;
        }
        return Ok(challenge);
    }

    let sessions = ctx.sessions();
    let session = sessions.new_session(
        &user.id,
        remember,
        ctx.client_ip(),
        ctx.user_agent(),
        ctx.now,
    )?;
    // A reset or password change that committed since the check leaves no session behind; a
    // success clears the address's failures.
    let mut batch: Vec<_> = lift_ban.into_iter().collect();
    let insert_at = batch.len();
    batch.push(session.insert_if_password(&verified_hash));
    if lookup.failures > 0 {
        batch.push(counters::clear(&counter));
    }
    let inserted = ctx.drivers.sql.batch(batch).await?;
    if inserted.get(insert_at) != Some(&1) {
        // A ban that committed since the check, or a reset or password change.
        let now_banned = users::find_by_id(sql, &user.id)
            .await?
            .is_some_and(|u| u.banned);
        return Err(if now_banned {
            bans::banned(ctx.config)
        } else {
            ApiError::new(401, Code::InvalidEmailOrPassword)
        });
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
