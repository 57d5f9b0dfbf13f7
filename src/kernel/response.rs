//! Building HTTP answers: JSON replies, better-auth error bodies and empty responses.

use crate::error::ApiError;
use http::header::{HeaderValue, CONTENT_TYPE};
use serde::Serialize;
use serde_json::Value;

pub type Response = http::Response<Vec<u8>>;

/// The body of a successful answer.
pub enum Payload {
    Json(Value),
    Html(String),
    Empty,
}

/// What a route handler answers on success.
pub struct Reply {
    pub status: u16,
    pub payload: Payload,
    pub headers: Vec<(&'static str, String)>,
}

impl Reply {
    pub fn json(body: impl Serialize) -> Reply {
        Reply {
            status: 200,
            payload: Payload::Json(serde_json::to_value(body).unwrap_or(Value::Null)),
            headers: Vec::new(),
        }
    }

    /// The literal `null` better-auth answers for "no session".
    pub fn null() -> Reply {
        Reply::json(Value::Null)
    }

    /// A `302 Found` to `location`, with no body.
    pub fn redirect(location: impl Into<String>) -> Reply {
        Reply {
            status: 302,
            payload: Payload::Empty,
            headers: vec![("location", location.into())],
        }
    }

    pub fn html(page: String) -> Reply {
        Reply {
            status: 200,
            payload: Payload::Html(page),
            headers: Vec::new(),
        }
    }

    pub fn header(mut self, name: &'static str, value: impl Into<String>) -> Reply {
        self.headers.push((name, value.into()));
        self
    }

    pub fn into_response(self) -> Response {
        let mut res = match self.payload {
            Payload::Json(body) => json_response(self.status, &body),
            Payload::Html(page) => {
                let mut res = with_status(self.status, page.into_bytes(), false);
                res.headers_mut().insert(
                    CONTENT_TYPE,
                    HeaderValue::from_static("text/html; charset=utf-8"),
                );
                res
            }
            Payload::Empty => empty(self.status),
        };
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
            if let Some(details) = &body.details {
                map.insert("details".into(), (**details).clone());
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
