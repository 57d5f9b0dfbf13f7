//! Storage: the small `Sql` and `Kv` driver traits and the repositories written once on top of
//! them. D1 and Workers KV implement the traits in production; rusqlite (with the same
//! migrations) and an in-memory map implement them for native tests.

pub mod accounts;
pub mod counters;
pub mod dates;
pub mod memory_kv;
pub mod migrations;
pub mod users;

use async_trait::async_trait;
use serde::de::DeserializeOwned;
use thiserror::Error;

#[derive(Debug, Error)]
pub enum StorageError {
    /// A UNIQUE or other constraint refused the write.
    #[error("constraint violated: {0}")]
    Conflict(String),
    /// The binding could not be reached (outage, misconfiguration).
    #[error("storage unavailable: {0}")]
    Unavailable(String),
    #[error("storage query failed: {0}")]
    Query(String),
    #[error("unexpected row shape: {0}")]
    Decode(String),
}

impl StorageError {
    /// What an error message from the database binding (D1) means: a constraint that refused the
    /// write, or the database failing us (overloaded, reset, unreachable, a missing table after a
    /// forgotten migration), which answers 503 and never guesses.
    pub fn from_binding_message(message: String) -> StorageError {
        if message.contains("constraint failed") || message.contains("SQLITE_CONSTRAINT") {
            StorageError::Conflict(message)
        } else {
            StorageError::Unavailable(message)
        }
    }
}

/// A bound SQL parameter. Every value reaches the database as a parameter, never as SQL text.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Integer(i64),
    Text(String),
}

impl From<&str> for Value {
    fn from(s: &str) -> Value {
        Value::Text(s.to_string())
    }
}
impl From<String> for Value {
    fn from(s: String) -> Value {
        Value::Text(s)
    }
}
impl From<&String> for Value {
    fn from(s: &String) -> Value {
        Value::Text(s.clone())
    }
}
impl From<i64> for Value {
    fn from(n: i64) -> Value {
        Value::Integer(n)
    }
}
impl From<bool> for Value {
    fn from(b: bool) -> Value {
        Value::Integer(b as i64)
    }
}
impl<T: Into<Value>> From<Option<T>> for Value {
    fn from(v: Option<T>) -> Value {
        v.map_or(Value::Null, Into::into)
    }
}

/// SQL text and its parameters. The text is only ever made of `&'static str` pieces written in
/// this crate: what a request says reaches the database as a parameter, never as SQL.
#[derive(Debug, Clone)]
pub struct Statement {
    pub sql: std::borrow::Cow<'static, str>,
    pub params: Vec<Value>,
}

impl Statement {
    pub fn new(sql: &'static str, params: Vec<Value>) -> Statement {
        Statement {
            sql: sql.into(),
            params,
        }
    }

    /// A statement joined from fixed pieces, chosen from allow-lists (such as a column to sort by).
    pub fn composed(pieces: &[&'static str], params: Vec<Value>) -> Statement {
        Statement {
            sql: pieces.concat().into(),
            params,
        }
    }
}

/// The parameters of an update that sets only the columns given, written as
/// `"column" = case when ?flag then ?value else "column" end`: the row's id, a (given, value) pair
/// per column in the statement's order, then `updatedAt`.
pub fn optional_sets(
    id: &str,
    values: impl IntoIterator<Item = Option<Value>>,
    now_iso: &str,
) -> Vec<Value> {
    let mut params: Vec<Value> = vec![id.into()];
    for value in values {
        params.push(value.is_some().into());
        params.push(value.unwrap_or(Value::Null));
    }
    params.push(now_iso.into());
    params
}

/// A result row: column name to JSON value (text, number or null).
pub type Row = serde_json::Map<String, serde_json::Value>;

/// What one statement of a batch did: the rows it changed, and the rows it returned (`returning`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Executed {
    pub changes: u64,
    pub rows: Vec<Row>,
}

#[async_trait(?Send)]
pub trait Sql {
    async fn query(&self, stmt: Statement) -> Result<Vec<Row>, StorageError>;
    /// Runs one statement and returns the number of rows it changed.
    async fn execute(&self, stmt: Statement) -> Result<u64, StorageError>;
    /// Runs the statements as one transaction: all of them or none. Returns what each did.
    async fn run_batch(&self, stmts: Vec<Statement>) -> Result<Vec<Executed>, StorageError>;

    /// [`Sql::run_batch`] when only the change counts matter.
    async fn batch(&self, stmts: Vec<Statement>) -> Result<Vec<u64>, StorageError> {
        Ok(self
            .run_batch(stmts)
            .await?
            .into_iter()
            .map(|e| e.changes)
            .collect())
    }
}

/// The text values of `column` in the rows a statement returned.
pub fn returned_text(executed: Option<&Executed>, column: &str) -> Vec<String> {
    executed
        .map(|e| {
            e.rows
                .iter()
                .filter_map(|r| r.get(column).and_then(|v| v.as_str()).map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

/// An eventually consistent key-value cache with expiry.
#[async_trait(?Send)]
pub trait Kv {
    async fn get(&self, key: &str) -> Result<Option<String>, StorageError>;
    /// Stores `value` for `ttl_seconds` (callers pass at least 60, Workers KV's minimum).
    async fn put(&self, key: &str, value: &str, ttl_seconds: u64) -> Result<(), StorageError>;
    async fn delete(&self, key: &str) -> Result<(), StorageError>;
}

/// Minimum TTL Workers KV accepts.
pub const KV_MIN_TTL_SECONDS: u64 = 60;

pub async fn query_one<T: DeserializeOwned>(
    sql: &dyn Sql,
    stmt: Statement,
) -> Result<Option<T>, StorageError> {
    match sql.query(stmt).await?.into_iter().next() {
        Some(row) => decode(row).map(Some),
        None => Ok(None),
    }
}

pub async fn query_all<T: DeserializeOwned>(
    sql: &dyn Sql,
    stmt: Statement,
) -> Result<Vec<T>, StorageError> {
    sql.query(stmt).await?.into_iter().map(decode).collect()
}

fn decode<T: DeserializeOwned>(row: Row) -> Result<T, StorageError> {
    serde_json::from_value(serde_json::Value::Object(row))
        .map_err(|e| StorageError::Decode(e.to_string()))
}

/// An integer column that may be null; D1 may hand integers over as floats.
pub(crate) fn whole_number<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<Option<i64>, D::Error> {
    use serde::Deserialize;
    Ok(match serde_json::Value::deserialize(d)? {
        serde_json::Value::Number(n) => n.as_i64().or_else(|| n.as_f64().map(|f| f as i64)),
        serde_json::Value::String(s) => s.parse().ok(),
        _ => None,
    })
}

/// SQLite booleans are 0/1 integers; D1 may hand them over as floats.
pub(crate) fn bool_from_int<'de, D: serde::Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
    use serde::Deserialize;
    match serde_json::Value::deserialize(d)? {
        serde_json::Value::Bool(b) => Ok(b),
        serde_json::Value::Number(n) => Ok(n.as_f64().unwrap_or(0.0) != 0.0),
        serde_json::Value::String(s) => Ok(s == "1" || s == "true"),
        _ => Ok(false),
    }
}
