//! The checked inputs of a request: its body and query validated against the endpoint's declared
//! fields, answering better-auth's `VALIDATION_ERROR` messages (`[body.email] …`) with every
//! problem at once, and the typed reads handlers make afterwards.

use super::catalogue::{Body, Field, Kind};
use crate::error::ApiError;
use crate::kernel::formats::{is_valid_email, is_valid_name};
use serde_json::{Map, Value};

/// The body and query of a request, checked.
#[derive(Debug, Default)]
pub struct Input {
    body: Map<String, Value>,
    query: Vec<(String, String)>,
}

fn type_name(v: Option<&Value>) -> &'static str {
    match v {
        None => "undefined",
        Some(Value::Null) => "null",
        Some(Value::Bool(_)) => "boolean",
        Some(Value::Number(_)) => "number",
        Some(Value::String(_)) => "string",
        Some(Value::Array(_)) => "array",
        Some(Value::Object(_)) => "object",
    }
}

fn expected(kind: Kind) -> &'static str {
    match kind {
        Kind::Boolean => "boolean",
        Kind::Object => "object",
        Kind::Number => "number",
        Kind::StringList => "string | string[]",
        Kind::Any => "any",
        _ => "string",
    }
}

/// The problem with one value, if any; form booleans (`"true"`, `"false"`) become booleans.
fn check_value(field: &Field, value: Option<&mut Value>) -> Option<String> {
    let value = match value {
        None if field.required => {
            return Some(format!(
                "Invalid input: expected {}, received undefined",
                expected(field.kind)
            ))
        }
        None => return None,
        Some(Value::Null) if field.nullable => return None,
        Some(v) => v,
    };
    if field.kind == Kind::Any {
        return None;
    }
    if field.kind == Kind::Boolean {
        let flag = match value {
            Value::Bool(b) => *b,
            Value::String(s) if s == "true" => true,
            Value::String(s) if s == "false" => false,
            other => {
                return Some(format!(
                    "Invalid input: expected boolean, received {}",
                    type_name(Some(other))
                ))
            }
        };
        *value = Value::Bool(flag);
        return None;
    }
    if field.kind == Kind::Number {
        return (!value.is_number()).then(|| {
            format!(
                "Invalid input: expected number, received {}",
                type_name(Some(value))
            )
        });
    }
    if field.kind == Kind::StringList {
        let fits = match value {
            Value::String(_) => true,
            Value::Array(items) => items.iter().all(Value::is_string),
            _ => false,
        };
        return (!fits).then(|| {
            format!(
                "Invalid input: expected string | string[], received {}",
                type_name(Some(value))
            )
        });
    }
    if field.kind == Kind::Object {
        return (!value.is_object()).then(|| {
            format!(
                "Invalid input: expected object, received {}",
                type_name(Some(value))
            )
        });
    }
    let Value::String(text) = value else {
        return Some(format!(
            "Invalid input: expected string, received {}",
            type_name(Some(value))
        ));
    };
    let chars = text.chars().count();
    if let Some(min) = field.min_chars.filter(|min| chars < *min) {
        return Some(format!(
            "Too small: expected string to have >={min} characters"
        ));
    }
    if let Some(max) = field.max_chars.filter(|max| chars > *max) {
        return Some(format!(
            "Too big: expected string to have <={max} characters"
        ));
    }
    match field.kind {
        Kind::Email if !is_valid_email(text) => Some("Invalid email address".into()),
        Kind::Name if !is_valid_name(text) => Some(
            "Invalid input: names are at most 256 characters, without control characters".into(),
        ),
        _ => None,
    }
}

/// Checks `body` (the parsed request body, `None` when empty) and `query` against the
/// declaration.
pub fn check(
    declared: Body,
    query_fields: &[Field],
    body: Option<Value>,
    query: Vec<(String, String)>,
) -> Result<Input, ApiError> {
    let mut issues = Vec::new();
    let mut map = match (declared, body) {
        (Body::None, _) => Map::new(),
        (Body::Object(_) | Body::Record(_), Some(Value::Object(map)))
        | (Body::OptionalObject(_), Some(Value::Object(map))) => map,
        (Body::OptionalObject(_), None) => Map::new(),
        (declared, other) => {
            let kind = if matches!(declared, Body::Record(_)) {
                "record"
            } else {
                "object"
            };
            return Err(ApiError::validation(format!(
                "[body] Invalid input: expected {kind}, received {}",
                type_name(other.as_ref())
            )));
        }
    };
    for field in declared.fields() {
        if let Some(problem) = check_value(field, map.get_mut(field.name)) {
            issues.push(format!("[body.{}] {problem}", field.name));
        }
    }
    for field in query_fields {
        let mut value = query
            .iter()
            .find(|(k, _)| k == field.name)
            .map(|(_, v)| Value::String(v.clone()));
        if let Some(problem) = check_value(field, value.as_mut()) {
            issues.push(format!("[query.{}] {problem}", field.name));
        }
    }
    if !issues.is_empty() {
        return Err(ApiError::validation(issues.join("; ")));
    }
    Ok(Input { body: map, query })
}

impl Input {
    /// A body field as given (for fields a feature refuses outright, such as `email` in
    /// `update-user`).
    pub fn raw(&self, name: &str) -> Option<&Value> {
        self.body.get(name)
    }

    /// A checked string field; empty strings read as absent.
    pub fn text(&self, name: &str) -> Option<String> {
        match self.body.get(name) {
            Some(Value::String(s)) if !s.is_empty() => Some(s.clone()),
            _ => None,
        }
    }

    /// An address field, lowercased: 400 `INVALID_EMAIL` when it is not one (for fields declared as
    /// plain strings, whose refusal is better-auth's code rather than a validation message).
    pub fn email(&self, name: &str) -> Result<String, ApiError> {
        let email = self.exact_text(name).unwrap_or_default().to_lowercase();
        if !is_valid_email(&email) {
            return Err(ApiError::new(400, crate::error::Code::InvalidEmail));
        }
        Ok(email)
    }

    /// A checked string field, empty or not.
    pub fn exact_text(&self, name: &str) -> Option<String> {
        match self.body.get(name) {
            Some(Value::String(s)) => Some(s.clone()),
            _ => None,
        }
    }

    /// `Some(None)` when a nullable field is an explicit `null`.
    pub fn nullable_text(&self, name: &str) -> Option<Option<String>> {
        match self.body.get(name) {
            Some(Value::Null) => Some(None),
            Some(Value::String(s)) => Some(Some(s.clone())),
            _ => None,
        }
    }

    pub fn number(&self, name: &str) -> Option<f64> {
        self.body.get(name).and_then(Value::as_f64)
    }

    /// A string-or-list field as its strings.
    pub fn strings(&self, name: &str) -> Option<Vec<String>> {
        match self.body.get(name)? {
            Value::String(s) => Some(vec![s.clone()]),
            Value::Array(items) => Some(
                items
                    .iter()
                    .filter_map(|v| v.as_str().map(str::to_string))
                    .collect(),
            ),
            _ => None,
        }
    }

    pub fn flag(&self, name: &str) -> Option<bool> {
        self.body.get(name).and_then(Value::as_bool)
    }

    /// A query parameter, percent-decoded.
    pub fn query(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// The body as checked, for the redirect-target checks.
    pub fn body(&self) -> &Map<String, Value> {
        &self.body
    }

    pub fn query_pairs(&self) -> &[(String, String)] {
        &self.query
    }
}
