//! The admin endpoints: roles, bans, another user's sessions, password and removal, and
//! permission checks. Each checks the caller's permission first, as better-auth does.

use super::listing;
use super::permissions::{self, has_permission, parse_requested};
use super::store;
use crate::crypto::{password, random};
use crate::error::{ApiError, Code};
use crate::features::email_password::credentials::{check_new_password, check_not_too_long};
use crate::features::sync::{self, SyncChange};
use crate::features::verification::one_time;
use crate::kernel::context::Ctx;
use crate::kernel::formats::is_valid_email;
use crate::kernel::response::Reply;
use crate::mail::Kind;
use crate::session::{self as sessions, store as session_table, ActiveSession, Source};
use crate::storage::accounts;
use crate::storage::users::{self, User};
use crate::storage::StorageError;
use crate::time::{to_iso, SECOND};
use serde_json::{json, Value};

/// The signed-in admin, once `action` on `resource` is allowed to them.
fn admin(
    ctx: &mut Ctx<'_>,
    resource: &str,
    action: &str,
    denied: Code,
) -> Result<ActiveSession, ApiError> {
    let session = ctx.signed_in()?;
    permissions::require(ctx.config, &session.user, resource, action, denied)?;
    Ok(session)
}

fn user_id(ctx: &Ctx<'_>) -> Result<String, ApiError> {
    ctx.input
        .exact_text("userId")
        .ok_or_else(ApiError::internal)
}

async fn target(ctx: &Ctx<'_>, id: &str) -> Result<User, ApiError> {
    users::find_by_id(ctx.drivers.sql.as_ref(), id)
        .await?
        .ok_or_else(|| ApiError::new(404, Code::UserNotFound))
}

/// Runs a change to the user (with its sync work) and answers `{user}` as it now is.
async fn change_and_answer(
    ctx: &mut Ctx<'_>,
    id: &str,
    change: crate::storage::Statement,
) -> Result<Reply, ApiError> {
    let mut batch = vec![change];
    batch.extend(sync::record(ctx, id, SyncChange::Upsert)?);
    ctx.drivers.sql.batch(batch).await?;
    let user = target(ctx, id).await?;
    ctx.sessions().refresh_cached_user(&user, ctx.now).await?;
    Ok(Reply::json(json!({ "user": user })))
}

pub async fn set_role(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    admin(ctx, "user", "set-role", Code::NotAllowedToChangeUsersRole)?;
    let id = user_id(ctx)?;
    let roles = ctx.input.strings("role").unwrap_or_default();
    target(ctx, &id).await?;
    let role = roles.join(",");
    let change = store::set_role(&id, &role, &to_iso(ctx.now));
    change_and_answer(ctx, &id, change).await
}

/// The user fields `create-user` takes in `data`, beyond its own `name`, `email` and `role`.
const CREATE_DATA: &[&str] = &[
    "emailVerified",
    "image",
    "banned",
    "banReason",
    "banExpires",
];

