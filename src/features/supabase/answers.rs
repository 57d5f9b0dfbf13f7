//! Supabase Auth's answers: its error body (`{code, message}` for API version 2024-01-01, with
//! `error_code` and `msg` for older clients), its error codes for what the shared flows refuse in
//! better-auth's terms, the version header, and CORS for the headers supabase-js sends.

use crate::config::Config;
use crate::error::{ApiError, ErrorBody};
use crate::kernel::cors;
use crate::kernel::request::Request;
use crate::kernel::response::{json_response, Response};
use http::header::HeaderValue;
use serde_json::{json, Value};

pub const API_VERSION_HEADER: &str = "x-supabase-api-version";
pub const API_VERSION: &str = "2024-01-01";
const ALLOWED_METHODS: &str = "GET, POST, PUT, DELETE, OPTIONS";
const ALLOWED_HEADERS: &str =
    "apikey, authorization, content-type, x-client-info, x-supabase-api-version";
const EXPOSED_HEADERS: &str = "x-supabase-api-version, x-sb-error-code, retry-after";

/// An error with Supabase's code and message.
pub fn error(status: u16, code: &'static str, message: impl Into<String>) -> ApiError {
    ApiError {
        status,
        body: Some(ErrorBody {
            code: Some(code),
            message: message.into(),
            details: None,
        }),
        cause: None,
    }
}

pub fn validation(message: impl Into<String>) -> ApiError {
    error(400, "validation_failed", message)
}

/// better-auth's refusals from the shared flows, in Supabase's codes and statuses.
pub fn translate(err: ApiError) -> ApiError {
    let Some(body) = &err.body else {
        return match err.status {
            404 => error(404, "not_found", "Not Found"),
            s if s >= 500 => error(s, "unexpected_failure", "Unexpected failure"),
            s => error(s, "unknown", "Request failed"),
        };
    };
    let message = body.message.clone();
    let translated = match (err.status, body.code.unwrap_or_default()) {
        (_, "INVALID_EMAIL_OR_PASSWORD") => {
            error(400, "invalid_credentials", "Invalid login credentials")
        }
        (_, "EMAIL_NOT_VERIFIED") => error(400, "email_not_confirmed", "Email not confirmed"),
        (_, "BANNED_USER") => error(400, "user_banned", "User is banned"),
        (_, "USER_ALREADY_EXISTS_USE_ANOTHER_EMAIL" | "USER_ALREADY_EXISTS") => {
            error(422, "user_already_exists", "User already registered")
        }
        (_, "PASSWORD_TOO_SHORT") => {
            let mut weak = error(422, "weak_password", "Password is too short.");
            if let Some(b) = weak.body.as_mut() {
                b.details = Some(Box::new(json!({"weak_password": {"reasons": ["length"]}})));
            }
            weak
        }
        (_, "PASSWORD_TOO_LONG") => validation("Password cannot be longer than the maximum length"),
        (_, "INVALID_EMAIL") => validation("Unable to validate email address: invalid format"),
        (_, "VALIDATION_ERROR") => validation(message),
        (_, "BAD_REQUEST" | "UNSUPPORTED_MEDIA_TYPE") => {
            error(400, "bad_json", "Could not parse request body as JSON")
        }
        (_, "PAYLOAD_TOO_LARGE") => error(413, "request_too_large", message),
        (_, "REQUEST_HEADER_FIELDS_TOO_LARGE") => error(431, "request_too_large", message),
        (_, "UNAUTHORIZED") => error(
            401,
            "no_authorization",
            "This endpoint requires a valid Bearer token",
        ),
        (_, "INVALID_ORIGIN" | "INVALID_CALLBACK_URL" | "INVALID_REDIRECT_URL") => {
            validation("The redirect URL is not allowed")
        }
        (_, "INVALID_OTP" | "OTP_EXPIRED" | "TOO_MANY_ATTEMPTS") => {
            error(403, "otp_expired", "Token has expired or is invalid")
        }
        (
            _,
            "INVALID_TOKEN"
            | "ID_TOKEN_NOT_SUPPORTED"
            | "FAILED_TO_GET_USER_INFO"
            | "USER_EMAIL_NOT_FOUND",
        ) => validation(format!("Bad ID token: {message}")),
        (_, "SOCIAL_ACCOUNT_ALREADY_LINKED") => error(
            422,
            "identity_already_exists",
            "Identity is already linked to another user",
        ),
        (_, "PROVIDER_NOT_FOUND") => validation("Unsupported provider: provider is not enabled"),
        (s, _) if s >= 500 => error(s, "unexpected_failure", message),
        // Supabase's own codes, and better-auth's that have no counterpart, as they are.
        _ => return err,
    };
    ApiError {
        cause: err.cause,
        ..translated
    }
}

/// The error body: the 2024-01-01 form (`code`, `message`) with the older fields beside it.
pub fn error_response(err: &ApiError) -> Response {
    let (code, message, details) = match &err.body {
        Some(b) => (
            b.code.unwrap_or("unknown"),
            b.message.clone(),
            b.details.as_deref(),
        ),
        None => ("unknown", String::new(), None),
    };
    let mut body = json!({"code": code, "error_code": code, "msg": message, "message": message});
    if let (Some(Value::Object(extra)), Value::Object(map)) = (details, &mut body) {
        map.extend(extra.clone());
    }
    let mut res = json_response(err.status, &body);
    if let Ok(v) = HeaderValue::from_str(code) {
        res.headers_mut().insert("x-sb-error-code", v);
    }
    res
}

/// What every answer carries: the API version, and CORS for a trusted origin.
pub fn finish(res: &mut Response, config: &Config, req: &Request) {
    let h = res.headers_mut();
    h.insert(API_VERSION_HEADER, HeaderValue::from_static(API_VERSION));
    if let Some(origin) = cors::trusted_request_origin(config, req) {
        if let Ok(v) = HeaderValue::from_str(&origin) {
            h.insert("access-control-allow-origin", v);
        }
        h.insert(
            "access-control-expose-headers",
            HeaderValue::from_static(EXPOSED_HEADERS),
        );
    }
    cors::vary_on_origin(res);
}

/// The answer to a CORS preflight: 204 for a trusted origin, 403 otherwise.
pub fn preflight(config: &Config, req: &Request) -> Response {
    let mut res = match cors::trusted_request_origin(config, req) {
        Some(origin) => {
            let mut res = crate::kernel::response::empty(204);
            let h = res.headers_mut();
            for (name, value) in [
                ("access-control-allow-origin", origin.as_str()),
                ("access-control-allow-methods", ALLOWED_METHODS),
                ("access-control-allow-headers", ALLOWED_HEADERS),
                ("access-control-max-age", "600"),
            ] {
                if let Ok(v) = HeaderValue::from_str(value) {
                    h.insert(name, v);
                }
            }
            res
        }
        None => error_response(&error(403, "invalid_origin", "Origin not allowed")),
    };
    cors::vary_on_origin(&mut res);
    res
}
