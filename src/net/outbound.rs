//! The `Outbound` driver: one HTTP request with a timeout (`fetch` on Workers), redirects not
//! followed.

use async_trait::async_trait;
use thiserror::Error;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Get,
    Post,
}

pub struct OutboundRequest {
    pub method: Method,
    pub url: String,
    pub headers: Vec<(&'static str, String)>,
    pub body: Vec<u8>,
    pub timeout_ms: u64,
}

pub struct OutboundResponse {
    pub status: u16,
    pub retry_after: Option<String>,
    /// `Cache-Control`, for answers worth keeping (a provider's keys).
    pub cache_control: Option<String>,
    pub body: Vec<u8>,
}

/// The request got no HTTP answer (connection refused or dropped, timeout).
#[derive(Debug, Error)]
#[error("no answer: {0}")]
pub struct NoAnswer(pub String);

#[async_trait(?Send)]
pub trait Outbound {
    async fn send(&self, request: OutboundRequest) -> Result<OutboundResponse, NoAnswer>;
}
