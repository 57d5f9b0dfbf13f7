//! The contract, served: `GET /open-api/generate-schema` (better-auth's openAPI plugin path) answers
//! the OpenAPI 3.1 document generated from the catalogue, and `GET /reference` renders it as a
//! page. `OPENAPI_ENABLED=false` turns both off.

pub mod document;
pub mod reference;

use crate::error::ApiError;
use crate::handler;
use crate::kernel::catalogue::{Answer, Endpoint, Feature, Shape, Switch};
use crate::kernel::context::Ctx;
use crate::kernel::response::Reply;
use std::cell::OnceCell;

/// The document and page as this isolate first made them (configuration and catalogue do not
/// change within an isolate).
#[derive(Default)]
struct Rendered {
    document: OnceCell<serde_json::Value>,
    page: OnceCell<String>,
}

fn rendered(ctx: &Ctx<'_>) -> std::rc::Rc<Rendered> {
    let kept = ctx.drivers.isolate.get::<Rendered>();
    kept.document
        .get_or_init(|| document::document(ctx.config, ctx.catalogue));
    kept
}

async fn generate_schema(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    let kept = rendered(ctx);
    let doc = kept.document.get().cloned().unwrap_or_default();
    Ok(Reply::json(doc).header("cache-control", "no-cache"))
}

async fn reference_page(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    let kept = rendered(ctx);
    let page = kept
        .page
        .get_or_init(|| reference::render(kept.document.get().unwrap_or(&serde_json::Value::Null)))
        .clone();
    Ok(Reply::html(page)
        .header(
            "content-security-policy",
            reference::content_security_policy(),
        )
        .header("cache-control", "no-cache"))
}

const SWITCH: Switch = Switch {
    setting: "OPENAPI_ENABLED",
    is_on: |config| config.open_api_enabled,
};

pub const FEATURE: Feature = Feature {
    migrations: &[],
    credential: None,
    name: "OpenAPI",
    about: "This contract, generated from the endpoint catalogue, and its reference page.",
    schemas: &[],
    endpoints: &[
        Endpoint {
            summary: "This OpenAPI 3.1 document",
            answers: &[Answer::json(Shape::Object(&[]))],
            enabled_by: Some(SWITCH),
            ..Endpoint::get(
                "/open-api/generate-schema",
                "generateOpenAPISchema",
                handler!(generate_schema),
            )
        },
        Endpoint {
            summary: "The reference page: this document for people",
            answers: &[Answer::html("The reference page")],
            enabled_by: Some(SWITCH),
            ..Endpoint::get("/reference", "reference", handler!(reference_page))
        },
    ],
};