/// Creates a user, with a credential account when a password is given, and its sync work, in
/// one batch.
pub async fn create_user(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    let session = admin(ctx, "user", "create", Code::NotAllowedToCreateUsers)?;
    let data = match ctx.input.raw("data") {
        Some(Value::Object(map)) => map.clone(),
        _ => serde_json::Map::new(),
    };
    if let Some(unknown) = data.keys().find(|k| !CREATE_DATA.contains(&k.as_str())) {
        return Err(ApiError::validation(format!(
            "[body.data.{unknown}] Unknown user field"
        )));
    }
    let bad_expiry = data
        .get("banExpires")
        .is_some_and(|v| v.as_str().and_then(crate::time::parse_iso).is_none());
    if bad_expiry {
        return Err(ApiError::validation(
            "[body.data.banExpires] Invalid input: expected an ISO date",
        ));
    }
    let roles = ctx.input.strings("role");
    if roles.is_some() {
        permissions::require(
            ctx.config,
            &session.user,
            "user",
            "set-role",
            Code::NotAllowedToChangeUsersRole,
        )?;
    }
    if ["banned", "banReason", "banExpires"]
        .iter()
        .any(|k| data.contains_key(*k))
    {
        permissions::require(
            ctx.config,
            &session.user,
            "user",
            "ban",
            Code::NotAllowedToBanUsers,
        )?;
    }
    let email = ctx
        .input
        .exact_text("email")
        .unwrap_or_default()
        .to_lowercase();
    if !is_valid_email(&email) {
        return Err(ApiError::new(400, Code::InvalidEmail));
    }
    let password = ctx.input.text("password");
    if let Some(password) = &password {
        check_not_too_long(ctx.config, password)?;
    }
    let sql = ctx.drivers.sql.as_ref();
    if users::find_by_email(sql, &email).await?.is_some() {
        return Err(ApiError::new(400, Code::UserAlreadyExistsUseAnotherEmail));
    }
    let now_iso = to_iso(ctx.now);
    let text = |k: &str| data.get(k).and_then(Value::as_str).map(str::to_string);
    let user = User {
        id: random::alphanumeric(32)?,
        name: ctx.input.exact_text("name").unwrap_or_default(),
        email,
        email_verified: data
            .get("emailVerified")
            .and_then(Value::as_bool)
            .unwrap_or(false),
        image: text("image"),
        created_at: now_iso.clone(),
        updated_at: now_iso.clone(),
        role: Some(roles.map_or_else(|| ctx.config.admin.default_role.clone(), |r| r.join(","))),
        banned: data.get("banned").and_then(Value::as_bool).unwrap_or(false),
        ban_reason: text("banReason"),
        ban_expires: text("banExpires"),
    };
    let mut batch = vec![users::insert(&user)];
    if user.ban_reason.is_some() || user.ban_expires.is_some() {
        batch.push(store::ban_details(&user));
    }
    if let Some(password) = password {
        let hash = password::hash(ctx.drivers.kdf.as_ref(), &password)?;
        batch.push(accounts::insert_credential(
            &random::alphanumeric(32)?,
            &user.id,
            &hash,
            &now_iso,
        ));
    }
    batch.extend(sync::record(ctx, &user.id, SyncChange::Upsert)?);
    match ctx.drivers.sql.batch(batch).await {
        Ok(_) => {}
        Err(StorageError::Conflict(_)) => {
            ctx.synced_users.clear();
            return Err(ApiError::new(400, Code::UserAlreadyExistsUseAnotherEmail));
        }
        Err(e) => return Err(e.into()),
    }
    let user = target(ctx, &user.id).await?;
    Ok(Reply::json(json!({ "user": user })))
}

