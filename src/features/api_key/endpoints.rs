//! `/api-key/*`: a signed-in user makes, reads, changes, lists and deletes their own keys; an
//! admin may also set what better-auth keeps for its server (quotas, refills, rate limits,
//! permissions) and make keys for other users; anyone holding a key may verify it.

use super::access::{self, Used};
use super::key;
use super::store::{self, NewKey, StoredKey};
use crate::config::{is_key_prefix, parse_grants};
use crate::crypto::random;
use crate::error::{ApiError, Code};
use crate::features::admin::permissions;
use crate::kernel::context::Ctx;
use crate::kernel::response::Reply;
use crate::session::{ActiveSession, Source};
use crate::storage::users;
use crate::storage::Value as Bound;
use crate::time::{to_iso, SECOND};
use serde_json::{json, Value};

/// better-auth's bounds on names and prefixes (characters) and on `expiresIn` (days).
const NAME_CHARS: std::ops::RangeInclusive<usize> = 1..=32;
const PREFIX_CHARS: std::ops::RangeInclusive<usize> = 1..=32;
const EXPIRES_IN_DAYS: std::ops::RangeInclusive<i64> = 1..=365;

/// Fields better-auth lets only its server set (an admin here).
const SERVER_ONLY: &[&str] = &[
    "refillAmount",
    "refillInterval",
    "rateLimitMax",
    "rateLimitTimeWindow",
    "rateLimitEnabled",
    "permissions",
];

/// A whole number field of at least `min` (`None` when absent or null).
fn whole(ctx: &Ctx<'_>, name: &str, min: i64) -> Result<Option<i64>, ApiError> {
    let Some(n) = ctx.input.number(name) else {
        return Ok(None);
    };
    if n.fract() != 0.0 || n.abs() > 9_007_199_254_740_991.0 {
        return Err(ApiError::validation(format!(
            "[body.{name}] Invalid input: expected a whole number"
        )));
    }
    if (n as i64) < min {
        return Err(ApiError::validation(format!(
            "[body.{name}] Too small: expected number to be >={min}"
        )));
    }
    Ok(Some(n as i64))
}

fn given(ctx: &Ctx<'_>, name: &str) -> bool {
    ctx.input.raw(name).is_some()
}

/// The session of a create or update: better-auth answers `UNAUTHORIZED_SESSION` without one.
async fn caller(ctx: &Ctx<'_>) -> Result<ActiveSession, ApiError> {
    ctx.session(Source::Durable)
        .await?
        .ok_or_else(|| ApiError::new(401, Code::UnauthorizedSession))
}

fn check_name(name: &str) -> Result<(), ApiError> {
    match NAME_CHARS.contains(&name.chars().count()) {
        true => Ok(()),
        false => Err(ApiError::new(400, Code::InvalidNameLength)),
    }
}

/// `expiresIn` (seconds) as an expiry, within better-auth's bounds.
fn expiry(ctx: &Ctx<'_>, seconds: i64) -> Result<String, ApiError> {
    let days = seconds as f64 / 86_400.0;
    if days < *EXPIRES_IN_DAYS.start() as f64 {
        return Err(ApiError::new(400, Code::ExpiresInIsTooSmall));
    }
    if days > *EXPIRES_IN_DAYS.end() as f64 {
        return Err(ApiError::new(400, Code::ExpiresInIsTooLarge));
    }
    Ok(to_iso(ctx.now + seconds * SECOND))
}

/// `metadata` as the JSON text to store: an object, and only where metadata is enabled.
fn metadata_text(ctx: &Ctx<'_>) -> Result<Option<String>, ApiError> {
    let metadata = match ctx.input.raw("metadata") {
        None | Some(Value::Null) | Some(Value::Bool(false)) => return Ok(None),
        Some(Value::String(s)) if s.is_empty() => return Ok(None),
        Some(Value::Number(n)) if n.as_f64() == Some(0.0) => return Ok(None),
        Some(m) => m,
    };
    if !ctx.config.api_keys.metadata_enabled {
        return Err(ApiError::new(400, Code::MetadataDisabled));
    }
    if !(metadata.is_object() || metadata.is_array()) {
        return Err(ApiError::new(400, Code::InvalidMetadataType));
    }
    Ok(Some(metadata.to_string()))
}

