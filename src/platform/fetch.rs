//! `Outbound` on Workers `fetch`, aborted after the request's timeout; `Timer` on `Date.now()` and
//! `setTimeout`.

use crate::net::outbound::{NoAnswer, Outbound, OutboundRequest, OutboundResponse};
use async_trait::async_trait;
use std::time::Duration;
use worker::{AbortController, Delay, Fetch, Headers, Method, Request, RequestInit};

pub struct WorkersFetch;

pub struct WorkersTimer;

#[async_trait(?Send)]
impl crate::time::Timer for WorkersTimer {
    fn now(&self) -> crate::time::Millis {
        js_sys::Date::now() as crate::time::Millis
    }

    async fn sleep(&self, ms: crate::time::Millis) {
        Delay::from(Duration::from_millis(ms.max(0) as u64)).await;
    }
}

fn no_answer(e: impl std::fmt::Display) -> NoAnswer {
    NoAnswer(e.to_string())
}

#[async_trait(?Send)]
impl Outbound for WorkersFetch {
    async fn send(&self, request: OutboundRequest) -> Result<OutboundResponse, NoAnswer> {
        let headers = Headers::new();
        for (name, value) in &request.headers {
            headers.set(name, value).map_err(no_answer)?;
        }
        let mut init = RequestInit::new();
        init.with_headers(headers)
            .with_redirect(worker::RequestRedirect::Manual);
        match request.method {
            crate::net::outbound::Method::Get => init.with_method(Method::Get),
            crate::net::outbound::Method::Post => init.with_method(Method::Post).with_body(Some(
                js_sys::Uint8Array::from(request.body.as_slice()).into(),
            )),
        };
        let req = Request::new_with_init(&request.url, &init).map_err(no_answer)?;
        let controller = AbortController::default();
        let signal = controller.signal();
        let timeout = request.timeout_ms;
        wasm_bindgen_futures::spawn_local(async move {
            Delay::from(Duration::from_millis(timeout)).await;
            controller.abort();
        });
        let mut res = Fetch::Request(req)
            .send_with_signal(&signal)
            .await
            .map_err(no_answer)?;
        let retry_after = res.headers().get("retry-after").ok().flatten();
        let cache_control = res.headers().get("cache-control").ok().flatten();
        let body = res.bytes().await.map_err(no_answer)?;
        Ok(OutboundResponse {
            status: res.status_code(),
            retry_after,
            cache_control,
            body,
        })
    }
}