/// Changes the given fields of a user, each behind its own permission; a ban ends the user's
/// sessions in the same batch. Answers the bare user, as better-auth does.
pub async fn update_user(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    let session = admin(ctx, "user", "update", Code::NotAllowedToUpdateUsers)?;
    let id = user_id(ctx)?;
    let mut data = match ctx.input.raw("data") {
        Some(Value::Object(map)) => map.clone(),
        _ => serde_json::Map::new(),
    };
    if data.is_empty() {
        return Err(ApiError::new(400, Code::NoDataToUpdate));
    }
    if data.contains_key("password") {
        return Err(ApiError::new(
            400,
            Code::PasswordCannotBeUpdatedViaUpdateUser,
        ));
    }
    if data.contains_key("id") {
        return Err(ApiError::new(400, Code::UserIdCannotBeUpdated));
    }
    if let Some(unknown) = data
        .keys()
        .find(|k| !store::UPDATABLE.contains(&k.as_str()))
    {
        return Err(ApiError::validation(format!(
            "[body.data.{unknown}] Unknown user field"
        )));
    }
    let config = ctx.config;
    if let Some(role) = data.get("role") {
        permissions::require(
            config,
            &session.user,
            "user",
            "set-role",
            Code::NotAllowedToChangeUsersRole,
        )?;
        let roles = match role {
            Value::String(r) => vec![r.clone()],
            Value::Array(items) if items.iter().all(Value::is_string) => items
                .iter()
                .filter_map(|r| r.as_str().map(str::to_string))
                .collect(),
            _ => return Err(ApiError::new(400, Code::InvalidRoleType)),
        };
        data.insert("role".into(), Value::String(roles.join(",")));
    }
    let bans = ["banned", "banReason", "banExpires"];
    if bans.iter().any(|k| data.contains_key(*k)) {
        permissions::require(
            config,
            &session.user,
            "user",
            "ban",
            Code::NotAllowedToBanUsers,
        )?;
        if data.get("banned") == Some(&Value::Bool(true)) && id == session.user.id {
            return Err(ApiError::new(400, Code::YouCannotBanYourself));
        }
    }
    if data.contains_key("email") || data.contains_key("emailVerified") {
        permissions::require(
            config,
            &session.user,
            "user",
            "set-email",
            Code::NotAllowedToSetUsersEmail,
        )?;
    }
    let typed = |k: &str, fits: fn(&Value) -> bool| data.get(k).is_none_or(fits);
    let fits = typed("name", Value::is_string)
        && typed("image", |v| v.is_string() || v.is_null())
        && typed("email", Value::is_string)
        && typed("emailVerified", Value::is_boolean)
        && typed("banned", Value::is_boolean)
        && typed("banReason", |v| v.is_string() || v.is_null())
        && typed("banExpires", |v| {
            v.is_null() || v.as_str().and_then(crate::time::parse_iso).is_some()
        });
    if !fits {
        return Err(ApiError::validation(
            "[body.data] Invalid input: a field has the wrong type",
        ));
    }
    target(ctx, &id).await?;
    if let Some(email) = data
        .get("email")
        .and_then(Value::as_str)
        .map(str::to_lowercase)
    {
        if !is_valid_email(&email) {
            return Err(ApiError::new(400, Code::InvalidEmail));
        }
        let taken = users::find_by_email(ctx.drivers.sql.as_ref(), &email).await?;
        if taken.is_some_and(|u| u.id != id) {
            return Err(ApiError::new(400, Code::UserAlreadyExistsUseAnotherEmail));
        }
        data.insert("email".into(), Value::String(email));
    }
    let values = store::UPDATABLE.map(|k| data.get(k).cloned());
    let mut batch = vec![store::update(&id, values, &to_iso(ctx.now))];
    batch.extend(sync::record(ctx, &id, SyncChange::Upsert)?);
    let banning = data.get("banned") == Some(&Value::Bool(true));
    let deleting = banning.then_some(batch.len());
    if banning {
        batch.push(session_table::delete_for_user(&id));
    }
    match ctx.sessions().run_revoking(batch, deleting).await {
        Ok(_) => {}
        Err(StorageError::Conflict(_)) => {
            return Err(ApiError::new(400, Code::UserAlreadyExistsUseAnotherEmail))
        }
        Err(e) => return Err(e.into()),
    }
    let user = target(ctx, &id).await?;
    ctx.sessions().refresh_cached_user(&user, ctx.now).await?;
    Ok(Reply::json(user))
}

/// better-auth's user listing: search, filter, sort and a page, with the total under the same
/// conditions, read in one batch.
pub async fn list_users(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    admin(ctx, "user", "list", Code::NotAllowedToListUsers)?;
    let text = |k: &str| ctx.query(k).map(str::to_string);
    let query = listing::Query {
        search_value: text("searchValue"),
        search_field: text("searchField"),
        search_operator: text("searchOperator"),
        filter_field: text("filterField"),
        filter_values: ctx
            .input
            .query_pairs()
            .iter()
            .filter(|(k, _)| k == "filterValue")
            .map(|(_, v)| v.clone())
            .collect(),
        filter_operator: text("filterOperator"),
        sort_by: text("sortBy"),
        sort_direction: text("sortDirection"),
        limit: text("limit"),
        offset: text("offset"),
    };
    let planned = listing::plan(&query)?;
    let done = ctx
        .drivers
        .sql
        .run_batch(vec![planned.page, planned.total])
        .await?;
    let rows = |i: usize| done.get(i).map(|d| d.rows.clone()).unwrap_or_default();
    let users: Vec<User> = rows(0)
        .into_iter()
        .map(|row| serde_json::from_value(Value::Object(row)))
        .collect::<Result<_, _>>()
        .map_err(|e| StorageError::Decode(e.to_string()))?;
    let total = rows(1)
        .first()
        .and_then(|r| r.get("total"))
        .and_then(Value::as_f64)
        .unwrap_or(0.0) as i64;
    let mut answer = json!({ "users": users, "total": total });
    if let Some(limit) = planned.limit {
        answer["limit"] = json!(limit);
    }
    if let Some(offset) = planned.offset {
        answer["offset"] = json!(offset);
    }
    Ok(Reply::json(answer))
}

/// The cookie that keeps the admin's own session while they impersonate someone.
const ADMIN_SESSION: &str = "admin_session";