/// `permissions` as the JSON text to store (`{resource: [action, …]}`).
fn permissions_text(ctx: &Ctx<'_>) -> Result<Option<String>, ApiError> {
    match ctx.input.raw("permissions") {
        None | Some(Value::Null) => Ok(None),
        Some(value) => match parse_grants(value) {
            Some(_) => Ok(Some(value.to_string())),
            None => Err(ApiError::validation(
                "[body.permissions] Invalid input: expected record of string arrays",
            )),
        },
    }
}

/// Refill settings come in pairs.
fn check_refill(amount: Option<i64>, interval: Option<i64>) -> Result<(), ApiError> {
    match (amount, interval) {
        (Some(_), None) => Err(ApiError::new(400, Code::RefillAmountAndIntervalRequired)),
        (None, Some(_)) => Err(ApiError::new(400, Code::RefillIntervalAndAmountRequired)),
        _ => Ok(()),
    }
}

/// The key `keyId` names, when the caller may see it (theirs, or an admin's pick by `userId`).
async fn owned_key(ctx: &Ctx<'_>, id: &str, owner: &str) -> Result<StoredKey, ApiError> {
    store::find_by_id(ctx.drivers.sql.as_ref(), id)
        .await?
        .filter(|k| k.reference_id == owner)
        .ok_or_else(|| ApiError::new(404, Code::KeyNotFound))
}

pub async fn create(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    let remaining = whole(ctx, "remaining", 0)?;
    let refill_amount = whole(ctx, "refillAmount", 1)?;
    let refill_interval = whole(ctx, "refillInterval", 1)?;
    let rate_limit_window = whole(ctx, "rateLimitTimeWindow", 1)?;
    let rate_limit_max = whole(ctx, "rateLimitMax", 1)?;
    let expires_in = whole(ctx, "expiresIn", 1)?;
    let prefix = ctx.input.text("prefix");
    if prefix.as_deref().is_some_and(|p| !is_key_prefix(p)) {
        return Err(ApiError::validation(
            "[body.prefix] Invalid prefix format, must be alphanumeric and contain only underscores and hyphens.",
        ));
    }
    let session = ctx.session(Source::Durable).await?;
    let server = session
        .as_ref()
        .is_some_and(|s| permissions::is_admin(ctx.config, &s.user));
    if !server && (SERVER_ONLY.iter().any(|f| given(ctx, f)) || remaining.is_some()) {
        return Err(ApiError::new(400, Code::ServerOnlyProperty));
    }
    let Some(session) = session else {
        return Err(ApiError::new(401, Code::UnauthorizedSession));
    };
    let owner = match ctx.input.exact_text("userId") {
        Some(id) if id != session.user.id => {
            if !server {
                return Err(ApiError::new(401, Code::UnauthorizedSession));
            }
            users::find_by_id(ctx.drivers.sql.as_ref(), &id)
                .await?
                .ok_or_else(|| ApiError::new(404, Code::UserNotFound))?
                .id
        }
        _ => session.user.id.clone(),
    };
    let metadata = metadata_text(ctx)?;
    check_refill(refill_amount, refill_interval)?;
    let config = &ctx.config.api_keys;
    let expires_at = match expires_in {
        Some(seconds) => Some(expiry(ctx, seconds)?),
        None => config
            .default_expires_in
            .map(|s| to_iso(ctx.now + s * SECOND)),
    };
    if prefix
        .as_deref()
        .is_some_and(|p| !PREFIX_CHARS.contains(&p.chars().count()))
    {
        return Err(ApiError::new(400, Code::InvalidPrefixLength));
    }
    let name = ctx.input.text("name");
    match name.as_deref() {
        Some(name) => check_name(name)?,
        None if config.require_name => return Err(ApiError::new(400, Code::NameRequired)),
        None => {}
    }
    let prefix = prefix.or_else(|| config.default_prefix.clone());
    let presented = key::generate(prefix.as_deref(), config.length)?;
    let permissions = match permissions_text(ctx)? {
        Some(text) => Some(text),
        None => config
            .default_permissions
            .as_ref()
            .map(|grants| grants_json(grants).to_string()),
    };
    let id = random::alphanumeric(32)?;
    let now_iso = to_iso(ctx.now);
    let digest = key::digest(&presented);
    let start = key::start(&presented);
    let new_key = NewKey {
        id: &id,
        name: name.as_deref(),
        start: &start,
        reference_id: &owner,
        prefix: prefix.as_deref(),
        digest: &digest,
        refill_interval,
        refill_amount,
        rate_limit_enabled: ctx
            .input
            .flag("rateLimitEnabled")
            .unwrap_or(config.rate_limit_enabled),
        rate_limit_time_window: rate_limit_window.unwrap_or(config.rate_limit_window * SECOND),
        rate_limit_max: rate_limit_max.unwrap_or(config.rate_limit_max),
        remaining,
        expires_at,
        now_iso: &now_iso,
        permissions,
        metadata,
    };
    ctx.drivers.sql.execute(store::insert(&new_key)).await?;
    let stored = owned_key(ctx, &id, &owner).await?;
    let mut answer = stored.json();
    answer["key"] = Value::String(presented);
    Ok(Reply::json(answer))
}

