//! Building HTTP answers: JSON replies, better-auth error bodies and empty responses.

use crate::error::ApiError;
use http::header::{HeaderValue, CONTENT_TYPE};
use serde::Serialize;
use serde_json::Value;

pub type Response = http::Response<Vec<u8>>;

/// What a route handler answers on success.
pub struct Reply {
    pub status: u16,
    pub body: Value,
    pub headers: Vec<(&'static str, String)>,
}

impl Reply {
    pub fn json(body: impl Serialize) -> Reply {
        Reply {
            status: 200,
            body: serde_json::to_value(body).unwrap_or(Value::Null),
            headers: Vec::new(),
        }
    }

    /// The literal `null` better-auth answers for "no session".
    pub fn null() -> Reply {
        Reply {
            status: 200,
            body: Value::Null,
            headers: Vec::new(),
        }
    }

    pub fn header(mut self, name: &'static str, value: impl Into<String>) -> Reply {
        self.headers.push((name, value.into()));
        self
    }

    pub fn into_response(self) -> Response {
        let mut res = json_response(self.status, &self.body);
        for (name, value) in self.headers {
            if let Ok(v) = HeaderValue::from_str(&value) {
                res.headers_mut().append(name, v);
            }
        }
        res
    }
}

pub fn json_response(status: u16, body: &impl Serialize) -> Response {
    let bytes = serde_json::to_vec(body).unwrap_or_else(|_| b"null".to_vec());
    with_status(status, bytes, true)
}

pub fn empty(status: u16) -> Response {
    with_status(status, Vec::new(), false)
}

pub fn error_response(err: &ApiError) -> Response {
    match &err.body {
        Some(body) => {
            let mut map = serde_json::Map::new();
            map.insert("message".into(), Value::String(body.message.clone()));
            if let Some(code) = body.code {
                map.insert("code".into(), Value::String(code.into()));
            }
            json_response(err.status, &Value::Object(map))
        }
        None => empty(err.status),
    }
}

fn with_status(status: u16, body: Vec<u8>, json: bool) -> Response {
    let mut res = http::Response::new(body);
    *res.status_mut() =
        http::StatusCode::from_u16(status).unwrap_or(http::StatusCode::INTERNAL_SERVER_ERROR);
    if json {
        res.headers_mut()
            .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    }
    res
}
