//! Social sign-in settings: the built-in providers (each on when its client id and secret are set),
//! OpenID providers by discovery (`OIDC_PROVIDERS`), account linking, and token storage.

use super::{ConfigError, Origin, Secret};

/// How a provider signs people in; built-ins carry their endpoints and profile mapping.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProviderKind {
    Google,
    GitHub,
    Microsoft,
    Apple,
    Discord,
    GitLab,
    /// An OpenID provider by discovery, or a plain OAuth 2.0 provider by explicit URLs.
    Generic,
}

/// One provider as configured. Endpoint overrides replace the built-in (or discovered) ones.
#[derive(Debug, Clone)]
pub struct ProviderConfig {
    pub id: String,
    pub kind: ProviderKind,
    pub client_id: String,
    pub client_secret: Secret,
    pub discovery_url: Option<String>,
    pub authorization_url: Option<String>,
    pub token_url: Option<String>,
    pub userinfo_url: Option<String>,
    pub jwks_url: Option<String>,
    pub issuer: Option<String>,
    /// Scopes asked beyond the provider's own defaults (for generic providers, all of them).
    pub scopes: Vec<String>,
    /// PKCE S256 (generic providers may turn it off for servers that refuse it).
    pub pkce: bool,
    /// Microsoft's tenant (`common` unless set).
    pub tenant: Option<String>,
    /// `<P>_PROMPT`: the `prompt` sent (`consent`, `login`, `select_account`, `none`).
    pub prompt: Option<String>,
    /// `<P>_ACCESS_TYPE`: Google's `access_type` (`offline` for refresh tokens).
    pub access_type: Option<String>,
}

/// better-auth's `account.accountLinking`.
#[derive(Debug, Clone)]
pub struct LinkingConfig {
    /// `ACCOUNT_LINKING_ENABLED` (default on).
    pub enabled: bool,
    /// `ACCOUNT_LINKING_TRUSTED_PROVIDERS`: providers whose addresses link without their
    /// `email_verified`.
    pub trusted_providers: Vec<String>,
    /// `ACCOUNT_LINKING_ALLOW_DIFFERENT_EMAILS`: `link-social` may link an account whose address
    /// differs from the user's.
    pub allow_different_emails: bool,
    /// `ACCOUNT_LINKING_ALLOW_UNLINKING_ALL`: the last account may be unlinked.
    pub allow_unlinking_all: bool,
}

#[derive(Debug, Clone)]
pub struct SocialConfig {
    pub providers: Vec<ProviderConfig>,
    pub linking: LinkingConfig,
    /// `ENCRYPT_OAUTH_TOKENS` (default on): access and refresh tokens sealed as better-auth's
    /// `encryptOAuthTokens` does, so its rows read either way.
    pub encrypt_tokens: bool,
}

impl SocialConfig {
    pub fn provider(&self, id: &str) -> Option<&ProviderConfig> {
        self.providers.iter().find(|p| p.id == id)
    }
}

const BUILT_IN: [(&str, &str, ProviderKind); 6] = [
    ("google", "GOOGLE", ProviderKind::Google),
    ("github", "GITHUB", ProviderKind::GitHub),
    ("microsoft", "MICROSOFT", ProviderKind::Microsoft),
    ("apple", "APPLE", ProviderKind::Apple),
    ("discord", "DISCORD", ProviderKind::Discord),
    ("gitlab", "GITLAB", ProviderKind::GitLab),
];

fn invalid(name: String, reason: impl Into<String>) -> ConfigError {
    ConfigError::InvalidSetting {
        name,
        reason: reason.into(),
    }
}

