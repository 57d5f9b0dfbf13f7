//! Request bodies: the size cap, media types, and JSON/form decoding (their fields are checked by
//! `input`).

use crate::error::{ApiError, Code};
use serde_json::{Map, Value};

pub type Request = http::Request<Vec<u8>>;

pub const JSON: &str = "application/json";
pub const FORM: &str = "application/x-www-form-urlencoded";

pub fn header<'a>(req: &'a Request, name: &str) -> Option<&'a str> {
    req.headers().get(name).and_then(|v| v.to_str().ok())
}

/// The 413 for a body over `max_bytes`.
pub fn too_large(max_bytes: usize) -> ApiError {
    ApiError::with_message(
        413,
        Code::PayloadTooLarge,
        format!("Request body is larger than {max_bytes} bytes"),
    )
}

/// Reads a body chunk by chunk, refusing it as soon as it passes `max_bytes`: a chunked upload
/// is never buffered whole, and whatever follows the cap is never read.
pub async fn read_capped<S, E>(mut chunks: S, max_bytes: usize) -> Result<Vec<u8>, ApiError>
where
    S: futures_util::Stream<Item = Result<Vec<u8>, E>> + Unpin,
{
    use futures_util::StreamExt;
    let mut body = Vec::new();
    while let Some(chunk) = chunks.next().await {
        let chunk = chunk.map_err(|_| {
            ApiError::with_message(400, Code::BadRequest, "The request body could not be read")
        })?;
        if body.len() + chunk.len() > max_bytes {
            return Err(too_large(max_bytes));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// Decodes the body as JSON (or, where `allow_form`, as a form). An empty body is `None`.
pub fn parse_body(
    req: &Request,
    max_bytes: usize,
    allow_form: bool,
) -> Result<Option<Value>, ApiError> {
    let bytes = req.body();
    if bytes.is_empty() {
        return Ok(None);
    }
    if bytes.len() > max_bytes {
        return Err(too_large(max_bytes));
    }
    let allowed = if allow_form {
        format!("{FORM}, {JSON}")
    } else {
        JSON.to_string()
    };
    let content_type = header(req, "content-type").map(|ct| {
        ct.split(';')
            .next()
            .unwrap_or_default()
            .trim()
            .to_ascii_lowercase()
    });
    let media = match content_type.as_deref() {
        None | Some("") => {
            return Err(ApiError::with_message(
                415,
                Code::UnsupportedMediaType,
                format!("Content-Type is required. Allowed types: {allowed}"),
            ))
        }
        Some(ct) if ct == JSON || (allow_form && ct == FORM) => ct.to_string(),
        Some(ct) => {
            return Err(ApiError::with_message(
                415,
                Code::UnsupportedMediaType,
                format!("Content-Type \"{ct}\" is not allowed. Allowed types: {allowed}"),
            ))
        }
    };
    let text = std::str::from_utf8(bytes).map_err(|_| {
        ApiError::with_message(400, Code::BadRequest, "Request body is not valid UTF-8")
    })?;
    if media == FORM {
        let map: Map<String, Value> = form_urlencoded::parse(text.as_bytes())
            .map(|(k, v)| (k.into_owned(), Value::String(v.into_owned())))
            .collect();
        return Ok(Some(Value::Object(map)));
    }
    serde_json::from_str(text)
        .map(Some)
        .map_err(|_| ApiError::new(400, Code::BadRequest))
}

/// Query string pairs, percent-decoded.
pub fn query_pairs(req: &Request) -> Vec<(String, String)> {
    req.uri()
        .query()
        .map(|q| form_urlencoded::parse(q.as_bytes()).into_owned().collect())
        .unwrap_or_default()
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::read_capped;
    use futures_util::stream::{self, StreamExt};
    use std::cell::Cell;

    #[test]
    fn an_endless_upload_is_refused_just_past_the_cap() {
        let pulled = Cell::new(0);
        let endless = stream::repeat_with(|| {
            pulled.set(pulled.get() + 1);
            Ok::<_, ()>(vec![b' '; 16 * 1024])
        });
        let result = futures::executor::block_on(read_capped(endless.boxed_local(), 64 * 1024));
        assert_eq!(result.unwrap_err().status, 413);
        assert_eq!(
            pulled.get(),
            5,
            "four chunks fill the cap; the fifth passes it, and reading stops"
        );
    }

    #[test]
    fn a_body_within_the_cap_is_read_whole() {
        let chunks = stream::iter(vec![Ok::<_, ()>(b"{\"a\":".to_vec()), Ok(b"1}".to_vec())]);
        let body = futures::executor::block_on(read_capped(chunks, 64)).unwrap();
        assert_eq!(body, b"{\"a\":1}");
        let broken = stream::iter(vec![Ok(b"{".to_vec()), Err(())]);
        assert_eq!(
            futures::executor::block_on(read_capped(broken, 64))
                .unwrap_err()
                .status,
            400
        );
    }
}