/// Signs the admin in as the user, in a session of its own (`impersonatedBy`, an hour by
/// default, cookie for the browser session only); the admin's session waits in a signed cookie.
pub async fn impersonate_user(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    let session = admin(
        ctx,
        "user",
        "impersonate",
        Code::NotAllowedToImpersonateUsers,
    )?;
    let id = user_id(ctx)?;
    let user = target(ctx, &id).await?;
    let config = ctx.config;
    let target_roles = user.role.as_deref().unwrap_or(&config.admin.default_role);
    let target_is_admin = target_roles
        .split(',')
        .any(|r| config.admin.admin_roles.iter().any(|a| a == r.trim()))
        || config.admin.user_ids.contains(&user.id);
    if target_is_admin {
        permissions::require(
            config,
            &session.user,
            "user",
            "impersonate-admins",
            Code::YouCannotImpersonateAdmins,
        )?;
    }
    let sessions = ctx.sessions();
    let mut impersonation =
        sessions.new_session(&user.id, false, ctx.client_ip(), ctx.user_agent(), ctx.now)?;
    impersonation.record.impersonated_by = Some(session.user.id.clone());
    impersonation.record.expires_at =
        to_iso(ctx.now + config.admin.impersonation_session_duration * SECOND);
    sessions.store(&impersonation, &user, ctx.now).await?;
    let dont_remember = if ctx.has_dont_remember() { "true" } else { "" };
    ctx.set_signed_cookie(ADMIN_SESSION, &format!("{}:{dont_remember}", session.token));
    ctx.set_session_cookie(&impersonation.token, false);
    Ok(Reply::json(json!({
        "session": sessions::json(&impersonation.record, &impersonation.token),
        "user": user,
    })))
}

/// Ends the impersonation session and gives the admin their own session back.
pub async fn stop_impersonating(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    let session = ctx.signed_in()?;
    let Some(admin_id) = session.record.impersonated_by.clone() else {
        return Err(ApiError::message_only(
            400,
            "You are not impersonating anyone",
        ));
    };
    let lost = || ApiError::message_only(500, "Failed to find admin session");
    let kept = ctx.signed_cookie(ADMIN_SESSION).ok_or_else(lost)?;
    let (admin_token, dont_remember) = kept.split_once(':').unwrap_or((kept.as_str(), ""));
    let admin_session = ctx
        .sessions()
        .find(admin_token, Source::Durable, ctx.now)
        .await?
        .filter(|s| s.user.id == admin_id)
        .ok_or_else(lost)?;
    ctx.sessions()
        .revoke_digests(std::slice::from_ref(&session.record.token_digest))
        .await?;
    ctx.set_session_cookie(&admin_session.token, dont_remember.is_empty());
    ctx.expire_cookie(ADMIN_SESSION);
    Ok(Reply::json(json!({
        "session": sessions::json(&admin_session.record, &admin_session.token),
        "user": admin_session.user,
    })))
}

pub async fn get_user(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    admin(ctx, "user", "get", Code::NotAllowedToGetUser)?;
    let id = ctx.query("id").unwrap_or_default().to_string();
    let user = target(ctx, &id).await?;
    Ok(Reply::json(user))
}

/// Bans the user and ends every session of theirs, D1 and KV, in the ban's own batch.
pub async fn ban_user(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    let session = admin(ctx, "user", "ban", Code::NotAllowedToBanUsers)?;
    let id = user_id(ctx)?;
    if id == session.user.id {
        return Err(ApiError::new(400, Code::YouCannotBanYourself));
    }
    target(ctx, &id).await?;
    let reason = ctx
        .input
        .text("banReason")
        .unwrap_or_else(|| "No reason".into());
    let seconds = ctx
        .input
        .number("banExpiresIn")
        .map(|s| s as i64)
        .or(ctx.config.admin.default_ban_expires_in);
    let expires = seconds.map(|s| to_iso(ctx.now + s * SECOND));
    let now_iso = to_iso(ctx.now);
    let mut batch = vec![store::ban(&id, &reason, expires.as_deref(), &now_iso)];
    batch.extend(sync::record(ctx, &id, SyncChange::Upsert)?);
    let deleting = batch.len();
    batch.push(session_table::delete_for_user(&id));
    ctx.sessions().run_revoking(batch, Some(deleting)).await?;
    let user = target(ctx, &id).await?;
    Ok(Reply::json(json!({ "user": user })))
}