/// Reads the social settings through `get` (trimmed, empty values unset).
pub fn read(
    get: &dyn Fn(&str) -> Option<String>,
    base_origin: &Origin,
    flag: &dyn Fn(&'static str, bool) -> Result<bool, ConfigError>,
) -> Result<SocialConfig, ConfigError> {
    let url = |name: String| -> Result<Option<String>, ConfigError> {
        match get(&name) {
            None => Ok(None),
            Some(value) => match Origin::parse_url(&value) {
                Some((origin, _))
                    if origin.is_https() || origin.is_loopback() || !base_origin.is_https() =>
                {
                    Ok(Some(value.trim_end_matches('/').to_string()))
                }
                Some(_) => Err(invalid(name, "must use https when BETTER_AUTH_URL does")),
                None => Err(invalid(
                    name,
                    format!("{value:?} is not an absolute http(s) URL"),
                )),
            },
        }
    };
    let list = |name: String| -> Vec<String> {
        get(&name)
            .map(|v| {
                v.split([',', ' '])
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default()
    };
    let provider = |id: &str,
                    prefix: &str,
                    kind: ProviderKind|
     -> Result<Option<ProviderConfig>, ConfigError> {
        let client_id = get(&format!("{prefix}_CLIENT_ID"));
        let client_secret = get(&format!("{prefix}_CLIENT_SECRET"));
        let (client_id, client_secret) = match (client_id, client_secret) {
            (None, None) => return Ok(None),
            (Some(id), Some(secret)) => (id, secret),
            (Some(_), None) => {
                return Err(ConfigError::MissingSetting(format!(
                    "{prefix}_CLIENT_SECRET"
                )))
            }
            (None, Some(_)) => {
                return Err(ConfigError::MissingSetting(format!("{prefix}_CLIENT_ID")))
            }
        };
        let pkce = match get(&format!("{prefix}_PKCE")).as_deref() {
            None | Some("true") | Some("1") => true,
            Some("false") | Some("0") => false,
            Some(v) => {
                return Err(invalid(
                    format!("{prefix}_PKCE"),
                    format!("expected true or false, got {v:?}"),
                ))
            }
        };
        let config = ProviderConfig {
            id: id.to_string(),
            kind,
            client_id,
            client_secret: Secret(client_secret),
            discovery_url: url(format!("{prefix}_DISCOVERY_URL"))?,
            authorization_url: url(format!("{prefix}_AUTHORIZATION_URL"))?,
            token_url: url(format!("{prefix}_TOKEN_URL"))?,
            userinfo_url: url(format!("{prefix}_USERINFO_URL"))?,
            jwks_url: url(format!("{prefix}_JWKS_URL"))?,
            issuer: url(format!("{prefix}_ISSUER"))?,
            scopes: list(format!("{prefix}_SCOPES")),
            pkce,
            tenant: get(&format!("{prefix}_TENANT_ID")),
            prompt: match get(&format!("{prefix}_PROMPT")) {
                Some(p)
                    if p.split(' ')
                        .all(|v| ["none", "login", "consent", "select_account"].contains(&v)) =>
                {
                    Some(p)
                }
                Some(p) => {
                    return Err(invalid(
                        format!("{prefix}_PROMPT"),
                        format!("{p:?}: expected none, login, consent or select_account"),
                    ))
                }
                None => None,
            },
            access_type: match get(&format!("{prefix}_ACCESS_TYPE")).as_deref() {
                Some(v @ ("online" | "offline")) => Some(v.to_string()),
                Some(v) => {
                    return Err(invalid(
                        format!("{prefix}_ACCESS_TYPE"),
                        format!("{v:?}: expected online or offline"),
                    ))
                }
                None => None,
            },
        };
        if kind == ProviderKind::Generic
            && config.discovery_url.is_none()
            && (config.authorization_url.is_none() || config.token_url.is_none())
        {
            return Err(ConfigError::MissingSetting(format!(
                "{prefix}_DISCOVERY_URL (or {prefix}_AUTHORIZATION_URL and {prefix}_TOKEN_URL)"
            )));
        }
        Ok(Some(config))
    };

    let mut providers = Vec::new();
    for (id, prefix, kind) in BUILT_IN {
        providers.extend(provider(id, prefix, kind)?);
    }
    for id in list("OIDC_PROVIDERS".into()) {
        let well_formed = id.len() <= 32
            && id
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_');
        if !well_formed {
            return Err(invalid(
                "OIDC_PROVIDERS".into(),
                format!("{id:?}: ids are up to 32 lower-case letters, digits, - or _"),
            ));
        }
        if providers.iter().any(|p: &ProviderConfig| p.id == id) {
            return Err(invalid(
                "OIDC_PROVIDERS".into(),
                format!("{id:?} is named twice"),
            ));
        }
        let prefix = format!("OIDC_{}", id.to_ascii_uppercase().replace('-', "_"));
        match provider(&id, &prefix, ProviderKind::Generic)? {
            Some(mut generic) => {
                if generic.scopes.is_empty() {
                    generic.scopes = ["openid", "email", "profile"].map(String::from).to_vec();
                }
                providers.push(generic);
            }
            None => return Err(ConfigError::MissingSetting(format!("{prefix}_CLIENT_ID"))),
        }
    }
    Ok(SocialConfig {
        providers,
        linking: LinkingConfig {
            enabled: flag("ACCOUNT_LINKING_ENABLED", true)?,
            trusted_providers: list("ACCOUNT_LINKING_TRUSTED_PROVIDERS".into()),
            allow_different_emails: flag("ACCOUNT_LINKING_ALLOW_DIFFERENT_EMAILS", false)?,
            allow_unlinking_all: flag("ACCOUNT_LINKING_ALLOW_UNLINKING_ALL", false)?,
        },
        encrypt_tokens: flag("ENCRYPT_OAUTH_TOKENS", true)?,
    })
}
