//! Dates read back as canonical ISO-8601 text, whether stored as ISO text (Kysely) or as epoch
//! milliseconds (Drizzle's `timestamp_ms`).

use crate::time::{parse_iso, to_iso};
use serde::{Deserialize, Deserializer};

pub fn iso<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    match serde_json::Value::deserialize(d)? {
        serde_json::Value::String(s) => Ok(parse_iso(&s).map(to_iso).unwrap_or(s)),
        serde_json::Value::Number(n) => Ok(to_iso(n.as_f64().unwrap_or(0.0) as i64)),
        other => Err(serde::de::Error::custom(format!(
            "expected a date, got {other}"
        ))),
    }
}

pub fn iso_opt<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    match serde_json::Value::deserialize(d)? {
        serde_json::Value::Null => Ok(None),
        other => iso(other).map(Some).map_err(serde::de::Error::custom),
    }
}
