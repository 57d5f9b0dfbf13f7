//! The reference page: the OpenAPI document rendered as one self-contained HTML page (no script,
//! no external resource), grouped by feature, readable on a phone and a desktop.

use crate::mail::templates::escape_html;
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::fmt::Write;

const STYLE: &str = "
:root{color-scheme:light dark;--fg:#1d2125;--muted:#5b6470;--line:#d9dee3;--bg:#fff;--card:#f6f8fa;--get:#1f6feb;--post:#1a7f37}
@media (prefers-color-scheme:dark){:root{--fg:#e6e9ed;--muted:#9aa4af;--line:#33393f;--bg:#0f1317;--card:#171c21;--get:#58a6ff;--post:#3fb950}}
*{box-sizing:border-box}
body{margin:0;font:15px/1.5 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;color:var(--fg);background:var(--bg)}
header,main{max-width:980px;margin:0 auto;padding:0 16px}
header{padding-top:24px}
h1{font-size:1.6rem;margin:0 0 4px}
h2{font-size:1.25rem;margin:32px 0 4px;padding-top:8px;border-top:1px solid var(--line)}
h3{font-size:1rem;margin:0;display:flex;flex-wrap:wrap;gap:8px;align-items:baseline}
p{margin:6px 0}
.muted{color:var(--muted)}
nav ul{list-style:none;padding:0;display:flex;flex-wrap:wrap;gap:6px 14px}
a{color:var(--get)}
code{font:13px/1.4 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;overflow-wrap:anywhere}
.op{background:var(--card);border:1px solid var(--line);border-radius:8px;padding:12px 14px;margin:12px 0}
.verb{font:700 12px ui-monospace,monospace;color:#fff;border-radius:4px;padding:2px 6px}
.GET{background:var(--get)}.POST{background:var(--post)}
.path{font-size:14px;font-weight:600}
.scroll{overflow-x:auto}
table{border-collapse:collapse;width:100%;margin:6px 0;font-size:14px}
th,td{text-align:left;vertical-align:top;padding:4px 8px;border-bottom:1px solid var(--line)}
th{font-weight:600;color:var(--muted)}
h4{font-size:.85rem;margin:10px 0 2px;text-transform:uppercase;letter-spacing:.04em;color:var(--muted)}
td:first-child code{white-space:nowrap}
@media (max-width:600px){body{font-size:14px}.op{padding:10px}tr:first-child{display:none}tr{display:block;padding:6px 0;border-bottom:1px solid var(--line)}td{display:block;border:0;padding:1px 4px}td[data-label]::before{content:attr(data-label) \": \";color:var(--muted)}}
";

/// The `Content-Security-Policy` the page is served with: nothing loads, only its own style.
pub fn content_security_policy() -> String {
    let digest = STANDARD.encode(Sha256::digest(STYLE.as_bytes()));
    format!("default-src 'none'; style-src 'sha256-{digest}'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'")
}

/// Escaped text, with `code` spans shown as code.
fn prose(s: &str) -> String {
    escape_html(s)
        .split('`')
        .enumerate()
        .map(|(i, part)| {
            if i % 2 == 1 {
                format!("<code>{part}</code>")
            } else {
                part.to_string()
            }
        })
        .collect()
}

fn text(v: &Value) -> String {
    prose(v.as_str().unwrap_or_default())
}

fn anchor(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect()
}

/// A short rendering of a schema: `string (email)`, `User`, `array of Session`, `object`.
fn type_label(schema: &Value) -> String {
    if let Some(r) = schema.get("$ref").and_then(Value::as_str) {
        return r.rsplit('/').next().unwrap_or(r).to_string();
    }
    if let Some(any) = schema.get("anyOf").and_then(Value::as_array) {
        return any.iter().map(type_label).collect::<Vec<_>>().join(" or ");
    }
    if let Some(all) = schema.get("allOf").and_then(Value::as_array) {
        return all.first().map(type_label).unwrap_or_default();
    }
    let kind = match schema.get("type") {
        Some(Value::Array(kinds)) => kinds
            .iter()
            .filter_map(Value::as_str)
            .collect::<Vec<_>>()
            .join(" or "),
        Some(Value::String(k)) if k == "object" && schema.get("properties").is_some() => {
            let keys: Vec<&str> = schema["properties"]
                .as_object()
                .map(|p| p.keys().map(String::as_str).collect())
                .unwrap_or_default();
            if keys.is_empty() {
                "object".into()
            } else {
                format!("{{{}}}", keys.join(", "))
            }
        }
        Some(Value::String(k)) if k == "array" => {
            format!(
                "array of {}",
                schema.get("items").map(type_label).unwrap_or_default()
            )
        }
        Some(Value::String(k)) => k.clone(),
        _ => "any".into(),
    };
    match schema.get("format").and_then(Value::as_str) {
        Some(format) => format!("{kind} ({format})"),
        None => kind,
    }
}

fn limits(schema: &Value) -> String {
    let mut out = Vec::new();
    if let Some(min) = schema.get("minLength") {
        out.push(format!("At least {min} characters"));
    }
    if let Some(max) = schema.get("maxLength") {
        out.push(format!("At most {max} characters"));
    }
    out.join(", ")
}

fn fields_table(page: &mut String, rows: &[(String, String, bool, String)]) {
    page.push_str("<div class=\"scroll\"><table><tr><th>Name</th><th>Type</th><th>Required</th><th>Description</th></tr>");
    for (name, kind, required, about) in rows {
        let _ = write!(
            page,
            "<tr><td><code>{}</code></td><td data-label=\"Type\">{}</td><td data-label=\"Required\">{}</td><td>{}</td></tr>",
            escape_html(name),
            escape_html(kind),
            if *required { "yes" } else { "no" },
            prose(about)
        );
    }
    page.push_str("</table></div>");
}

fn parameters(page: &mut String, op: &Value) {
    let Some(params) = op.get("parameters").and_then(Value::as_array) else {
        return;
    };
    page.push_str("<h4>Parameters</h4>");
    let rows: Vec<_> = params
        .iter()
        .map(|p| {
            let schema = p.get("schema").cloned().unwrap_or_default();
            let about = [
                format!("in {}", p["in"].as_str().unwrap_or_default()),
                p.get("description")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_string(),
                limits(&schema),
            ]
            .into_iter()
            .filter(|s| !s.is_empty())
            .collect::<Vec<_>>()
            .join(". ");
            (
                p["name"].as_str().unwrap_or_default().to_string(),
                type_label(&schema),
                p["required"].as_bool().unwrap_or(false),
                about,
            )
        })
        .collect();
    fields_table(page, &rows);
}

fn request_body(page: &mut String, op: &Value) {
    let Some(body) = op.get("requestBody") else {
        return;
    };
    let Some(content) = body.get("content").and_then(Value::as_object) else {
        return;
    };
    let media: Vec<&str> = content.keys().map(String::as_str).collect();
    let _ = write!(
        page,
        "<h4>Body</h4><p class=\"muted\">{} ({})</p>",
        escape_html(&media.join(" or ")),
        if body["required"].as_bool().unwrap_or(false) {
            "required"
        } else {
            "optional"
        }
    );
    let schema = content
        .values()
        .next()
        .map(|c| c["schema"].clone())
        .unwrap_or_default();
    let required: Vec<&str> = schema["required"]
        .as_array()
        .map(|r| r.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let rows: Vec<_> = schema["properties"]
        .as_object()
        .map(|props| {
            props
                .iter()
                .map(|(name, s)| {
                    let about = [
                        s["description"].as_str().unwrap_or_default().to_string(),
                        limits(s),
                    ]
                    .into_iter()
                    .filter(|s| !s.is_empty())
                    .collect::<Vec<_>>()
                    .join(". ");
                    (
                        name.clone(),
                        type_label(s),
                        required.contains(&name.as_str()),
                        about,
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    if !rows.is_empty() {
        fields_table(page, &rows);
    }
}

fn responses(page: &mut String, op: &Value) {
    let Some(responses) = op.get("responses").and_then(Value::as_object) else {
        return;
    };
    page.push_str("<h4>Answers</h4><div class=\"scroll\"><table><tr><th>Status</th><th>Body</th><th>Meaning</th></tr>");
    for (status, response) in responses {
        let body = response
            .get("content")
            .and_then(Value::as_object)
            .and_then(|c| c.iter().next())
            .map(|(media, c)| format!("{} ({media})", type_label(&c["schema"])))
            .unwrap_or_else(|| "none".into());
        let _ = write!(
            page,
            "<tr><td><code>{}</code></td><td data-label=\"Body\">{}</td><td>{}</td></tr>",
            escape_html(status),
            escape_html(&body),
            text(&response["description"])
        );
    }
    page.push_str("</table></div>");
}

fn security(page: &mut String, op: &Value) {
    let Some(options) = op.get("security").and_then(Value::as_array) else {
        return;
    };
    let names: Vec<String> = options
        .iter()
        .filter_map(Value::as_object)
        .flat_map(|o| o.keys().cloned())
        .collect();
    let _ = write!(
        page,
        "<p><strong>Requires:</strong> {}</p>",
        escape_html(&names.join(" or "))
    );
}

/// The page for `document`.
pub fn render(document: &Value) -> String {
    let title = text(&document["info"]["title"]);
    let server = text(&document["servers"][0]["url"]);
    let mut page = format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>{title}: API reference</title><style>{STYLE}</style></head><body><header><h1>{title} API reference</h1><p class=\"muted\">Version {} · paths below <code>{server}</code> · <a href=\"open-api/generate-schema\">OpenAPI document</a></p><p>{}</p><nav><ul>",
        text(&document["info"]["version"]),
        text(&document["info"]["description"]),
    );
    let tags = document["tags"].as_array().cloned().unwrap_or_default();
    for tag in &tags {
        let name = tag["name"].as_str().unwrap_or_default();
        let _ = write!(
            page,
            "<li><a href=\"#{}\">{}</a></li>",
            anchor(name),
            escape_html(name)
        );
    }
    page.push_str("</ul></nav></header><main>");
    let paths = document["paths"].as_object().cloned().unwrap_or_default();
    for tag in &tags {
        let name = tag["name"].as_str().unwrap_or_default();
        let _ = write!(
            page,
            "<section><h2 id=\"{}\">{}</h2><p class=\"muted\">{}</p>",
            anchor(name),
            escape_html(name),
            text(&tag["description"])
        );
        for (path, item) in &paths {
            for (method, op) in item.as_object().into_iter().flatten() {
                let in_tag = op["tags"]
                    .as_array()
                    .is_some_and(|t| t.iter().any(|x| x == name));
                if !in_tag {
                    continue;
                }
                let verb = method.to_ascii_uppercase();
                let _ = write!(
                    page,
                    "<article class=\"op\" id=\"{}\"><h3><span class=\"verb {verb}\">{verb}</span><code class=\"path\">{}</code></h3><p>{}</p>",
                    escape_html(op["operationId"].as_str().unwrap_or_default()),
                    escape_html(path),
                    text(&op["summary"])
                );
                security(&mut page, op);
                parameters(&mut page, op);
                request_body(&mut page, op);
                responses(&mut page, op);
                page.push_str("</article>");
            }
        }
        page.push_str("</section>");
    }
    page.push_str("</main></body></html>\n");
    page
}
