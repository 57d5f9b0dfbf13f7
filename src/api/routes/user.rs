//! Profile and account endpoints: `update-user`, `change-password`, `delete-user`.

use crate::api::context::{Ctx, SyncChange};
use crate::api::request::Fields;
use crate::api::response::Reply;
use crate::auth::credentials::{self, check_new_password, check_not_too_long};
use crate::auth::one_time;
use crate::auth::sessions::{ActiveSession, Source};
use crate::auth::validate::{is_valid_name, MAX_IMAGE_LEN};
use crate::crypto::password;
use crate::error::{ApiError, Code};
use crate::mail::Kind;
use crate::storage::sessions as session_table;
use crate::storage::{accounts, users};
use crate::time::{parse_iso, to_iso, SECOND};
use serde_json::json;

pub async fn update_user(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    let mut f = Fields::record(&ctx.body)?;
    if f.raw("email").is_some() {
        return Err(ApiError::new(400, Code::EmailCanNotBeUpdated));
    }
    let name = f.optional_string("name");
    let image = f.optional_nullable_short_string("image", MAX_IMAGE_LEN);
    if name.as_deref().is_some_and(|n| !is_valid_name(n)) {
        f.issue(
            "name",
            "Invalid input: names are at most 256 characters, without control characters",
        );
    }
    f.finish()?;
    if name.is_none() && image.is_none() {
        return Err(ApiError::message_only(400, "No fields to update"));
    }

    let session = ctx.require_session(Source::Cache).await?;
    let mut user = session.user.clone();
    if let Some(name) = name {
        user.name = name;
    }
    if let Some(image) = image {
        user.image = image;
    }
    user.updated_at = to_iso(ctx.now);
    let mut batch = vec![users::update_profile(&user)];
    batch.extend(ctx.sync_statements(&user.id, SyncChange::Upsert)?);
    ctx.drivers.sql.batch(batch).await?;
    ctx.sessions().refresh_cached_user(&user, ctx.now).await?;
    let remember = !ctx.has_dont_remember();
    ctx.set_session_cookie(&session.token, remember);
    Ok(Reply::json(json!({"status": true})))
}

pub async fn change_password(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    let mut f = Fields::object(&ctx.body)?;
    let new_password = f.string("newPassword");
    let current_password = f.string("currentPassword");
    let revoke_others = f.optional_bool("revokeOtherSessions").unwrap_or(false);
    f.finish()?;
    let (Some(new_password), Some(current_password)) = (new_password, current_password) else {
        return Err(ApiError::internal());
    };
    check_new_password(ctx.config, &new_password)?;
    check_not_too_long(ctx.config, &current_password)?;

    let session = ctx.require_session(Source::Durable).await?;
    let sql = ctx.drivers.sql.as_ref();
    let kdf = ctx.drivers.kdf.as_ref();
    let account =
        credentials::require_password(sql, kdf, &session.user.id, &current_password).await?;
    let now_iso = to_iso(ctx.now);
    let set_password = vec![
        accounts::set_password(&account.id, &password::hash(kdf, &new_password)?, &now_iso),
        // Reset links sent before the change stop working.
        one_time::revoke_all(Kind::ResetPassword, &session.user.id),
    ];
    if !revoke_others {
        sql.batch(set_password).await?;
        return Ok(Reply::json(json!({"token": null, "user": session.user})));
    }

    // Every session dies, the current one included, and a new one replaces it: all in one batch.
    let sessions = ctx.sessions();
    let remember = !ctx.has_dont_remember();
    let fresh = sessions.new_session(
        &session.user.id,
        remember,
        ctx.client_ip(),
        ctx.user_agent(),
        ctx.now,
    )?;
    let mut batch = set_password;
    let deleting = batch.len();
    batch.extend([
        session_table::delete_for_user(&session.user.id),
        fresh.insert(),
    ]);
    sessions.run_revoking(batch, Some(deleting)).await?;
    sessions.cache(&fresh.record, &session.user, ctx.now).await;
    ctx.set_session_cookie(&fresh.token, remember);
    Ok(Reply::json(
        json!({"token": fresh.token, "user": session.user}),
    ))
}

pub async fn delete_user(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    if !ctx.config.delete_user_enabled {
        return Err(ApiError::not_found());
    }
    let mut f = Fields::optional_object(&ctx.body)?;
    let password = f.optional_string("password");
    f.optional_string("callbackURL");
    f.finish()?;

    let session = ctx.require_session(Source::Durable).await?;
    let sql = ctx.drivers.sql.as_ref();
    match password {
        Some(password) => {
            check_not_too_long(ctx.config, &password)?;
            credentials::require_password(
                sql,
                ctx.drivers.kdf.as_ref(),
                &session.user.id,
                &password,
            )
            .await?;
        }
        None => require_passwordless_deletion(ctx, &session).await?,
    }

    let mut batch = ctx.sync_statements(&session.user.id, SyncChange::Delete)?;
    let deleting = batch.len();
    batch.extend(users::delete(&session.user.id));
    ctx.sessions().run_revoking(batch, Some(deleting)).await?;
    ctx.clear_session_cookies();
    Ok(Reply::json(
        json!({"success": true, "message": "User deleted"}),
    ))
}

/// Without a password, only a user who has none may delete the account, and only from a session
/// that is still fresh.
async fn require_passwordless_deletion(
    ctx: &Ctx<'_>,
    session: &ActiveSession,
) -> Result<(), ApiError> {
    let account = accounts::credential_for_user(ctx.drivers.sql.as_ref(), &session.user.id).await?;
    if account.and_then(|a| a.password).is_some() {
        return Err(ApiError::new(400, Code::UserAlreadyHasPassword));
    }
    let fresh_age = ctx.config.session_fresh_age;
    let created = parse_iso(&session.record.created_at).unwrap_or(0);
    if fresh_age > 0 && ctx.now - created >= fresh_age * SECOND {
        return Err(ApiError::new(400, Code::SessionExpired));
    }
    Ok(())
}
