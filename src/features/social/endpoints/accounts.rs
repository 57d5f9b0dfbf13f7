//! A signed-in user's provider accounts: linking one (`link-social`), unlinking one, the provider's
//! access token (refreshed when it is about to expire, or on demand), and the provider's profile.

use super::{flow, from_id_token, named_provider, start};
use crate::error::{ApiError, Code};
use crate::features::social::exchange;
use crate::features::social::id_token;
use crate::features::social::linking::{self, Refusal};
use crate::features::social::profile;
use crate::features::social::providers::Provider;
use crate::features::social::state::LinkIntent;
use crate::features::social::tokens;
use crate::kernel::context::Ctx;
use crate::kernel::response::Reply;
use crate::session::ActiveSession;
use crate::storage::accounts::{self, ProviderAccount, ProviderTokens};
use crate::time::{parse_iso, to_iso, SECOND};
use serde_json::json;

pub async fn link_social(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    let session = ctx.signed_in()?;
    let provider_id = ctx.input.exact_text("provider").unwrap_or_default();
    let provider = named_provider(ctx, &provider_id).await?;
    let intent = LinkIntent {
        user_id: session.user.id.clone(),
        email: session.user.email.clone(),
        session_id: None,
    };
    let Some(given) = ctx.input.raw("idToken").cloned() else {
        let mut flow = flow(ctx, &provider_id);
        flow.link = Some(intent);
        return start(ctx, &provider, flow).await;
    };
    let (profile, stored) = from_id_token(ctx, &provider, &given).await?;
    match linking::link(ctx, &provider_id, &profile, &stored, &[], &intent).await {
        Ok(()) => Ok(Reply::json(
            json!({ "url": "", "status": true, "redirect": false }),
        )),
        Err(Refusal::AlreadyLinkedToAnotherUser) => {
            Err(ApiError::new(409, Code::SocialAccountAlreadyLinked))
        }
        Err(Refusal::EmailDoesNotMatch) => {
            Err(ApiError::new(401, Code::LinkingDifferentEmailsNotAllowed))
        }
        Err(Refusal::Api(e)) => Err(e),
        Err(_) => Err(ApiError::new(401, Code::LinkingNotAllowed)),
    }
}

/// Unlinks one of the user's accounts (by its row id, as `list-accounts` shows it), never the last
/// unless `ACCOUNT_LINKING_ALLOW_UNLINKING_ALL`.
pub async fn unlink_account(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    let session = ctx.signed_in()?;
    let id = ctx.input.exact_text("accountId").unwrap_or_default();
    let sql = ctx.drivers.sql.as_ref();
    let allow_last = ctx.config.social.linking.allow_unlinking_all;
    let owned = accounts::list_for_user(sql, &session.user.id).await?;
    if owned.len() == 1 && !allow_last {
        return Err(ApiError::new(400, Code::FailedToUnlinkLastAccount));
    }
    if !owned.iter().any(|a| a.id == id) {
        return Err(ApiError::new(400, Code::AccountNotFound));
    }
    if sql
        .execute(accounts::delete_owned(&session.user.id, &id, allow_last))
        .await?
        == 0
    {
        return Err(ApiError::new(400, Code::FailedToUnlinkLastAccount));
    }
    Ok(Reply::json(json!({ "status": true })))
}

/// The signed-in user's account `accountId` (a body or query field) and its configured provider.
async fn account_and_provider<'c>(
    ctx: &Ctx<'c>,
    session: &ActiveSession,
    account_id: &str,
    unconfigured: fn(&str) -> ApiError,
) -> Result<(ProviderAccount, Provider<'c>), ApiError> {
    let account = accounts::find_owned(ctx.drivers.sql.as_ref(), &session.user.id, account_id)
        .await?
        .ok_or_else(|| ApiError::new(400, Code::AccountNotFound))?;
    match named_provider(ctx, &account.provider_id).await {
        Ok(provider) => Ok((account, provider)),
        Err(e) if e.status == 404 => Err(unconfigured(&account.provider_id)),
        Err(e) => Err(e),
    }
}

fn not_supported(provider_id: &str) -> ApiError {
    ApiError::with_message(
        400,
        Code::ProviderNotSupported,
        format!("Provider {provider_id} is not supported."),
    )
}

fn not_configured(_: &str) -> ApiError {
    ApiError::new(400, Code::ProviderNotConfigured)
}

