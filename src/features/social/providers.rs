//! What each kind of provider is, as better-auth 1.7 defines it: its endpoints (built in,
//! overridden by settings, or discovered), the scopes it asks, PKCE, whether it is an OpenID
//! provider (a nonce sent, its ID token verified), and the parameters it needs.

use super::remote::{self, RemoteError};
use crate::config::{Config, ProviderConfig, ProviderKind};
use crate::drivers::Drivers;
use crate::time::Millis;
use serde_json::Value;

/// A provider ready for a sign-in: its settings and resolved endpoints.
pub struct Provider<'a> {
    pub config: &'a ProviderConfig,
    pub authorization_url: String,
    pub token_url: String,
    /// The profile endpoint (`/user` for GitHub, the API base for its emails as well).
    pub userinfo_url: Option<String>,
    pub jwks_url: Option<String>,
    /// The issuers its ID tokens may name (empty: checked another way, as Microsoft's
    /// multi-tenant `common`).
    pub issuers: Vec<String>,
}

const GITHUB_API: &str = "https://api.github.com";
const MICROSOFT_AUTHORITY: &str = "https://login.microsoftonline.com";

impl Provider<'_> {
    pub fn kind(&self) -> ProviderKind {
        self.config.kind
    }

    /// An OpenID provider: it gets a nonce and its ID token is verified against its keys.
    pub fn is_openid(&self) -> bool {
        match self.kind() {
            ProviderKind::Google | ProviderKind::Microsoft | ProviderKind::Apple => true,
            ProviderKind::Generic => self.jwks_url.is_some() && !self.issuers.is_empty(),
            _ => false,
        }
    }

    /// Discord does not take PKCE; generic providers may turn it off.
    pub fn uses_pkce(&self) -> bool {
        self.kind() != ProviderKind::Discord && self.config.pkce
    }

    /// The provider's own scopes, then the configured ones, then the request's, without repeats.
    pub fn scopes(&self, requested: &[String]) -> Vec<String> {
        let built_in: &[&str] = match self.kind() {
            ProviderKind::Google => &["email", "profile", "openid"],
            ProviderKind::GitHub => &["read:user", "user:email"],
            ProviderKind::Microsoft => {
                &["openid", "profile", "email", "User.Read", "offline_access"]
            }
            ProviderKind::Apple => &["email", "name"],
            ProviderKind::Discord => &["identify", "email"],
            ProviderKind::GitLab => &["read_user"],
            ProviderKind::Generic => &[],
        };
        let mut scopes: Vec<String> = Vec::new();
        let all = built_in
            .iter()
            .map(|s| s.to_string())
            .chain(self.config.scopes.iter().cloned())
            .chain(requested.iter().cloned());
        for scope in all {
            if !scopes.contains(&scope) {
                scopes.push(scope);
            }
        }
        if self.kind() == ProviderKind::Generic
            && self.is_openid()
            && !scopes.iter().any(|s| s == "openid")
        {
            scopes.insert(0, "openid".into());
        }
        scopes
    }

    /// Parameters of the authorization request beyond the standard ones: the provider's own,
    /// then `prompt` and `access_type` as configured.
    pub fn extra_parameters(&self) -> Vec<(&'static str, String)> {
        let mut extra: Vec<(&'static str, String)> = match self.kind() {
            ProviderKind::Google => vec![("include_granted_scopes", "true".into())],
            ProviderKind::Apple => vec![("response_mode", "form_post".into())],
            _ => Vec::new(),
        };
        let prompt = match (&self.config.prompt, self.kind()) {
            (Some(prompt), _) => Some(prompt.clone()),
            (None, ProviderKind::Discord) => Some("none".into()),
            (None, _) => None,
        };
        extra.extend(prompt.map(|p| ("prompt", p)));
        extra.extend(self.config.access_type.clone().map(|a| ("access_type", a)));
        extra
    }

    /// Apple answers with the ID token in the front channel too.
    pub fn response_type(&self) -> &'static str {
        match self.kind() {
            ProviderKind::Apple => "code id_token",
            _ => "code",
        }
    }

    /// Only OpenID providers' tokens can sign people in directly (`idToken`).
    pub fn takes_id_tokens(&self) -> bool {
        self.is_openid()
    }
}

