//! The OpenAPI 3.1 document, generated from the endpoint catalogue: it cannot drift from the code.

use crate::config::Config;
use crate::error::Code;
use crate::kernel::catalogue::{
    self, Answer, Body, Catalogue, Credential, Endpoint, Field, Kind, Media, Requires, Shape, Verb,
};
use serde_json::{json, Map, Value};

fn schema_ref(name: &str) -> Value {
    json!({"$ref": format!("#/components/schemas/{name}")})
}

/// A [`Shape`] as JSON Schema.
pub fn shape_schema(shape: &Shape) -> Value {
    match shape {
        Shape::Ref(name) => schema_ref(name),
        Shape::Object(props) => {
            let properties: Map<String, Value> = props
                .iter()
                .map(|p| (p.name.to_string(), shape_schema(&p.shape)))
                .collect();
            let required: Vec<&str> = props
                .iter()
                .filter(|p| p.required)
                .map(|p| p.name)
                .collect();
            json!({"type": "object", "properties": properties, "required": required})
        }
        Shape::Map(values) => {
            json!({"type": "object", "additionalProperties": shape_schema(values)})
        }
        Shape::Array(items) => json!({"type": "array", "items": shape_schema(items)}),
        Shape::String => json!({"type": "string"}),
        Shape::DateTime => json!({"type": "string", "format": "date-time"}),
        Shape::Integer => json!({"type": "integer"}),
        Shape::Boolean => json!({"type": "boolean"}),
        Shape::True => json!({"type": "boolean", "const": true}),
        Shape::Null => json!({"type": "null"}),
        Shape::Nullable(inner) => json!({"anyOf": [shape_schema(inner), {"type": "null"}]}),
        Shape::OneOf(shapes) => {
            json!({"oneOf": shapes.iter().map(shape_schema).collect::<Vec<_>>()})
        }
        Shape::Any => json!({}),
    }
}

