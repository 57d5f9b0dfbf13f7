//! The `Outbound` driver: one HTTP POST with a timeout (`fetch` on Workers).

use async_trait::async_trait;
use thiserror::Error;

pub struct OutboundRequest {
    pub url: String,
    pub headers: Vec<(&'static str, String)>,
    pub body: Vec<u8>,
    pub timeout_ms: u64,
}

pub struct OutboundResponse {
    pub status: u16,
    pub retry_after: Option<String>,
    pub body: Vec<u8>,
}

/// The request got no HTTP answer (connection refused or dropped, timeout).
#[derive(Debug, Error)]
#[error("no answer: {0}")]
pub struct NoAnswer(pub String);

#[async_trait(?Send)]
pub trait Outbound {
    async fn post(&self, request: OutboundRequest) -> Result<OutboundResponse, NoAnswer>;
}