fn grants_json(grants: &crate::config::Grants) -> Value {
    Value::Object(
        grants
            .iter()
            .map(|(resource, actions)| (resource.clone(), json!(actions)))
            .collect(),
    )
}

pub async fn get(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    let session = ctx.signed_in()?;
    let id = ctx.query("id").unwrap_or_default().to_string();
    let key = owned_key(ctx, &id, &session.user.id).await?;
    Ok(Reply::json(key.json()))
}

pub async fn update(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    let remaining = whole(ctx, "remaining", 1)?;
    let refill_amount = whole(ctx, "refillAmount", 1)?;
    let refill_interval = whole(ctx, "refillInterval", 1)?;
    let rate_limit_window = whole(ctx, "rateLimitTimeWindow", 1)?;
    let rate_limit_max = whole(ctx, "rateLimitMax", 1)?;
    let expires_in = whole(ctx, "expiresIn", 1)?;
    let session = caller(ctx).await?;
    let server = permissions::is_admin(ctx.config, &session.user);
    let owner = match ctx.input.exact_text("userId") {
        Some(id) if id != session.user.id && !server => {
            return Err(ApiError::new(401, Code::UnauthorizedSession))
        }
        Some(id) => id,
        None => session.user.id.clone(),
    };
    if !server && (SERVER_ONLY.iter().any(|f| given(ctx, f)) || given(ctx, "remaining")) {
        return Err(ApiError::new(400, Code::ServerOnlyProperty));
    }
    let key_id = ctx.input.exact_text("keyId").unwrap_or_default();
    let key = owned_key(ctx, &key_id, &owner).await?;

    let mut values: [Option<Bound>; 11] = Default::default();
    if let Some(name) = ctx.input.exact_text("name") {
        check_name(&name)?;
        values[0] = Some(name.into());
    }
    if let Some(enabled) = ctx.input.flag("enabled") {
        values[1] = Some(enabled.into());
    }
    if given(ctx, "expiresIn") {
        values[2] = Some(match expires_in {
            Some(seconds) => expiry(ctx, seconds)?.into(),
            None => Bound::Null,
        });
    }
    if ctx.config.api_keys.metadata_enabled && given(ctx, "metadata") {
        match ctx.input.raw("metadata") {
            Some(m) if m.is_object() || m.is_array() => values[3] = Some(m.to_string().into()),
            _ => return Err(ApiError::new(400, Code::InvalidMetadataType)),
        }
    }
    values[4] = remaining.map(Into::into);
    if refill_amount.is_some() || refill_interval.is_some() {
        check_refill(refill_amount, refill_interval)?;
        values[5] = refill_amount.map(Into::into);
        values[6] = refill_interval.map(Into::into);
    }
    values[7] = ctx.input.flag("rateLimitEnabled").map(Into::into);
    values[8] = rate_limit_window.map(Into::into);
    values[9] = rate_limit_max.map(Into::into);
    if given(ctx, "permissions") {
        values[10] = Some(permissions_text(ctx)?.into());
    }
    if values.iter().all(Option::is_none) {
        return Err(ApiError::new(400, Code::NoValuesToUpdate));
    }
    let sql = ctx.drivers.sql.as_ref();
    sql.execute(store::update(&key.id, values, &to_iso(ctx.now)))
        .await?;
    let updated = owned_key(ctx, &key.id, &owner).await?;
    Ok(Reply::json(updated.json()))
}