pub async fn unban_user(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    admin(ctx, "user", "ban", Code::NotAllowedToBanUsers)?;
    let id = user_id(ctx)?;
    target(ctx, &id).await?;
    let change = users::lift_ban(&id, &to_iso(ctx.now));
    change_and_answer(ctx, &id, change).await
}

/// The user's live sessions; each `token` is the handle `revoke-user-session` takes (tokens are
/// stored only as digests).
pub async fn list_user_sessions(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    admin(ctx, "session", "list", Code::NotAllowedToListUsersSessions)?;
    let id = user_id(ctx)?;
    let list: Vec<Value> = ctx
        .sessions()
        .list(&id, ctx.now)
        .await?
        .iter()
        .map(|r| sessions::json(r, &r.token_digest))
        .collect();
    Ok(Reply::json(json!({ "sessions": list })))
}

pub async fn revoke_user_session(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    admin(
        ctx,
        "session",
        "revoke",
        Code::NotAllowedToRevokeUsersSessions,
    )?;
    let handle = ctx
        .input
        .exact_text("sessionToken")
        .ok_or_else(ApiError::internal)?;
    ctx.sessions()
        .revoke_digests(&[sessions::handle_digest(&handle)])
        .await?;
    Ok(Reply::json(json!({ "success": true })))
}

pub async fn revoke_user_sessions(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    admin(
        ctx,
        "session",
        "revoke",
        Code::NotAllowedToRevokeUsersSessions,
    )?;
    let id = user_id(ctx)?;
    ctx.sessions().revoke_all(&id, None).await?;
    Ok(Reply::json(json!({ "success": true })))
}

/// Removes the user with its accounts and sessions, and tells the sync, in one batch.
pub async fn remove_user(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    let session = admin(ctx, "user", "delete", Code::NotAllowedToDeleteUsers)?;
    let id = user_id(ctx)?;
    if id == session.user.id {
        return Err(ApiError::new(400, Code::YouCannotRemoveYourself));
    }
    target(ctx, &id).await?;
    let mut batch = sync::record(ctx, &id, SyncChange::Delete)?;
    let deleting = batch.len();
    batch.push(session_table::delete_for_user(&id));
    batch.extend(users::delete(&id));
    ctx.sessions().run_revoking(batch, Some(deleting)).await?;
    Ok(Reply::json(json!({ "success": true })))
}

/// Sets the user's password (creating their credential account if they had none); reset links
/// sent before stop working.
pub async fn set_user_password(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    admin(
        ctx,
        "user",
        "set-password",
        Code::NotAllowedToSetUsersPassword,
    )?;
    let id = user_id(ctx)?;
    let new_password = ctx
        .input
        .exact_text("newPassword")
        .ok_or_else(ApiError::internal)?;
    check_new_password(ctx.config, &new_password)?;
    target(ctx, &id).await?;
    let sql = ctx.drivers.sql.as_ref();
    let hash = password::hash(ctx.drivers.kdf.as_ref(), &new_password)?;
    let now_iso = to_iso(ctx.now);
    let write = match accounts::credential_for_user(sql, &id).await? {
        Some(account) => accounts::set_password(&account.id, &hash, &now_iso),
        None => accounts::insert_credential(&random::alphanumeric(32)?, &id, &hash, &now_iso),
    };
    sql.batch(vec![write, one_time::revoke_all(Kind::ResetPassword, &id)])
        .await?;
    Ok(Reply::json(json!({ "status": true })))
}

/// Whether the signed-in user holds the permissions asked (better-auth checks the session's user
/// over HTTP, whatever `userId` or `role` the body names).
pub async fn has_permission_endpoint(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    let asked = ctx
        .input
        .raw("permissions")
        .or_else(|| ctx.input.raw("permission"))
        .cloned();
    let Some(asked) = asked else {
        return Err(ApiError::message_only(
            400,
            "invalid permission check. no permission(s) were passed.",
        ));
    };
    let session = ctx.signed_in()?;
    let requested = parse_requested(&asked).unwrap_or_default();
    let granted = has_permission(
        ctx.config,
        &session.user.id,
        session.user.role.as_deref(),
        &requested,
    );
    Ok(Reply::json(json!({ "error": null, "success": granted })))
}
