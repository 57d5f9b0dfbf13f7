//! `worker::Request` ⇄ `http::Request<Vec<u8>>` and `http::Response<Vec<u8>>` ⇄ `worker::Response`.
//! Hand-written and fallible: a malformed header from a client is a 400, never a panic.

use crate::error::{ApiError, Code};
use crate::kernel::request::{read_capped, too_large};
use crate::kernel::response::{error_response, Response as HttpResponse};
use http::{HeaderName, HeaderValue};
use worker::{Headers, Request, Response};

/// Converts a request: oversized header sections are refused before the body is touched, and
/// bodies over `max_body` by their `Content-Length`, or, without one, as soon as the bytes read
/// pass the cap (a chunked upload is never buffered whole).
pub async fn to_http(
    mut req: Request,
    max_body: usize,
) -> Result<http::Request<Vec<u8>>, HttpResponse> {
    let bad =
        |message: &str| error_response(&ApiError::with_message(400, Code::BadRequest, message));
    // The raw URL string: `req.url()` would pull the url crate and its IDNA tables into the wasm.
    // The method as sent: `req.method()` maps every method it does not know to GET.
    let method = http::Method::from_bytes(req.inner().method().as_bytes())
        .map_err(|_| bad("Malformed request method"))?;
    let mut builder = http::Request::builder()
        .method(method)
        .uri(req.inner().url());
    let Some(headers) = builder.headers_mut() else {
        return Err(bad("Malformed request"));
    };
    for (name, value) in req.headers().entries() {
        let name = HeaderName::from_bytes(name.as_bytes())
            .map_err(|_| bad("Malformed request header name"))?;
        let value =
            HeaderValue::from_str(&value).map_err(|_| bad("Malformed request header value"))?;
        headers.append(name, value);
    }
    crate::kernel::check_header_size(headers).map_err(|e| error_response(&e))?;
    let declared = headers
        .get("content-length")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > max_body) {
        return Err(error_response(&too_large(max_body)));
    }
    // No stream: a request without a body (GET, HEAD, or an empty POST).
    let body = match req.stream() {
        Ok(stream) => read_capped(stream, max_body)
            .await
            .map_err(|e| error_response(&e))?,
        Err(_) => Vec::new(),
    };
    builder.body(body).map_err(|_| bad("Malformed request"))
}

pub fn from_http(res: HttpResponse) -> worker::Result<Response> {
    let (parts, body) = res.into_parts();
    let headers = Headers::new();
    for (name, value) in parts.headers.iter() {
        // Values were built from strings, so they are visible ASCII; anything else is dropped.
        if let Ok(v) = value.to_str() {
            headers.append(name.as_str(), v)?;
        }
    }
    let status = parts.status.as_u16();
    let response = if body.is_empty() {
        Response::empty()?
    } else {
        Response::from_bytes(body)?
    };
    Ok(response.with_status(status).with_headers(headers))
}