/// Refreshes the account's tokens and stores them (a refresh token, ID token or expiry the
/// provider does not send again is kept); the account as it now is, tokens in clear.
async fn refreshed(
    ctx: &Ctx<'_>,
    provider: &Provider<'_>,
    account: &ProviderAccount,
    failure: Code,
) -> Result<ProviderAccount, ApiError> {
    let fail = |e: String| ApiError::new(400, failure).caused_by(e);
    let stored = account
        .refresh_token
        .as_deref()
        .ok_or_else(|| ApiError::new(400, Code::RefreshTokenNotFound))?;
    let refresh_token = tokens::open(ctx.config, stored).map_err(|e| fail(e.to_string()))?;
    let fresh = exchange::refresh(ctx.drivers, provider, &refresh_token, ctx.now)
        .await
        .map_err(|e| fail(e.to_string()))?;
    let seal = |t: &Option<String>| {
        t.as_deref()
            .map(|t| tokens::seal(ctx.config, t))
            .transpose()
    };
    let update = ProviderTokens {
        access_token: seal(&fresh.access_token).map_err(|e| fail(e.to_string()))?,
        refresh_token: seal(&fresh.refresh_token).map_err(|e| fail(e.to_string()))?,
        id_token: fresh.id_token.clone(),
        access_token_expires_at: fresh.access_token_expires_at.map(to_iso),
        refresh_token_expires_at: fresh.refresh_token_expires_at.map(to_iso),
    };
    let now_iso = to_iso(ctx.now);
    ctx.drivers
        .sql
        .execute(accounts::update_tokens(
            &account.id,
            &update,
            None,
            &now_iso,
        ))
        .await?;
    Ok(ProviderAccount {
        access_token: fresh.access_token,
        refresh_token: fresh.refresh_token.or(Some(refresh_token)),
        id_token: fresh.id_token.or_else(|| account.id_token.clone()),
        access_token_expires_at: update
            .access_token_expires_at
            .or_else(|| account.access_token_expires_at.clone()),
        refresh_token_expires_at: update
            .refresh_token_expires_at
            .or_else(|| account.refresh_token_expires_at.clone()),
        ..account.clone()
    })
}

/// The account with its access token in clear, refreshed first when it expires within 5 s.
async fn valid_tokens(
    ctx: &Ctx<'_>,
    provider: &Provider<'_>,
    account: ProviderAccount,
) -> Result<ProviderAccount, ApiError> {
    let expiring = account
        .access_token_expires_at
        .as_deref()
        .and_then(parse_iso)
        .is_some_and(|at| at - ctx.now < 5 * SECOND);
    if expiring && account.refresh_token.is_some() {
        return refreshed(ctx, provider, &account, Code::FailedToGetAccessToken).await;
    }
    let access_token = match account.access_token.as_deref() {
        Some(stored) => Some(
            tokens::open(ctx.config, stored)
                .map_err(|e| ApiError::new(400, Code::FailedToGetAccessToken).caused_by(e))?,
        ),
        None => None,
    };
    Ok(ProviderAccount {
        access_token,
        ..account
    })
}

fn scopes(account: &ProviderAccount) -> Vec<String> {
    account
        .scope
        .as_deref()
        .unwrap_or("")
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

pub async fn get_access_token(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    let session = ctx.signed_in()?;
    let id = ctx.input.exact_text("accountId").unwrap_or_default();
    let (account, provider) = account_and_provider(ctx, &session, &id, not_supported).await?;
    let account = valid_tokens(ctx, &provider, account).await?;
    let mut answer = json!({
        "accessToken": account.access_token,
        "scopes": scopes(&account),
    });
    if let Some(at) = &account.access_token_expires_at {
        answer["accessTokenExpiresAt"] = json!(at);
    }
    if let Some(id_token) = &account.id_token {
        answer["idToken"] = json!(id_token);
    }
    Ok(Reply::json(answer))
}

pub async fn refresh_token(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    let session = ctx.signed_in()?;
    let id = ctx.input.exact_text("accountId").unwrap_or_default();
    let (account, provider) = account_and_provider(ctx, &session, &id, not_supported).await?;
    let account = refreshed(ctx, &provider, &account, Code::FailedToRefreshAccessToken).await?;
    let mut answer = json!({
        "accessToken": account.access_token,
        "refreshToken": account.refresh_token,
        "accessTokenExpiresAt": account.access_token_expires_at,
        "refreshTokenExpiresAt": account.refresh_token_expires_at,
        "scope": account.scope,
        "providerId": account.provider_id,
        "accountId": account.id,
    });
    if let Some(id_token) = &account.id_token {
        answer["idToken"] = json!(id_token);
    }
    Ok(Reply::json(answer))
}

/// The provider's profile of the account: from the provider's API, or for OpenID providers from
/// the ID token verified when it was stored.
pub async fn account_info(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    let session = ctx.signed_in()?;
    let id = ctx.query("accountId").unwrap_or_default().to_string();
    let (account, provider) = account_and_provider(ctx, &session, &id, not_configured).await?;
    let account = valid_tokens(ctx, &provider, account).await?;
    let failed = || ApiError::new(401, Code::FailedToGetUserInfo);
    let found = if provider.is_openid() {
        let claims = account
            .id_token
            .as_deref()
            .and_then(id_token::stored_claims)
            .ok_or_else(failed)?;
        profile::from_claims(provider.kind(), &claims, None).map_err(|e| failed().caused_by(e))?
    } else {
        if account.access_token.is_none() {
            return Err(ApiError::new(400, Code::AccessTokenNotFound));
        }
        let tokens = exchange::Tokens {
            access_token: account.access_token.clone(),
            ..Default::default()
        };
        profile::fetch(ctx.drivers, &provider, &tokens, None, None, ctx.now)
            .await
            .map_err(|e| failed().caused_by(e))?
    };
    Ok(Reply::json(json!({
        "user": {
            "id": found.account_id,
            "name": found.name,
            "email": found.email,
            "image": found.image,
            "emailVerified": found.email_verified,
        },
        "data": found.raw,
        "account": { "id": account.id, "providerId": account.provider_id, "accountId": account.account_id },
    })))
}
