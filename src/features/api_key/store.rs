//! The `apikey` table, as better-auth's api-key plugin reads and writes it: booleans as 0/1,
//! dates as ISO text (epoch milliseconds from other adapters read as well), permissions and
//! metadata as JSON text.

use super::usage::{Claimed, Usage};
use crate::storage::users::{self, User};
use crate::storage::{dates, query_all, query_one, Row, Sql, Statement, StorageError, Value};
use crate::time::{parse_iso, to_iso, Millis};
use serde::{Deserialize, Deserializer};
use serde_json::json;

/// A key as stored. `digest` is the `key` column: the digest, never the key.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StoredKey {
    pub id: String,
    #[serde(default)]
    pub config_id: Option<String>,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub start: Option<String>,
    pub reference_id: String,
    #[serde(default)]
    pub prefix: Option<String>,
    #[serde(rename = "key")]
    pub digest: String,
    #[serde(default, deserialize_with = "crate::storage::whole_number")]
    pub refill_interval: Option<i64>,
    #[serde(default, deserialize_with = "crate::storage::whole_number")]
    pub refill_amount: Option<i64>,
    #[serde(default, deserialize_with = "dates::iso_opt")]
    pub last_refill_at: Option<String>,
    #[serde(default, deserialize_with = "flag")]
    pub enabled: Option<bool>,
    #[serde(default, deserialize_with = "flag")]
    pub rate_limit_enabled: Option<bool>,
    #[serde(default, deserialize_with = "crate::storage::whole_number")]
    pub rate_limit_time_window: Option<i64>,
    #[serde(default, deserialize_with = "crate::storage::whole_number")]
    pub rate_limit_max: Option<i64>,
    #[serde(default, deserialize_with = "crate::storage::whole_number")]
    pub request_count: Option<i64>,
    #[serde(default, deserialize_with = "crate::storage::whole_number")]
    pub remaining: Option<i64>,
    #[serde(default, deserialize_with = "dates::iso_opt")]
    pub last_request: Option<String>,
    #[serde(default, deserialize_with = "dates::iso_opt")]
    pub expires_at: Option<String>,
    #[serde(deserialize_with = "dates::iso")]
    pub created_at: String,
    #[serde(deserialize_with = "dates::iso")]
    pub updated_at: String,
    #[serde(default)]
    pub permissions: Option<String>,
    #[serde(default)]
    pub metadata: Option<String>,
    /// The counters exactly as stored, which a use must find unchanged to count.
    #[serde(skip)]
    pub read_counters: Vec<Value>,
}

/// A boolean column that may be null (better-auth's default then applies).
fn flag<'de, D: Deserializer<'de>>(d: D) -> Result<Option<bool>, D::Error> {
    Ok(match serde_json::Value::deserialize(d)? {
        serde_json::Value::Bool(b) => Some(b),
        serde_json::Value::Number(n) => Some(n.as_f64().unwrap_or(0.0) != 0.0),
        serde_json::Value::String(s) => Some(s == "1" || s == "true"),
        _ => None,
    })
}

/// JSON text as a value; better-auth once stored metadata stringified twice, which reads as the
/// object it meant.
fn parse_json_text(text: Option<&str>) -> serde_json::Value {
    match text.and_then(|t| serde_json::from_str(t).ok()) {
        Some(serde_json::Value::String(inner)) => {
            serde_json::from_str(&inner).unwrap_or(serde_json::Value::String(inner))
        }
        Some(value) => value,
        None => serde_json::Value::Null,
    }
}

/// The counters compared by a use, in [`claim`]'s binding order.
const COUNTERS: [&str; 4] = ["remaining", "requestCount", "lastRequest", "lastRefillAt"];

fn raw(row: &Row, column: &str) -> Value {
    match row.get(column) {
        Some(serde_json::Value::String(s)) => Value::Text(s.clone()),
        Some(serde_json::Value::Number(n)) => Value::Integer(
            n.as_i64()
                .unwrap_or_else(|| n.as_f64().unwrap_or(0.0) as i64),
        ),
        Some(serde_json::Value::Bool(b)) => Value::Integer(i64::from(*b)),
        _ => Value::Null,
    }
}

