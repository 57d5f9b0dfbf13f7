//! The endpoint declaration: what an endpoint is (method, path, inputs, requirements, rate rule,
//! answers, error codes), written once in its feature's module. The kernel routes and checks
//! requests from it, and the OpenAPI contract is generated from it.

use super::context::Ctx;
use super::response::Reply;
use crate::config::Config;
use crate::error::{ApiError, Code};
use crate::rate_limit::Rule;
use crate::session::Source;
use std::future::Future;
use std::pin::Pin;

/// What an endpoint's code is: it receives the checked request.
pub type Handler =
    for<'a, 'b> fn(&'a mut Ctx<'b>) -> Pin<Box<dyn Future<Output = Result<Reply, ApiError>> + 'a>>;

/// Turns `async fn(&mut Ctx<'_>) -> Result<Reply, ApiError>` into a [`Handler`].
#[macro_export]
macro_rules! handler {
    ($f:path) => {{
        fn boxed<'a, 'b>(
            ctx: &'a mut $crate::kernel::context::Ctx<'b>,
        ) -> ::std::pin::Pin<
            Box<
                dyn ::std::future::Future<
                        Output = Result<$crate::kernel::response::Reply, $crate::error::ApiError>,
                    > + 'a,
            >,
        > {
            Box::pin($f(ctx))
        }
        boxed as $crate::kernel::catalogue::Handler
    }};
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verb {
    Get,
    Post,
}

impl Verb {
    pub fn as_str(self) -> &'static str {
        match self {
            Verb::Get => "GET",
            Verb::Post => "POST",
        }
    }

    pub fn matches(self, method: &http::Method) -> bool {
        method.as_str() == self.as_str()
    }
}

/// What the kernel checks before the handler runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Requires {
    Nothing,
    /// A live session (`Cache`: KV may answer; `Durable`: checked against D1).
    Session(Source),
    /// A live session, checked against D1, younger than `SESSION_FRESH_AGE`.
    FreshSession,
    /// The `x-reconcile-token` header matching `RECONCILE_TOKEN`.
    OperatorToken,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    String,
    /// A string that must be an email address (zod's `z.email()`).
    Email,
    /// A display name: at most 256 characters, no control characters.
    Name,
    /// A URL or path the answer may redirect to (checked against the trusted origins).
    Url,
    /// `true`/`false`; form bodies carry them as strings.
    Boolean,
    /// A JSON object, read by the handler.
    Object,
}

#[derive(Debug, Clone, Copy)]
pub struct Field {
    pub name: &'static str,
    pub kind: Kind,
    pub required: bool,
    /// An explicit `null` is accepted (and means "clear it").
    pub nullable: bool,
    pub min_chars: Option<usize>,
    pub max_chars: Option<usize>,
    pub about: &'static str,
}

impl Field {
    pub const fn required(name: &'static str, kind: Kind, about: &'static str) -> Field {
        Field {
            name,
            kind,
            required: true,
            nullable: false,
            min_chars: None,
            max_chars: None,
            about,
        }
    }

    pub const fn optional(name: &'static str, kind: Kind, about: &'static str) -> Field {
        Field {
            required: false,
            ..Field::required(name, kind, about)
        }
    }

    pub const fn nullable(self) -> Field {
        Field {
            nullable: true,
            ..self
        }
    }

    pub const fn min(self, chars: usize) -> Field {
        Field {
            min_chars: Some(chars),
            ..self
        }
    }

    pub const fn max(self, chars: usize) -> Field {
        Field {
            max_chars: Some(chars),
            ..self
        }
    }
}