pub async fn delete(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    let session = ctx.signed_in()?;
    let key_id = ctx.input.exact_text("keyId").unwrap_or_default();
    let key = owned_key(ctx, &key_id, &session.user.id).await?;
    ctx.drivers.sql.execute(store::delete(&key.id)).await?;
    Ok(Reply::json(json!({ "success": true })))
}

/// A whole number from the query, at least 0 (an empty value counts as none).
fn query_count(ctx: &Ctx<'_>, name: &str) -> Result<Option<i64>, ApiError> {
    match ctx.query(name).filter(|v| !v.is_empty()) {
        None => Ok(None),
        Some(text) => match text.trim().parse::<i64>() {
            Ok(n) if n >= 0 => Ok(Some(n)),
            _ => Err(ApiError::validation(format!(
                "[query.{name}] Invalid input: expected a whole number of at least 0"
            ))),
        },
    }
}

pub async fn list(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    let session = ctx.signed_in()?;
    if ctx.query("organizationId").is_some() {
        return Err(ApiError::validation(
            "[query.organizationId] Organization-owned keys are not supported",
        ));
    }
    let limit = query_count(ctx, "limit")?;
    let offset = query_count(ctx, "offset")?;
    let sort_column = match ctx.query("sortBy").filter(|v| !v.is_empty()) {
        None => r#""createdAt""#,
        Some(field) => store::SORTABLE
            .iter()
            .find(|(name, _)| *name == field)
            .map(|(_, column)| *column)
            .ok_or_else(|| {
                ApiError::validation(format!("[query.sortBy] {field:?} is not a key field"))
            })?,
    };
    let descending = match ctx.query("sortDirection") {
        None | Some("asc") | Some("") => false,
        Some("desc") => true,
        Some(_) => {
            return Err(ApiError::validation(
                r#"[query.sortDirection] Invalid option: expected one of "asc"|"desc""#,
            ))
        }
    };
    let (keys, total) = store::list(
        ctx.drivers.sql.as_ref(),
        &session.user.id,
        sort_column,
        descending,
        limit,
        offset.unwrap_or(0),
    )
    .await?;
    let mut answer = json!({
        "apiKeys": keys.iter().map(StoredKey::json).collect::<Vec<_>>(),
        "total": total,
    });
    if let Some(limit) = limit {
        answer["limit"] = json!(limit);
    }
    if let Some(offset) = offset {
        answer["offset"] = json!(offset);
    }
    Ok(Reply::json(answer))
}

/// better-auth's server-side `verifyApiKey` over HTTP: counts a use, and always answers 200 with
/// `valid` and the refusal's `{message, code}`.
pub async fn verify(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    let presented = ctx.input.exact_text("key").unwrap_or_default();
    let requested = match ctx.input.raw("permissions") {
        None | Some(Value::Null) => None,
        Some(value) => Some(parse_grants(value).ok_or_else(|| {
            ApiError::validation(
                "[body.permissions] Invalid input: expected record of string arrays",
            )
        })?),
    };
    match access::use_key(
        ctx.config,
        ctx.drivers,
        &presented,
        requested.as_ref(),
        ctx.now,
    )
    .await
    {
        Ok(Used { key, .. }) => Ok(Reply::json(json!({
            "valid": true,
            "error": null,
            "key": key.json(),
        }))),
        Err(refusal) if refusal.status < 500 => {
            let body = refusal.body.as_ref();
            let mut error = json!({
                "message": body.map(|b| b.message.clone()),
                "code": body.and_then(|b| b.code),
            });
            if let Some(details) = body.and_then(|b| b.details.as_deref()) {
                error["details"] = details.clone();
            }
            Ok(Reply::json(
                json!({ "valid": false, "error": error, "key": null }),
            ))
        }
        Err(failure) => Err(failure),
    }
}
