//! Pages for people rather than programs: better-auth's `GET /error` page, and the development
//! mailbox (`GET /dev/mailbox?email=`, only with `MAIL_PROVIDER=log`, which only loopback allows).

use crate::api::context::Ctx;
use crate::api::response::Reply;
use crate::config::MailerConfig;
use crate::error::ApiError;
use crate::mail::providers::read_mailbox;
use crate::mail::templates::escape_html;
use serde_json::json;

/// The code as better-auth shows it: `[A-Za-z0-9_'-]` only, else `UNKNOWN`.
fn sanitized_code(code: Option<&str>) -> &str {
    match code {
        Some(c)
            if !c.is_empty()
                && c.len() <= 100
                && c.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"_'-".contains(&b)) =>
        {
            c
        }
        _ => "UNKNOWN",
    }
}

pub fn error_page(ctx: &Ctx<'_>) -> Reply {
    let code = escape_html(sanitized_code(ctx.query("error")));
    let app = escape_html(&ctx.config.email.app_name);
    Reply::html(format!(
        "<!doctype html>\n<html><head><meta charset=\"utf-8\"><title>{app}: error</title></head>\n<body style=\"font-family: sans-serif\">\n<h1>Something went wrong</h1>\n<p>Error code: <code>{code}</code></p>\n</body></html>\n"
    ))
    .header("cache-control", "no-store")
}

pub async fn dev_mailbox(ctx: &Ctx<'_>) -> Result<Reply, ApiError> {
    if !matches!(ctx.config.email.mailer, Some(MailerConfig::Log)) {
        return Err(ApiError::not_found());
    }
    let Some(address) = ctx.query("email").filter(|e| !e.is_empty()) else {
        return Err(ApiError::validation(
            "[query.email] Invalid input: expected string, received undefined",
        ));
    };
    let messages = read_mailbox(ctx.drivers.kv.as_ref(), address).await;
    Ok(Reply::json(json!({ "messages": messages })).header("cache-control", "no-store"))
}

#[cfg(test)]
mod tests {
    use super::sanitized_code;

    #[test]
    fn error_codes_are_shown_only_when_plain() {
        assert_eq!(sanitized_code(Some("INVALID_TOKEN")), "INVALID_TOKEN");
        assert_eq!(sanitized_code(Some("<script>")), "UNKNOWN");
        assert_eq!(sanitized_code(Some("")), "UNKNOWN");
        assert_eq!(sanitized_code(None), "UNKNOWN");
    }
}
