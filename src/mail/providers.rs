//! The `Mailer`s: a transactional email API in Resend's format, a signed webhook to the
//! application, and the development mailbox. The first two speak HTTP through the `Outbound`
//! driver; the last logs the message and keeps it in KV for `GET /dev/mailbox`.

use super::{Delivery, Mailer, Message};
use crate::config::MailerConfig;
use crate::drivers::{Drivers, Level, Log};
use crate::net::backoff::parse_retry_after;
use crate::net::outbound::{Method, Outbound, OutboundRequest, OutboundResponse};
use crate::net::signed_request::{signed_post_to, Signer};
use crate::storage::Kv;
use crate::time::Millis;
use async_trait::async_trait;
use serde_json::json;

const TIMEOUT_MS: u64 = 10_000;
/// Messages the development mailbox keeps per address.
const MAILBOX_SIZE: usize = 20;
const MAILBOX_TTL_SECONDS: u64 = 86_400;

/// The mailer `config` names, on top of the drivers.
pub fn for_config<'a>(config: &'a MailerConfig, drivers: &'a Drivers) -> Box<dyn Mailer + 'a> {
    match config {
        MailerConfig::Resend { url, api_key, from } => Box::new(Resend {
            outbound: drivers.outbound.as_ref(),
            url,
            api_key: String::from_utf8_lossy(api_key.expose()).into_owned(),
            from,
        }),
        MailerConfig::Webhook {
            url,
            secret,
            key_id,
        } => Box::new(Webhook {
            outbound: drivers.outbound.as_ref(),
            url,
            secret: secret.expose(),
            key_id,
        }),
        MailerConfig::Log => Box::new(DevMailbox {
            kv: drivers.kv.as_ref(),
            log: drivers.log.as_ref(),
        }),
    }
}

/// 2xx: sent. 400, 413 and 422 mean the message itself is unacceptable: refused. Anything else
/// (no answer, 401/403 while a key is being fixed, 429, 5xx) is retried.
fn outcome(answer: Result<OutboundResponse, impl std::fmt::Display>) -> Delivery {
    match answer {
        Ok(res) if (200..300).contains(&res.status) => Delivery::Sent,
        Ok(res) => {
            let detail: String = String::from_utf8_lossy(&res.body)
                .chars()
                .take(200)
                .collect();
            let reason = format!("HTTP {}: {detail}", res.status);
            if matches!(res.status, 400 | 413 | 422) {
                Delivery::Refused(reason)
            } else {
                Delivery::Retry {
                    reason,
                    retry_after: res.retry_after.as_deref().and_then(parse_retry_after),
                }
            }
        }
        Err(e) => Delivery::Retry {
            reason: e.to_string(),
            retry_after: None,
        },
    }
}

pub struct Resend<'a> {
    pub outbound: &'a dyn Outbound,
    pub url: &'a str,
    pub api_key: String,
    pub from: &'a str,
}

#[async_trait(?Send)]
impl Mailer for Resend<'_> {
    async fn deliver(&self, message: &Message, _now: Millis) -> Delivery {
        let body = json!({
            "from": self.from,
            "to": [message.to],
            "subject": message.subject,
            "html": message.html,
            "text": message.text,
            "tags": [{"name": "kind", "value": message.kind.as_str().replace('-', "_")}],
        });
        let request = OutboundRequest {
            method: Method::Post,
            url: self.url.to_string(),
            headers: vec![
                ("content-type", "application/json".into()),
                ("authorization", format!("Bearer {}", self.api_key)),
                // Resend sends a message once per key, however often it is retried.
                ("idempotency-key", message.id.clone()),
            ],
            body: body.to_string().into_bytes(),
            timeout_ms: TIMEOUT_MS,
        };
        outcome(self.outbound.send(request).await)
    }
}

pub struct Webhook<'a> {
    pub outbound: &'a dyn Outbound,
    pub url: &'a str,
    pub secret: &'a [u8],
    pub key_id: &'a str,
}

#[async_trait(?Send)]
impl Mailer for Webhook<'_> {
    async fn deliver(&self, message: &Message, now: Millis) -> Delivery {
        let body = json!({"type": "email", "message": message})
            .to_string()
            .into_bytes();
        let signer = Signer {
            secrets: vec![self.secret],
            key_id: self.key_id,
        };
        match signed_post_to(&signer, self.url, &message.id, body, now) {
            Ok(request) => outcome(self.outbound.send(request).await),
            Err(e) => Delivery::Retry {
                reason: e.to_string(),
                retry_after: None,
            },
        }
    }
}

pub struct DevMailbox<'a> {
    pub kv: &'a dyn Kv,
    pub log: &'a dyn Log,
}

fn mailbox_key(address: &str) -> String {
    format!("dev-mailbox:{}", address.to_lowercase())
}

/// The latest messages to `address`, newest first (development mailer only).
pub async fn read_mailbox(kv: &dyn Kv, address: &str) -> Vec<Message> {
    match kv.get(&mailbox_key(address)).await {
        Ok(Some(json)) => serde_json::from_str(&json).unwrap_or_default(),
        _ => Vec::new(),
    }
}

#[async_trait(?Send)]
impl Mailer for DevMailbox<'_> {
    async fn deliver(&self, message: &Message, _now: Millis) -> Delivery {
        self.log.log(
            Level::Info,
            &format!(
                "[mail] (development mailbox) to {}: {} <{}>",
                crate::drivers::loggable(&message.to),
                crate::drivers::loggable(&message.subject),
                message.url
            ),
        );
        let mut messages = read_mailbox(self.kv, &message.to).await;
        messages.retain(|m| m.id != message.id);
        messages.insert(0, message.clone());
        messages.truncate(MAILBOX_SIZE);
        let json = serde_json::to_string(&messages).unwrap_or_else(|_| "[]".into());
        match self
            .kv
            .put(&mailbox_key(&message.to), &json, MAILBOX_TTL_SECONDS)
            .await
        {
            Ok(()) => Delivery::Sent,
            Err(e) => Delivery::Retry {
                reason: e.to_string(),
                retry_after: None,
            },
        }
    }
}