fn decode(row: Row) -> Result<StoredKey, StorageError> {
    let read_counters = COUNTERS.iter().map(|c| raw(&row, c)).collect();
    let mut key: StoredKey = serde_json::from_value(serde_json::Value::Object(row))
        .map_err(|e| StorageError::Decode(e.to_string()))?;
    key.read_counters = read_counters;
    Ok(key)
}

impl StoredKey {
    /// Whether the key's time is over at `now`.
    pub fn is_expired(&self, now: Millis) -> bool {
        self.expires_at
            .as_deref()
            .and_then(parse_iso)
            .is_some_and(|at| now > at)
    }

    pub fn usage(&self) -> Usage {
        let time = |t: &Option<String>| t.as_deref().and_then(parse_iso);
        Usage {
            remaining: self.remaining,
            refill_amount: self.refill_amount,
            refill_interval: self.refill_interval,
            last_refill_at: time(&self.last_refill_at),
            created_at: parse_iso(&self.created_at).unwrap_or(0),
            rate_limit_enabled: self.rate_limit_enabled != Some(false),
            rate_limit_window: self.rate_limit_time_window,
            rate_limit_max: self.rate_limit_max,
            request_count: self.request_count.unwrap_or(0),
            last_request: time(&self.last_request),
        }
    }

    pub fn permissions(&self) -> serde_json::Value {
        parse_json_text(self.permissions.as_deref())
    }

    /// better-auth's API key JSON, without the digest.
    pub fn json(&self) -> serde_json::Value {
        json!({
            "id": self.id,
            "configId": self.config_id.as_deref().unwrap_or("default"),
            "name": self.name,
            "start": self.start,
            "prefix": self.prefix,
            "referenceId": self.reference_id,
            "refillInterval": self.refill_interval,
            "refillAmount": self.refill_amount,
            "lastRefillAt": self.last_refill_at,
            "enabled": self.enabled != Some(false),
            "rateLimitEnabled": self.rate_limit_enabled != Some(false),
            "rateLimitTimeWindow": self.rate_limit_time_window,
            "rateLimitMax": self.rate_limit_max,
            "requestCount": self.request_count.unwrap_or(0),
            "remaining": self.remaining,
            "lastRequest": self.last_request,
            "expiresAt": self.expires_at,
            "createdAt": self.created_at,
            "updatedAt": self.updated_at,
            "permissions": self.permissions(),
            "metadata": parse_json_text(self.metadata.as_deref()),
        })
    }
}

/// The columns a [`StoredKey`] is read from.
macro_rules! key_columns {
    () => {
        r#""id", "configId", "name", "start", "referenceId", "prefix", "key", "refillInterval", "refillAmount", "lastRefillAt", "enabled", "rateLimitEnabled", "rateLimitTimeWindow", "rateLimitMax", "requestCount", "remaining", "lastRequest", "expiresAt", "createdAt", "updatedAt", "permissions", "metadata""#
    };
}