/// The provider `id` with its endpoints; `None` when it is not configured. Generic providers'
/// discovery documents are fetched once per isolate and kept as their `Cache-Control` says.
pub async fn resolve<'c>(
    config: &'c Config,
    drivers: &Drivers,
    id: &str,
    now: Millis,
) -> Result<Option<Provider<'c>>, RemoteError> {
    let Some(p) = config.social.provider(id) else {
        return Ok(None);
    };
    let or = |given: &Option<String>, default: String| given.clone().unwrap_or(default);
    let provider = match p.kind {
        ProviderKind::Google => Provider {
            config: p,
            authorization_url: or(
                &p.authorization_url,
                "https://accounts.google.com/o/oauth2/v2/auth".into(),
            ),
            token_url: or(&p.token_url, "https://oauth2.googleapis.com/token".into()),
            userinfo_url: None,
            jwks_url: Some(or(
                &p.jwks_url,
                "https://www.googleapis.com/oauth2/v3/certs".into(),
            )),
            issuers: match &p.issuer {
                Some(issuer) => vec![issuer.clone()],
                None => vec![
                    "https://accounts.google.com".into(),
                    "accounts.google.com".into(),
                ],
            },
        },
        ProviderKind::GitHub => Provider {
            config: p,
            authorization_url: or(
                &p.authorization_url,
                "https://github.com/login/oauth/authorize".into(),
            ),
            token_url: or(
                &p.token_url,
                "https://github.com/login/oauth/access_token".into(),
            ),
            userinfo_url: Some(or(&p.userinfo_url, GITHUB_API.into())),
            jwks_url: None,
            issuers: Vec::new(),
        },
        ProviderKind::Microsoft => {
            let authority = p
                .issuer
                .clone()
                .unwrap_or_else(|| MICROSOFT_AUTHORITY.into());
            let tenant = p.tenant.clone().unwrap_or_else(|| "common".into());
            let specific = !["common", "organizations", "consumers"].contains(&tenant.as_str());
            Provider {
                config: p,
                authorization_url: or(
                    &p.authorization_url,
                    format!("{authority}/{tenant}/oauth2/v2.0/authorize"),
                ),
                token_url: or(
                    &p.token_url,
                    format!("{authority}/{tenant}/oauth2/v2.0/token"),
                ),
                userinfo_url: None,
                jwks_url: Some(or(
                    &p.jwks_url,
                    format!("{authority}/{tenant}/discovery/v2.0/keys"),
                )),
                issuers: if specific {
                    vec![format!("{authority}/{tenant}/v2.0")]
                } else {
                    Vec::new()
                },
            }
        }
        ProviderKind::Apple => Provider {
            config: p,
            authorization_url: or(
                &p.authorization_url,
                "https://appleid.apple.com/auth/authorize".into(),
            ),
            token_url: or(&p.token_url, "https://appleid.apple.com/auth/token".into()),
            userinfo_url: None,
            jwks_url: Some(or(
                &p.jwks_url,
                "https://appleid.apple.com/auth/keys".into(),
            )),
            issuers: vec![or(&p.issuer, "https://appleid.apple.com".into())],
        },
        ProviderKind::Discord => Provider {
            config: p,
            authorization_url: or(
                &p.authorization_url,
                "https://discord.com/api/oauth2/authorize".into(),
            ),
            token_url: or(&p.token_url, "https://discord.com/api/oauth2/token".into()),
            userinfo_url: Some(or(
                &p.userinfo_url,
                "https://discord.com/api/users/@me".into(),
            )),
            jwks_url: None,
            issuers: Vec::new(),
        },
        ProviderKind::GitLab => {
            let base = p
                .issuer
                .clone()
                .unwrap_or_else(|| "https://gitlab.com".into());
            Provider {
                config: p,
                authorization_url: or(&p.authorization_url, format!("{base}/oauth/authorize")),
                token_url: or(&p.token_url, format!("{base}/oauth/token")),
                userinfo_url: Some(or(&p.userinfo_url, format!("{base}/api/v4/user"))),
                jwks_url: None,
                issuers: Vec::new(),
            }
        }
        ProviderKind::Generic => generic(config, drivers, p, now).await?,
    };
    Ok(Some(provider))
}

/// A generic provider: explicit URLs win over what its discovery document says.
async fn generic<'c>(
    config: &'c Config,
    drivers: &Drivers,
    p: &'c ProviderConfig,
    now: Millis,
) -> Result<Provider<'c>, RemoteError> {
    let discovered = match &p.discovery_url {
        Some(url) => remote::kept(drivers, url, now, false).await?,
        None => Value::Null,
    };
    let found = |name: &str| {
        discovered
            .get(name)
            .and_then(Value::as_str)
            .filter(|u| remote::acceptable(u, &config.base_origin))
            .map(str::to_string)
    };
    let missing = |what: &str| {
        RemoteError::NotJson(format!(
            "{} (no {what})",
            p.discovery_url.as_deref().unwrap_or(&p.id)
        ))
    };
    Ok(Provider {
        config: p,
        authorization_url: p
            .authorization_url
            .clone()
            .or_else(|| found("authorization_endpoint"))
            .ok_or_else(|| missing("authorization_endpoint"))?,
        token_url: p
            .token_url
            .clone()
            .or_else(|| found("token_endpoint"))
            .ok_or_else(|| missing("token_endpoint"))?,
        userinfo_url: p
            .userinfo_url
            .clone()
            .or_else(|| found("userinfo_endpoint")),
        jwks_url: p.jwks_url.clone().or_else(|| found("jwks_uri")),
        issuers: p
            .issuer
            .clone()
            .or_else(|| {
                discovered
                    .get("issuer")
                    .and_then(Value::as_str)
                    .map(str::to_string)
            })
            .into_iter()
            .collect(),
    })
}
