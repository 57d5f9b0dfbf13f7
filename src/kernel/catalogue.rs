//! The endpoint declaration: what an endpoint is (method, path, inputs, requirements, rate rule,
//! answers, error codes), written once in its feature's module. The kernel routes and checks
//! requests from it, and the OpenAPI contract is generated from it.

pub use super::answers::{Answer, Media, Prop, Shape};
use super::context::Ctx;
pub use super::fields::{Body, Field, Kind};
use super::response::Reply;
use crate::config::Config;
use crate::error::{ApiError, Code};
use crate::rate_limit::Rule;
use crate::session::{ActiveSession, Source};
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

/// What checks a credential header's value and gives the session it stands for.
pub type CredentialCheck =
    for<'a, 'b> fn(
        &'a Ctx<'b>,
        String,
    ) -> Pin<Box<dyn Future<Output = Result<ActiveSession, ApiError>> + 'a>>;

/// A header that stands for a session on the endpoints that accept it (an API key), offered by
/// the feature that issues it.
#[derive(Clone, Copy)]
pub struct Credential {
    pub header: &'static str,
    pub is_on: fn(&Config) -> bool,
    pub check: CredentialCheck,
    /// What the check may answer instead of a session.
    pub refusals: &'static [(u16, Code)],
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
    /// The catalogue's [`Credential`] (an API key) may stand for the session.
    pub accepts_credential: bool,
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
            accepts_credential: false,
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
        match_path(self.path, path)
    }
}

/// Whether `path` fits the `declared` pattern (`:name` matches one non-empty segment), and the
/// parameters' values if so.
pub fn match_path<'p>(declared: &str, path: &'p str) -> Option<Vec<&'p str>> {
    if !declared.contains(':') {
        return (declared == path).then(Vec::new);
    }
    let mut params = Vec::new();
    let mut given = path.split('/');
    for part in declared.split('/') {
        let segment = given.next()?;
        if part.starts_with(':') {
            if segment.is_empty() {
                return None;
            }
            params.push(segment);
        } else if part != segment {
            return None;
        }
    }
    given.next().is_none().then_some(params)
}

/// A feature's part of the catalogue: its endpoints and the shared shapes it names.
pub struct Feature {
    pub name: &'static str,
    pub about: &'static str,
    pub endpoints: &'static [Endpoint],
    pub schemas: &'static [(&'static str, Shape)],
    /// The files in `migrations/` that create the feature's own tables.
    pub migrations: &'static [&'static str],
    /// A header the feature checks that may stand for a session.
    pub credential: Option<Credential>,
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