/// The request body an endpoint takes.
#[derive(Debug, Clone, Copy)]
pub enum Body {
    /// Not read (GET endpoints).
    None,
    /// A JSON object (zod's `z.object`); unknown fields are ignored.
    Object(&'static [Field]),
    /// As `Object`, and a missing body counts as `{}`.
    OptionalObject(&'static [Field]),
    /// A free-form object (zod's `z.record`) of which these fields are checked.
    Record(&'static [Field]),
}

impl Body {
    pub fn fields(self) -> &'static [Field] {
        match self {
            Body::None => &[],
            Body::Object(fields) | Body::OptionalObject(fields) | Body::Record(fields) => fields,
        }
    }
}

/// A JSON shape, for the contract.
#[derive(Debug, Clone, Copy)]
pub enum Shape {
    /// One of the shared `components.schemas`.
    Ref(&'static str),
    Object(&'static [Prop]),
    /// An object whose values all have one shape.
    Map(&'static Shape),
    Array(&'static Shape),
    String,
    /// A string in RFC 3339 date-time form.
    DateTime,
    Integer,
    Boolean,
    /// `true` only.
    True,
    Null,
    Nullable(&'static Shape),
    /// Any JSON value.
    Any,
}

#[derive(Debug, Clone, Copy)]
pub struct Prop {
    pub name: &'static str,
    pub shape: Shape,
    pub required: bool,
}

impl Prop {
    pub const fn req(name: &'static str, shape: Shape) -> Prop {
        Prop {
            name,
            shape,
            required: true,
        }
    }

    pub const fn opt(name: &'static str, shape: Shape) -> Prop {
        Prop {
            name,
            shape,
            required: false,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Media {
    Json,
    Html,
    /// A redirect (no body that matters): the `Location` header is the answer.
    Redirect,
}

/// One successful answer an endpoint gives.
#[derive(Debug, Clone, Copy)]
pub struct Answer {
    pub status: u16,
    pub media: Media,
    pub shape: Shape,
    pub about: &'static str,
}

impl Answer {
    pub const fn json(shape: Shape) -> Answer {
        Answer {
            status: 200,
            media: Media::Json,
            shape,
            about: "Success",
        }
    }

    pub const fn html(about: &'static str) -> Answer {
        Answer {
            status: 200,
            media: Media::Html,
            shape: Shape::String,
            about,
        }
    }

    pub const fn redirect(about: &'static str) -> Answer {
        Answer {
            status: 302,
            media: Media::Redirect,
            shape: Shape::Null,
            about,
        }
    }
}

/// A setting that turns an endpoint on.
#[derive(Clone, Copy)]
pub struct Switch {
    /// The variable, as the operator sets it.
    pub setting: &'static str,
    pub is_on: fn(&Config) -> bool,
}

/// An endpoint, declared once.
#[derive(Clone, Copy)]
pub struct Endpoint {
    pub verb: Verb,
    /// Below the base path; `:name` matches one path segment.
    pub path: &'static str,
    /// A stable name for the operation (better-auth's client method name where it has one).
    pub name: &'static str,
    pub summary: &'static str,
    pub requires: Requires,
    /// sign-in and sign-up: browsers must prove a trusted origin even without cookies.
    pub login: bool,
    /// Accepts `application/x-www-form-urlencoded` bodies as well as JSON.
    pub form: bool,
    /// The per-client rate rule (`None`: not limited).
    pub rate: Option<Rule>,
    pub body: Body,
    pub query: &'static [Field],
    pub answers: &'static [Answer],
    /// Error answers of the endpoint's own, beyond those the kernel gives from the declaration.
    pub errors: &'static [(u16, Code)],
    /// Error answers with a message and no code (as better-auth sends for a few checks).
    pub uncoded: &'static [(u16, &'static str)],
    /// The setting without which the endpoint answers a bodiless 404, as if it did not exist.
    pub enabled_by: Option<Switch>,
    pub handler: Handler,
}

impl Endpoint {
    pub const fn get(path: &'static str, name: &'static str, handler: Handler) -> Endpoint {
        Endpoint {
            verb: Verb::Get,
            path,
            name,
            summary: "",
            requires: Requires::Nothing,
            login: false,
            form: false,
            rate: Some(Rule::DEFAULT),
            body: Body::None,
            query: &[],
            answers: &[],
            errors: &[],
            uncoded: &[],
            enabled_by: None,
            handler,
        }
    }

    pub const fn post(path: &'static str, name: &'static str, handler: Handler) -> Endpoint {
        Endpoint {
            verb: Verb::Post,
            body: Body::OptionalObject(&[]),
            ..Endpoint::get(path, name, handler)
        }
    }

    /// The error answers the kernel gives from the declaration (`None`: a message without a
    /// code), before or around the handler.
    pub fn kernel_errors(&self) -> Vec<(u16, Option<Code>)> {
        let mut errors = vec![
            (403, Some(Code::InvalidCallbackUrl)),
            (431, Some(Code::HeadersTooLarge)),
            (500, Some(Code::InternalServerError)),
            (503, Some(Code::ServiceUnavailable)),
        ];
        let fields = self.body.fields().iter().chain(self.query);
        if !matches!(self.body, Body::None) || self.query.iter().any(|f| f.required) {
            errors.push((400, Some(Code::ValidationError)));
        }
        if self.verb == Verb::Post {
            errors.extend([
                (400, Some(Code::BadRequest)),
                (403, Some(Code::InvalidOrigin)),
                (403, Some(Code::MissingOrNullOrigin)),
                (413, Some(Code::PayloadTooLarge)),
                (415, Some(Code::UnsupportedMediaType)),
            ]);
            for field in fields.filter(|f| f.kind == Kind::Url) {
                let code = match field.name {
                    "redirectTo" => Code::InvalidRedirectUrl,
                    "errorCallbackURL" => Code::InvalidErrorCallbackUrl,
                    "newUserCallbackURL" => Code::InvalidNewUserCallbackUrl,
                    _ => Code::InvalidCallbackUrl,
                };
                errors.push((403, Some(code)));
            }
        }
        if self.login {
            errors.push((403, Some(Code::CrossSiteNavigationLoginBlocked)));
        }
        if self.rate.is_some() {
            errors.push((429, None));
        }
        match self.requires {
            Requires::Nothing => {}
            Requires::Session(_) => errors.push((401, Some(Code::Unauthorized))),
            Requires::FreshSession => errors.extend([
                (401, Some(Code::Unauthorized)),
                (403, Some(Code::SessionNotFresh)),
            ]),
            Requires::OperatorToken => {
                errors.extend([(401, Some(Code::Unauthorized)), (404, None)])
            }
        }
        errors.dedup();
        errors
    }

    /// Path parameters, in order (`:token` → `token`).
    pub fn path_params(&self) -> impl Iterator<Item = &'static str> {
        self.path.split('/').filter_map(|s| s.strip_prefix(':'))
    }

    /// Whether `path` is this endpoint's, and its parameters' values if so.
    pub fn match_path<'p>(&self, path: &'p str) -> Option<Vec<&'p str>> {
        if !self.path.contains(':') {
            return (self.path == path).then(Vec::new);
        }
        let mut params = Vec::new();
        let mut given = path.split('/');
        for declared in self.path.split('/') {
            let segment = given.next()?;
            if declared.starts_with(':') {
                if segment.is_empty() {
                    return None;
                }
                params.push(segment);
            } else if declared != segment {
                return None;
            }
        }
        given.next().is_none().then_some(params)
    }
}

/// A feature's part of the catalogue: its endpoints and the shared shapes it names.
pub struct Feature {
    pub name: &'static str,
    pub about: &'static str,
    pub endpoints: &'static [Endpoint],
    pub schemas: &'static [(&'static str, Shape)],
}

/// Every endpoint of the service, grouped by feature.
pub type Catalogue = &'static [&'static Feature];

/// The endpoint for `method` and `path` and its path parameters; known paths asked with another
/// method and unknown paths are a bodiless 404, as in better-auth.
pub fn resolve<'p>(
    catalogue: Catalogue,
    method: &http::Method,
    path: &'p str,
) -> Result<(&'static Endpoint, Vec<&'p str>), ApiError> {
    catalogue
        .iter()
        .flat_map(|f| f.endpoints.iter())
        .filter(|e| e.verb.matches(method))
        .find_map(|e| e.match_path(path).map(|params| (e, params)))
        .ok_or_else(ApiError::not_found)
}

/// Every endpoint, in catalogue order.
pub fn endpoints(catalogue: Catalogue) -> impl Iterator<Item = &'static Endpoint> {
    catalogue.iter().flat_map(|f| f.endpoints.iter())
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn nothing(_: &mut Ctx<'_>) -> Result<Reply, ApiError> {
        Ok(Reply::null())
    }

    const TOKEN_LINK: Endpoint =
        Endpoint::get("/reset-password/:token", "x", crate::handler!(nothing));

    #[test]
    fn a_parameter_matches_one_non_empty_segment() {
        assert_eq!(
            TOKEN_LINK.match_path("/reset-password/abc"),
            Some(vec!["abc"])
        );
        assert_eq!(TOKEN_LINK.match_path("/reset-password/"), None);
        assert_eq!(TOKEN_LINK.match_path("/reset-password/a/b"), None);
        assert_eq!(TOKEN_LINK.match_path("/reset-password"), None);
        assert_eq!(TOKEN_LINK.path_params().collect::<Vec<_>>(), ["token"]);
    }
}
