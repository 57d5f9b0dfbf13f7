//! Managing users: create, list, get, update, roles, password and removal.

use super::{admin, change_and_answer, target, user_id};
use crate::crypto::{password, random};
use crate::error::{ApiError, Code};
use crate::features::admin::listing;
use crate::features::admin::permissions;
use crate::features::admin::store;
use crate::features::email_password::credentials::{check_new_password, check_not_too_long};
use crate::features::sync::{self, SyncChange};
use crate::features::verification::one_time;
use crate::kernel::context::Ctx;
use crate::kernel::formats::is_valid_email;
use crate::kernel::response::Reply;
use crate::mail::Kind;
use crate::session::store as session_table;
use crate::storage::accounts;
use crate::storage::users::{self, User};
use crate::storage::StorageError;
use crate::time::to_iso;
use serde_json::{json, Value};
/// The body's `data` object (empty when absent).
fn user_data(ctx: &Ctx<'_>) -> serde_json::Map<String, Value> {
    match ctx.input.raw("data") {
        Some(Value::Object(map)) => map.clone(),
        _ => serde_json::Map::new(),
    }
}

/// A field portcullis does not store is refused, not dropped.
fn refuse_unknown(data: &serde_json::Map<String, Value>, known: &[&str]) -> Result<(), ApiError> {
    match data.keys().find(|k| !known.contains(&k.as_str())) {
        Some(unknown) => Err(ApiError::validation(format!(
            "[body.data.{unknown}] Unknown user field"
        ))),
        None => Ok(()),
    }
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
    let data = user_data(ctx);
    refuse_unknown(&data, CREATE_DATA)?;
    let bad_expiry = data
        .get("banExpires")
        .is_some_and(|v| v.as_str().and_then(crate::time::parse_iso).is_none());
    if bad_expiry {
        return Err(ApiError::validation(
            "[body.data.banExpires] Invalid input: expected an ISO date",
        ));
    }
    let roles = ctx.input.strings("role");
    if let Some(roles) = &roles {
        permissions::require(
            ctx.config,
            &session,
            "user",
            "set-role",
            Code::NotAllowedToChangeUsersRole,
        )?;
        permissions::require_known_roles(ctx.config, roles)?;
    }
    if ["banned", "banReason", "banExpires"]
        .iter()
        .any(|k| data.contains_key(*k))
    {
        permissions::require(
            ctx.config,
            &session,
            "user",
            "ban",
            Code::NotAllowedToBanUsers,
        )?;
    }
    let email = ctx.input.email("email")?;
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
        two_factor_enabled: false,
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
    let mut data = user_data(ctx);
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
    refuse_unknown(&data, &store::UPDATABLE)?;
    let config = ctx.config;
    if let Some(role) = data.get("role") {
        permissions::require(
            config,
            &session,
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
        permissions::require_known_roles(config, &roles)?;
        data.insert("role".into(), Value::String(roles.join(",")));
    }
    let bans = ["banned", "banReason", "banExpires"];
    if bans.iter().any(|k| data.contains_key(*k)) {
        permissions::require(config, &session, "user", "ban", Code::NotAllowedToBanUsers)?;
        if data.get("banned") == Some(&Value::Bool(true)) && id == session.user.id {
            return Err(ApiError::new(400, Code::YouCannotBanYourself));
        }
    }
    if data.contains_key("email") || data.contains_key("emailVerified") {
        permissions::require(
            config,
            &session,
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
    match ctx.sessions().run_revoking(&id, batch, deleting).await {
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

pub async fn get_user(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    admin(ctx, "user", "get", Code::NotAllowedToGetUser)?;
    let id = ctx.query("id").unwrap_or_default().to_string();
    let user = target(ctx, &id).await?;
    Ok(Reply::json(user))
}

pub async fn set_role(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    admin(ctx, "user", "set-role", Code::NotAllowedToChangeUsersRole)?;
    let id = user_id(ctx)?;
    let roles = ctx.input.strings("role").unwrap_or_default();
    permissions::require_known_roles(ctx.config, &roles)?;
    target(ctx, &id).await?;
    let role = roles.join(",");
    let change = store::set_role(&id, &role, &to_iso(ctx.now));
    change_and_answer(ctx, &id, change).await
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
    ctx.sessions()
        .run_revoking(&id, batch, Some(deleting))
        .await?;
    Ok(Reply::json(json!({ "success": true })))
}