/// A declared field as JSON Schema: what the kernel accepts.
fn field_schema(config: &Config, field: &Field) -> Value {
    let mut schema = match field.kind {
        Kind::String | Kind::Url => json!({"type": "string"}),
        Kind::Password => json!({
            "type": "string",
            "minLength": config.password_min_length,
            "maxLength": config.password_max_length,
        }),
        Kind::Email => json!({"type": "string", "format": "email"}),
        // `char::is_control`: the C0 and C1 controls.
        Kind::Name => json!({
            "type": "string",
            "maxLength": crate::kernel::formats::MAX_NAME_LEN,
            "pattern": "^[^\\u0000-\\u001f\\u007f-\\u009f]*$",
        }),
        Kind::Boolean => json!({"type": "boolean"}),
        Kind::Object => json!({"type": "object"}),
        Kind::Any => json!({}),
        Kind::Number => json!({"type": "number"}),
        Kind::StringList => {
            json!({"anyOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}]})
        }
    };
    // The tighter of the kind's limits and the field's own.
    if let Some(min) = field.min_chars {
        let kind_min = schema["minLength"].as_u64().unwrap_or(0);
        schema["minLength"] = json!(kind_min.max(min as u64));
    }
    if let Some(max) = field.max_chars {
        let kind_max = schema["maxLength"].as_u64().unwrap_or(u64::MAX);
        schema["maxLength"] = json!(kind_max.min(max as u64));
    }
    if field.nullable {
        let kind = schema["type"].clone();
        schema["type"] = json!([kind, "null"]);
    }
    schema["description"] = json!(field.about);
    schema
}

fn body_schema(config: &Config, body: Body) -> Value {
    let properties: Map<String, Value> = body
        .fields()
        .iter()
        .map(|f| (f.name.to_string(), field_schema(config, f)))
        .collect();
    let required: Vec<&str> = body
        .fields()
        .iter()
        .filter(|f| f.required)
        .map(|f| f.name)
        .collect();
    json!({"type": "object", "properties": properties, "required": required})
}

/// `/reset-password/:token` as OpenAPI writes it: `/reset-password/{token}`.
pub fn openapi_path(path: &str) -> String {
    path.split('/')
        .map(|segment| match segment.strip_prefix(':') {
            Some(name) => format!("{{{name}}}"),
            None => segment.to_string(),
        })
        .collect::<Vec<_>>()
        .join("/")
}

fn parameters(config: &Config, endpoint: &Endpoint) -> Vec<Value> {
    let path = endpoint.path_params().map(|name| {
        json!({"name": name, "in": "path", "required": true, "schema": {"type": "string", "minLength": 1}})
    });
    let query = endpoint.query.iter().map(|f| {
        let mut schema = field_schema(config, f);
        let description = schema
            .as_object_mut()
            .and_then(|s| s.remove("description"))
            .unwrap_or_default();
        json!({"name": f.name, "in": "query", "required": f.required, "schema": schema, "description": description})
    });
    path.chain(query).collect()
}

fn success(answer: &Answer) -> Value {
    match answer.media {
        Media::Json => json!({
            "description": answer.about,
            "content": {"application/json": {"schema": shape_schema(&answer.shape)}},
        }),
        Media::Html => json!({
            "description": answer.about,
            "content": {"text/html": {"schema": {"type": "string"}}},
        }),
        Media::Redirect => json!({
            "description": answer.about,
            "headers": {"Location": {"schema": {"type": "string"}, "description": "Where to go"}},
        }),
    }
}

/// Every error answer of an endpoint, by status: the kernel's and its own.
fn errors(endpoint: &Endpoint, credential: Option<Credential>) -> Vec<(u16, Vec<Option<Code>>)> {
    let mut by_status: Vec<(u16, Vec<Option<Code>>)> = Vec::new();
    let refusals = credential
        .filter(|_| endpoint.accepts_credential)
        .map_or(&[][..], |c| c.refusals);
    let own = endpoint
        .errors
        .iter()
        .chain(refusals)
        .map(|(s, c)| (*s, Some(*c)));
    let off = endpoint.enabled_by.map(|_| (404, None));
    let uncoded = endpoint.uncoded.iter().map(|(s, _)| (*s, None));
    let all = endpoint.kernel_errors().into_iter().chain(own).chain(off);
    for (status, code) in all.chain(uncoded) {
        match by_status.iter_mut().find(|(s, _)| *s == status) {
            Some((_, codes)) if !codes.contains(&code) => codes.push(code),
            Some(_) => {}
            None => by_status.push((status, vec![code])),
        }
    }
    by_status.sort_by_key(|(status, _)| *status);
    by_status
}

fn error_response(endpoint: &Endpoint, status: u16, codes: &[Option<Code>]) -> Value {
    let named: Vec<&str> = codes.iter().flatten().map(|c| c.as_str()).collect();
    let mut lines: Vec<String> = codes
        .iter()
        .flatten()
        .map(|c| format!("`{}`: {}", c.as_str(), c.message()))
        .collect();
    lines.extend(
        endpoint
            .uncoded
            .iter()
            .filter(|(s, _)| *s == status)
            .map(|(_, message)| format!("\"{message}\" (no code)")),
    );
    let bodiless = status == 404 && codes.contains(&None) && endpoint.enabled_by.is_some();
    if let Some(switch) = endpoint.enabled_by.filter(|_| status == 404) {
        lines.push(format!("Off unless `{}` (no body)", switch.setting));
    }
    if status == 429 {
        lines.push("Too many requests; `Retry-After` says when to try again".into());
    }
    if status == 404 && endpoint.requires == Requires::OperatorToken {
        lines.push("Off until `RECONCILE_TOKEN` and `PAYLOAD_SYNC_URL` are set".into());
    }
    let description = if lines.is_empty() {
        "Error".to_string()
    } else {
        lines.join("; ")
    };
    let schema = if codes.contains(&None) {
        schema_ref("Error")
    } else {
        json!({"allOf": [schema_ref("Error"), {"required": ["code"], "properties": {"code": {"enum": named}}}]})
    };
    let mut response = json!({"description": description});
    // A bodiless 404 says nothing about the endpoint; the others are `{message, code}`.
    if !(bodiless && codes.len() == 1) {
        response["content"] = json!({"application/json": {"schema": schema}});
    }
    response
}

fn security(endpoint: &Endpoint) -> Option<Value> {
    let mut ways = match endpoint.requires {
        Requires::Nothing => return None,
        Requires::Session(_) | Requires::FreshSession => {
            vec![json!({"sessionCookie": []}), json!({"bearerToken": []})]
        }
        Requires::OperatorToken => vec![json!({"reconcileToken": []})],
    };
    if endpoint.accepts_credential {
        ways.push(json!({"credential": []}));
    }
    Some(Value::Array(ways))
}

fn operation(
    config: &Config,
    feature: &str,
    endpoint: &Endpoint,
    credential: Option<Credential>,
) -> Value {
    let mut op = json!({
        "operationId": endpoint.name,
        "summary": endpoint.summary,
        "tags": [feature],
    });
    let params = parameters(config, endpoint);
    if !params.is_empty() {
        op["parameters"] = Value::Array(params);
    }
    if endpoint.verb == Verb::Post && !matches!(endpoint.body, Body::None) {
        let schema = body_schema(config, endpoint.body);
        let mut content = json!({"application/json": {"schema": schema}});
        if endpoint.form {
            content["application/x-www-form-urlencoded"] = json!({"schema": schema});
        }
        op["requestBody"] = json!({
            "required": !matches!(endpoint.body, Body::OptionalObject(_)),
            "content": content,
        });
    }
    let mut responses = Map::new();
    for answer in endpoint.answers {
        responses.insert(answer.status.to_string(), success(answer));
    }
    for (status, codes) in errors(endpoint, credential) {
        responses.insert(status.to_string(), error_response(endpoint, status, &codes));
    }
    op["responses"] = Value::Object(responses);
    if let Some(security) = security(endpoint) {
        op["security"] = security;
    }
    if let Some(rule) = endpoint.rate {
        op["x-rate-limit"] = json!({"max": rule.max, "windowSeconds": rule.window});
    }
    op
}

/// The document for `catalogue`, served at `config`'s base URL.
pub fn document(config: &Config, catalogue: Catalogue) -> Value {
    let credential = catalogue.iter().find_map(|f| f.credential);
    let mut paths = Map::new();
    for feature in catalogue {
        for endpoint in feature.endpoints {
            let item = paths
                .entry(openapi_path(endpoint.path))
                .or_insert_with(|| json!({}));
            item[endpoint.verb.as_str().to_ascii_lowercase()] =
                operation(config, feature.name, endpoint, credential);
        }
    }
    let mut schemas: Map<String, Value> = catalogue
        .iter()
        .flat_map(|f| f.schemas.iter())
        .map(|(name, shape)| (name.to_string(), shape_schema(shape)))
        .collect();
    schemas.insert(
        "Error".into(),
        json!({
            "type": "object",
            "description": "better-auth's error body",
            "properties": {
                "message": {"type": "string"},
                "code": {"type": "string"},
                "details": {"type": "object", "description": "More about the refusal, such as `tryAgainIn` (milliseconds)"},
            },
            "required": ["message"],
        }),
    );
    let mut security_schemes = json!({
        "sessionCookie": {
            "type": "apiKey",
            "in": "cookie",
            "name": crate::kernel::cookies::name(config.secure_cookies(), crate::kernel::cookies::SESSION_TOKEN),
            "description": "The signed session cookie set by sign-in and sign-up",
        },
        "bearerToken": {
            "type": "http",
            "scheme": "bearer",
            "description": "The session token (`token` in sign-in answers, or `set-auth-token`)",
        },
        "reconcileToken": {
            "type": "apiKey",
            "in": "header",
            "name": "x-reconcile-token",
            "description": "The operator token, `RECONCILE_TOKEN`",
        },
    });
    if let Some((feature, credential)) = catalogue
        .iter()
        .find_map(|f| f.credential.map(|c| (f.name, c)))
    {
        security_schemes["credential"] = json!({
            "type": "apiKey",
            "in": "header",
            "name": credential.header,
            "description": format!("Stands for its user's session where accepted ({feature})"),
        });
    }
    let tags: Vec<Value> = catalogue
        .iter()
        .map(|f| json!({"name": f.name, "description": f.about}))
        .collect();
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "portcullis",
            "version": env!("PORTCULLIS_VERSION"),
            "description": "A better-auth compatible authentication service. Errors are `{message, code}`; state-changing requests that carry cookies must come from a trusted origin.",
        },
        "servers": [{"url": config.base_url()}],
        "tags": tags,
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": security_schemes,
        },
    })
}

/// Every endpoint's method and path as the README's table lists them.
pub fn endpoint_lines(catalogue: Catalogue) -> Vec<String> {
    catalogue::endpoints(catalogue)
        .map(|e| format!("{} {}", e.verb.as_str(), e.path))
        .collect()
}
