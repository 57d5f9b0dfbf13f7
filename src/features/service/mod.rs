//! The service's own endpoints: the health check (`GET /ok`), and pages for people rather than
//! programs: better-auth's `GET /error` page, and the development mailbox
//! (`GET /dev/mailbox?email=`, only with `MAIL_PROVIDER=log`, which only loopback allows).

use crate::config::MailerConfig;
use crate::error::ApiError;
use crate::handler;
use crate::kernel::catalogue::{Answer, Endpoint, Feature, Field, Kind, Prop, Shape, Switch};
use crate::kernel::context::Ctx;
use crate::kernel::response::Reply;
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

async fn ok(_: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    Ok(Reply::json(json!({"ok": true})))
}

async fn error_page(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    let code = escape_html(sanitized_code(ctx.query("error")));
    let app = escape_html(&ctx.config.email.app_name);
    Ok(Reply::html(format!(
        "<!doctype html>\n<html><head><meta charset=\"utf-8\"><title>{app}: error</title></head>\n<body style=\"font-family: sans-serif\">\n<h1>Something went wrong</h1>\n<p>Error code: <code>{code}</code></p>\n</body></html>\n"
    ))
    .header("cache-control", "no-store"))
}

async fn dev_mailbox(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    let address = ctx.query("email").unwrap_or_default();
    let messages = read_mailbox(ctx.drivers.kv.as_ref(), address).await;
    Ok(Reply::json(json!({ "messages": messages })).header("cache-control", "no-store"))
}

pub const FEATURE: Feature = Feature {
    migrations: &[],
    credential: None,
    name: "Service",
    about: "The health check, better-auth's error page, and the development mailbox.",
    schemas: &[],
    endpoints: &[
        Endpoint {
            summary: "Health check",
            // Limiting a check that does nothing would cost more than answering it.
            rate: None,
            answers: &[Answer::json(Shape::Object(&[Prop::req("ok", Shape::True)]))],
            ..Endpoint::get("/ok", "ok", handler!(ok))
        },
        Endpoint {
            summary: "The page failed flows lead to, showing `?error=`",
            query: &[Field::optional(
                "error",
                Kind::String,
                "The error code to show",
            )],
            answers: &[Answer::html("A page naming the error")],
            ..Endpoint::get("/error", "error", handler!(error_page))
        },
        Endpoint {
            summary: "The latest messages to an address (development mail only)",
            query: &[Field::required("email", Kind::String, "The recipient").min(1)],
            answers: &[Answer::json(Shape::Object(&[Prop::req(
                "messages",
                Shape::Array(&Shape::Object(&[
                    Prop::req("id", Shape::String),
                    Prop::req("to", Shape::String),
                    Prop::req("subject", Shape::String),
                    Prop::req("text", Shape::String),
                    Prop::req("html", Shape::String),
                    Prop::req("url", Shape::String),
                ])),
            )]))],
            enabled_by: Some(Switch {
                setting: "MAIL_PROVIDER=log",
                is_on: |config| matches!(config.email.mailer, Some(MailerConfig::Log)),
            }),
            ..Endpoint::get("/dev/mailbox", "devMailbox", handler!(dev_mailbox))
        },
    ],
};

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
