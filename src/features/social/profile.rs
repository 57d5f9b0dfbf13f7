//! Who signed in, as each provider tells it, mapped onto better-auth's user fields as its
//! providers map them: from the verified ID token for OpenID providers (with the userinfo
//! endpoint where the token lacks the address), from `/user` and `/user/emails` for GitHub, from
//! the profile API for Discord, GitLab and plain OAuth 2.0 providers.

use super::exchange::Tokens;
use super::id_token::{self, Expected, IdTokenError};
use super::providers::Provider;
use super::remote::{self, RemoteError};
use crate::config::ProviderKind;
use crate::drivers::Drivers;
use crate::time::Millis;
use serde_json::{Map, Value};
use thiserror::Error;

/// A provider's user: the account id, the address and whether the provider vouches for it.
#[derive(Debug, Clone, PartialEq)]
pub struct Profile {
    pub account_id: String,
    pub email: Option<String>,
    pub email_verified: bool,
    pub name: String,
    pub image: Option<String>,
    /// The provider's own answer (for `account-info`).
    pub raw: Value,
}

#[derive(Debug, Error)]
pub enum ProfileError {
    #[error("no ID token from an OpenID provider")]
    NoIdToken,
    #[error("ID token refused: {0}")]
    IdToken(#[from] IdTokenError),
    #[error("{0}")]
    Remote(#[from] RemoteError),
    #[error("the profile lacks {0}")]
    Incomplete(&'static str),
    #[error("the userinfo subject is not the ID token's")]
    SubjectMismatch,
    #[error("the account is not active")]
    Inactive,
}

fn text(v: &Value, name: &str) -> Option<String> {
    match v.get(name) {
        Some(Value::String(s)) if !s.is_empty() => Some(s.clone()),
        Some(Value::Number(n)) => Some(n.to_string()),
        _ => None,
    }
}

/// `true`, or the string `"true"` (Apple), is verified.
fn flag(v: &Value, name: &str) -> bool {
    matches!(v.get(name), Some(Value::Bool(true)))
        || v.get(name).and_then(Value::as_str) == Some("true")
}

/// The verified claims of the provider's ID token; a token naming a key the kept JWKS lacks
/// fetches the set again (keys rotate), at most once a minute.
pub async fn verified_claims(
    drivers: &Drivers,
    provider: &Provider<'_>,
    token: &str,
    nonce: Option<&str>,
    max_age: Option<Millis>,
    now: Millis,
) -> Result<Map<String, Value>, ProfileError> {
    let jwks_url = provider
        .jwks_url
        .as_deref()
        .ok_or(ProfileError::NoIdToken)?;
    let expected = Expected {
        issuers: &provider.issuers,
        client_id: &provider.config.client_id,
        nonce,
        now,
        max_age,
    };
    let keys = |jwks: &Value| {
        jwks.get("keys")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default()
    };
    let jwks = remote::kept(drivers, jwks_url, now, false).await?;
    let claims = match id_token::verify(token, &keys(&jwks), &expected) {
        Err(IdTokenError::UnknownKey) => {
            let jwks = remote::kept(drivers, jwks_url, now, true).await?;
            id_token::verify(token, &keys(&jwks), &expected)?
        }
        other => other?,
    };
    if provider.kind() == ProviderKind::Microsoft && provider.issuers.is_empty() {
        // Multi-tenant: the issuer must be the tenant the token says it is from.
        let authority = provider
            .config
            .issuer
            .as_deref()
            .unwrap_or("https://login.microsoftonline.com");
        let tenant = claims
            .get("tid")
            .and_then(Value::as_str)
            .unwrap_or_default();
        if claims.get("iss").and_then(Value::as_str) != Some(&format!("{authority}/{tenant}/v2.0"))
            || tenant.is_empty()
        {
            return Err(IdTokenError::Issuer.into());
        }
    }
    Ok(claims)
}

/// The user an OpenID provider's verified claims describe (Microsoft's account id is `oid`;
/// Apple's name comes from the `user` field of the first sign-in).
pub fn from_claims(
    kind: ProviderKind,
    claims: &Map<String, Value>,
    apple_user: Option<&Value>,
) -> Result<Profile, ProfileError> {
    let raw = Value::Object(claims.clone());
    let id_claim = if kind == ProviderKind::Microsoft {
        "oid"
    } else {
        "sub"
    };
    let account_id = text(&raw, id_claim).ok_or(ProfileError::Incomplete(id_claim))?;
    let mut name = text(&raw, "name").unwrap_or_default();
    if let Some(given) = apple_user.and_then(|u| u.get("name")) {
        let part = |n: &str| given.get(n).and_then(Value::as_str).unwrap_or("");
        name = format!("{} {}", part("firstName"), part("lastName"))
            .trim()
            .to_string();
    }
    Ok(Profile {
        account_id,
        email: text(&raw, "email").map(|e| e.to_lowercase()),
        email_verified: flag(&raw, "email_verified"),
        name,
        image: text(&raw, "picture"),
        raw,
    })
}

/// The user behind `tokens` from `provider`. `nonce`: the one the sign-in sent.
pub async fn fetch(
    drivers: &Drivers,
    provider: &Provider<'_>,
    tokens: &Tokens,
    nonce: Option<&str>,
    apple_user: Option<&Value>,
    now: Millis,
) -> Result<Profile, ProfileError> {
    let bearer = || {
        tokens
            .access_token
            .as_ref()
            .map(|t| vec![("authorization", format!("Bearer {t}"))])
            .unwrap_or_default()
    };
    if provider.is_openid() {
        let token = tokens.id_token.as_deref().ok_or(ProfileError::NoIdToken)?;
        let claims = verified_claims(drivers, provider, token, nonce, None, now).await?;
        let mut profile = from_claims(provider.kind(), &claims, apple_user)?;
        if profile.email.is_none() {
            if let Some(url) = &provider.userinfo_url {
                let info = remote::get(drivers, url, bearer()).await?;
                if text(&info, "sub").as_deref() != claims.get("sub").and_then(Value::as_str) {
                    return Err(ProfileError::SubjectMismatch);
                }
                profile.email = text(&info, "email").map(|e| e.to_lowercase());
                profile.email_verified = flag(&info, "email_verified");
                if profile.name.is_empty() {
                    profile.name = text(&info, "name").unwrap_or_default();
                }
                profile.image = profile.image.or_else(|| text(&info, "picture"));
            }
        }
        return Ok(profile);
    }
    let url = provider
        .userinfo_url
        .as_deref()
        .ok_or(ProfileError::Incomplete("a userinfo endpoint"))?;
    match provider.kind() {
        ProviderKind::GitHub => github(drivers, url, bearer()).await,
        ProviderKind::Discord => {
            let info = remote::get(drivers, url, bearer()).await?;
            Ok(discord(info)?)
        }
        ProviderKind::GitLab => gitlab(remote::get(drivers, url, bearer()).await?),
        _ => {
            let info = remote::get(drivers, url, bearer()).await?;
            Ok(Profile {
                account_id: text(&info, "id")
                    .or_else(|| text(&info, "sub"))
                    .ok_or(ProfileError::Incomplete("id"))?,
                email: text(&info, "email").map(|e| e.to_lowercase()),
                email_verified: flag(&info, "email_verified"),
                name: text(&info, "name").unwrap_or_default(),
                image: text(&info, "picture"),
                raw: info,
            })
        }
    }
}

/// GitHub: `/user`, then `/user/emails` for a private address and whether it is verified.
async fn github(
    drivers: &Drivers,
    api: &str,
    bearer: Vec<(&'static str, String)>,
) -> Result<Profile, ProfileError> {
    let mut headers = bearer;
    headers.push(("user-agent", "portcullis".into()));
    let user = remote::get(drivers, &format!("{api}/user"), headers.clone()).await?;
    let emails = remote::get(drivers, &format!("{api}/user/emails"), headers)
        .await
        .ok()
        .and_then(|e| e.as_array().cloned())
        .unwrap_or_default();
    let email = text(&user, "email").or_else(|| {
        emails
            .iter()
            .find(|e| flag(e, "primary"))
            .or_else(|| emails.first())
            .and_then(|e| text(e, "email"))
    });
    let email_verified = email.as_deref().is_some_and(|address| {
        emails
            .iter()
            .any(|e| text(e, "email").as_deref() == Some(address) && flag(e, "verified"))
    });
    Ok(Profile {
        account_id: text(&user, "id").ok_or(ProfileError::Incomplete("id"))?,
        email: email.map(|e| e.to_lowercase()),
        email_verified,
        name: text(&user, "name")
            .or_else(|| text(&user, "login"))
            .unwrap_or_default(),
        image: text(&user, "avatar_url"),
        raw: user,
    })
}

/// GitLab: active, unlocked users only.
fn gitlab(info: Value) -> Result<Profile, ProfileError> {
    if info.get("state").and_then(Value::as_str) != Some("active") || flag(&info, "locked") {
        return Err(ProfileError::Inactive);
    }
    Ok(Profile {
        account_id: text(&info, "id").ok_or(ProfileError::Incomplete("id"))?,
        email: text(&info, "email").map(|e| e.to_lowercase()),
        email_verified: flag(&info, "email_verified"),
        name: text(&info, "name")
            .or_else(|| text(&info, "username"))
            .unwrap_or_default(),
        image: text(&info, "avatar_url"),
        raw: info,
    })
}

/// Discord: the avatar's CDN address (or the default avatar's), and `verified`.
fn discord(info: Value) -> Result<Profile, ProfileError> {
    let id = text(&info, "id").ok_or(ProfileError::Incomplete("id"))?;
    let image = match text(&info, "avatar") {
        Some(avatar) => {
            let ext = if avatar.starts_with("a_") {
                "gif"
            } else {
                "png"
            };
            format!("https://cdn.discordapp.com/avatars/{id}/{avatar}.{ext}")
        }
        None => {
            let index = match text(&info, "discriminator").as_deref() {
                None | Some("0") => id.parse::<u64>().map(|n| (n >> 22) % 6).unwrap_or(0),
                Some(d) => d.parse::<u64>().map(|n| n % 5).unwrap_or(0),
            };
            format!("https://cdn.discordapp.com/embed/avatars/{index}.png")
        }
    };
    Ok(Profile {
        email: text(&info, "email").map(|e| e.to_lowercase()),
        email_verified: flag(&info, "verified"),
        name: text(&info, "global_name")
            .or_else(|| text(&info, "username"))
            .unwrap_or_default(),
        image: Some(image),
        account_id: id,
        raw: info,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn claims(v: Value) -> Map<String, Value> {
        v.as_object().unwrap().clone()
    }

    #[test]
    fn openid_claims_map_onto_the_user() {
        let google = claims(
            json!({"sub": "1", "email": "Ada@Example.com", "email_verified": true, "name": "Ada", "picture": "https://p/a.png"}),
        );
        let p = from_claims(ProviderKind::Google, &google, None).unwrap();
        assert_eq!(
            (p.account_id.as_str(), p.email.as_deref(), p.email_verified),
            ("1", Some("ada@example.com"), true)
        );
        assert_eq!(
            (p.name.as_str(), p.image.as_deref()),
            ("Ada", Some("https://p/a.png"))
        );
    }

    #[test]
    fn microsoft_accounts_are_their_object_id() {
        let c = claims(json!({"sub": "pairwise", "oid": "object-id", "email": "a@b.c"}));
        assert_eq!(
            from_claims(ProviderKind::Microsoft, &c, None)
                .unwrap()
                .account_id,
            "object-id"
        );
        let no_oid = claims(json!({"sub": "pairwise"}));
        assert!(from_claims(ProviderKind::Microsoft, &no_oid, None).is_err());
    }

    #[test]
    fn apple_names_come_from_the_first_sign_in_and_verified_may_be_a_string() {
        let c = claims(
            json!({"sub": "001", "email": "x@privaterelay.appleid.com", "email_verified": "true"}),
        );
        let user = json!({"name": {"firstName": "Grace", "lastName": "Hopper"}});
        let p = from_claims(ProviderKind::Apple, &c, Some(&user)).unwrap();
        assert_eq!(p.name, "Grace Hopper");
        assert!(p.email_verified);
        assert_eq!(p.image, None);
    }

    #[test]
    fn discord_avatars_and_names() {
        let own = discord(json!({"id": "80351110224678912", "username": "nelly", "global_name": "Nelly", "avatar": "a_1269e74af4df7417b13759eae50c83dc", "email": "n@d.com", "verified": true})).unwrap();
        assert_eq!(own.image.as_deref(), Some("https://cdn.discordapp.com/avatars/80351110224678912/a_1269e74af4df7417b13759eae50c83dc.gif"));
        assert_eq!(own.name, "Nelly");
        assert!(own.email_verified);
        let legacy =
            discord(json!({"id": "1", "username": "old", "discriminator": "1337", "avatar": null}))
                .unwrap();
        assert_eq!(
            legacy.image.as_deref(),
            Some("https://cdn.discordapp.com/embed/avatars/2.png")
        );
        let migrated = discord(json!({"id": "80351110224678912", "username": "new", "discriminator": "0", "avatar": null})).unwrap();
        let index = (80351110224678912u64 >> 22) % 6;
        assert_eq!(
            migrated.image,
            Some(format!(
                "https://cdn.discordapp.com/embed/avatars/{index}.png"
            ))
        );
    }

    #[test]
    fn gitlab_refuses_inactive_or_locked_users() {
        let active = json!({"id": 7, "username": "tanuki", "name": null, "email": "t@g.com", "state": "active", "avatar_url": "https://g/a.png"});
        let p = gitlab(active.clone()).unwrap();
        assert_eq!(
            (p.account_id.as_str(), p.name.as_str(), p.email_verified),
            ("7", "tanuki", false)
        );
        let mut blocked = active.clone();
        blocked["state"] = json!("blocked");
        assert!(matches!(gitlab(blocked), Err(ProfileError::Inactive)));
        let mut locked = active;
        locked["locked"] = json!(true);
        assert!(matches!(gitlab(locked), Err(ProfileError::Inactive)));
    }
}