const SELECT: &str = concat!("select ", key_columns!(), r#" from "apikey" "#);

async fn find(
    sql: &dyn Sql,
    condition: &'static str,
    value: &str,
) -> Result<Option<StoredKey>, StorageError> {
    let row: Option<Row> = query_one(
        sql,
        Statement::composed(&[SELECT, condition], vec![value.into()]),
    )
    .await?;
    row.map(decode).transpose()
}

/// The key with this digest and its owner, read in one D1 call.
pub async fn find_with_owner(
    sql: &dyn Sql,
    digest: &str,
) -> Result<(Option<StoredKey>, Option<User>), StorageError> {
    let done = sql
        .run_batch(vec![
            Statement::composed(&[SELECT, r#"where "key" = ?1"#], vec![digest.into()]),
            Statement::composed(
                &[
                    "select ",
                    users::COLUMNS,
                    r#" from "user" where "id" = (select "referenceId" from "apikey" where "key" = ?1 limit 1)"#,
                ],
                vec![digest.into()],
            ),
        ])
        .await?;
    let mut rows = done.into_iter().map(|d| d.rows.into_iter().next());
    let key = rows.next().flatten().map(decode).transpose()?;
    let owner = rows
        .next()
        .flatten()
        .map(|row| {
            serde_json::from_value(serde_json::Value::Object(row))
                .map_err(|e| StorageError::Decode(e.to_string()))
        })
        .transpose()?;
    Ok((key, owner))
}

pub async fn find_by_id(sql: &dyn Sql, id: &str) -> Result<Option<StoredKey>, StorageError> {
    find(sql, r#"where "id" = ?1"#, id).await
}

/// The columns `list` may sort on.
pub const SORTABLE: &[(&str, &str)] = &[
    ("id", r#""id""#),
    ("configId", r#""configId""#),
    ("name", r#""name""#),
    ("start", r#""start""#),
    ("prefix", r#""prefix""#),
    ("referenceId", r#""referenceId""#),
    ("refillInterval", r#""refillInterval""#),
    ("refillAmount", r#""refillAmount""#),
    ("lastRefillAt", r#""lastRefillAt""#),
    ("enabled", r#""enabled""#),
    ("rateLimitEnabled", r#""rateLimitEnabled""#),
    ("rateLimitTimeWindow", r#""rateLimitTimeWindow""#),
    ("rateLimitMax", r#""rateLimitMax""#),
    ("requestCount", r#""requestCount""#),
    ("remaining", r#""remaining""#),
    ("lastRequest", r#""lastRequest""#),
    ("expiresAt", r#""expiresAt""#),
    ("createdAt", r#""createdAt""#),
    ("updatedAt", r#""updatedAt""#),
];

/// A page of the owner's keys, sorted by an allow-listed column, and how many they have.
pub async fn list(
    sql: &dyn Sql,
    owner: &str,
    sort_column: &'static str,
    descending: bool,
    limit: Option<i64>,
    offset: i64,
) -> Result<(Vec<StoredKey>, i64), StorageError> {
    let direction = if descending { " desc" } else { " asc" };
    let page = Statement::composed(
        &[
            SELECT,
            r#"where "referenceId" = ?1 order by "#,
            sort_column,
            direction,
            r#", "id" limit ?2 offset ?3"#,
        ],
        vec![owner.into(), limit.unwrap_or(-1).into(), offset.into()],
    );
    let rows: Vec<Row> = query_all(sql, page).await?;
    let keys = rows
        .into_iter()
        .map(decode)
        .collect::<Result<Vec<_>, _>>()?;
    let total: Option<Row> = query_one(
        sql,
        Statement::new(
            r#"select count(*) as "total" from "apikey" where "referenceId" = ?1"#,
            vec![owner.into()],
        ),
    )
    .await?;
    let total = total
        .and_then(|r| r.get("total").and_then(|v| v.as_f64()))
        .unwrap_or(0.0) as i64;
    Ok((keys, total))
}

/// A key about to be stored: every column better-auth writes.
pub struct NewKey<'a> {
    pub id: &'a str,
    pub name: Option<&'a str>,
    pub start: &'a str,
    pub reference_id: &'a str,
    pub prefix: Option<&'a str>,
    pub digest: &'a str,
    pub refill_interval: Option<i64>,
    pub refill_amount: Option<i64>,
    pub rate_limit_enabled: bool,
    pub rate_limit_time_window: i64,
    pub rate_limit_max: i64,
    pub remaining: Option<i64>,
    pub expires_at: Option<String>,
    pub now_iso: &'a str,
    pub permissions: Option<String>,
    pub metadata: Option<String>,
}

pub fn insert(key: &NewKey<'_>) -> Statement {
    Statement::new(
        r#"insert into "apikey" ("id", "configId", "name", "start", "referenceId", "prefix", "key", "refillInterval", "refillAmount", "lastRefillAt", "enabled", "rateLimitEnabled", "rateLimitTimeWindow", "rateLimitMax", "requestCount", "remaining", "lastRequest", "expiresAt", "createdAt", "updatedAt", "permissions", "metadata")
           values (?1, 'default', ?2, ?3, ?4, ?5, ?6, ?7, ?8, null, 1, ?9, ?10, ?11, 0, ?12, null, ?13, ?14, ?14, ?15, ?16)"#,
        vec![
            key.id.into(),
            key.name.into(),
            key.start.into(),
            key.reference_id.into(),
            key.prefix.into(),
            key.digest.into(),
            key.refill_interval.into(),
            key.refill_amount.into(),
            key.rate_limit_enabled.into(),
            key.rate_limit_time_window.into(),
            key.rate_limit_max.into(),
            key.remaining.into(),
            key.expires_at.clone().into(),
            key.now_iso.into(),
            key.permissions.clone().into(),
            key.metadata.clone().into(),
        ],
    )
}

/// A field `update` may set, in the order [`update`] binds them.
pub const UPDATABLE: [&str; 11] = [
    "name",
    "enabled",
    "expiresAt",
    "metadata",
    "remaining",
    "refillAmount",
    "refillInterval",
    "rateLimitEnabled",
    "rateLimitTimeWindow",
    "rateLimitMax",
    "permissions",
];

/// Sets the given fields (`Some`: to this value, `None`: left alone), in [`UPDATABLE`] order.
pub fn update(id: &str, values: [Option<Value>; 11], now_iso: &str) -> Statement {
    let params = crate::storage::optional_sets(id, values, now_iso);
    Statement::new(
        r#"update "apikey" set
            "name" = case when ?2 then ?3 else "name" end,
            "enabled" = case when ?4 then ?5 else "enabled" end,
            "expiresAt" = case when ?6 then ?7 else "expiresAt" end,
            "metadata" = case when ?8 then ?9 else "metadata" end,
            "remaining" = case when ?10 then ?11 else "remaining" end,
            "refillAmount" = case when ?12 then ?13 else "refillAmount" end,
            "refillInterval" = case when ?14 then ?15 else "refillInterval" end,
            "rateLimitEnabled" = case when ?16 then ?17 else "rateLimitEnabled" end,
            "rateLimitTimeWindow" = case when ?18 then ?19 else "rateLimitTimeWindow" end,
            "rateLimitMax" = case when ?20 then ?21 else "rateLimitMax" end,
            "permissions" = case when ?22 then ?23 else "permissions" end,
            "updatedAt" = ?24
          where "id" = ?1"#,
        params,
    )
}

/// Writes a use's counters if the row still holds the counters `key` was read with, and returns
/// the row as written: of two uses racing on one key, one counts and the other reads again.
pub async fn claim(
    sql: &dyn Sql,
    key: &StoredKey,
    claimed: &Claimed,
    now: Millis,
) -> Result<Option<StoredKey>, StorageError> {
    let done = sql
        .run_batch(vec![claim_statement(key, claimed, now)])
        .await?;
    done.into_iter()
        .next()
        .and_then(|d| d.rows.into_iter().next())
        .map(decode)
        .transpose()
}

fn claim_statement(key: &StoredKey, claimed: &Claimed, now: Millis) -> Statement {
    let iso = |t: Option<Millis>| t.map(to_iso);
    let mut params: Vec<Value> = vec![
        key.id.as_str().into(),
        claimed.remaining.into(),
        claimed.request_count.into(),
        iso(claimed.last_request).into(),
        iso(claimed.last_refill_at).into(),
        to_iso(now).into(),
    ];
    params.extend(key.read_counters.iter().cloned());
    Statement::new(
        concat!(
            r#"update "apikey" set "remaining" = ?2, "requestCount" = ?3, "lastRequest" = ?4, "lastRefillAt" = ?5, "updatedAt" = ?6
               where "id" = ?1 and "remaining" is ?7 and "requestCount" is ?8 and "lastRequest" is ?9 and "lastRefillAt" is ?10
               returning "#,
            key_columns!()
        ),
        params,
    )
}

pub fn delete(id: &str) -> Statement {
    Statement::new(r#"delete from "apikey" where "id" = ?1"#, vec![id.into()])
}

/// Keys whose time is over (better-auth deletes them as it meets them; the cron sweeps the rest).
pub fn delete_expired(now_iso: &str) -> Statement {
    Statement::new(
        r#"delete from "apikey" where "expiresAt" is not null and "expiresAt" < ?1"#,
        vec![now_iso.into()],
    )
}
