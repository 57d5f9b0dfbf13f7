//! Who a provider's user is here, with better-auth's account linking rules: an account already
//! linked signs its user in; an address that matches a user links to it only when linking is on,
//! the provider is trusted or vouches for the address, and the user's own address is verified;
//! otherwise a new user is made (and synced, like a sign-up). `link-social` links to the signed-in
//! user instead, when the addresses agree or differing ones are allowed.

use super::profile::Profile;
use super::state::LinkIntent;
use crate::crypto::random;
use crate::error::ApiError;
use crate::features::sync::{self, SyncChange};
use crate::kernel::context::Ctx;
use crate::session::NewSession;
use crate::storage::accounts::{self, ProviderTokens};
use crate::storage::users::{self, User};
use crate::storage::StorageError;
use crate::time::to_iso;

/// Why a provider's user gets no session (the callback's `?error=` codes).
#[derive(Debug)]
pub enum Refusal {
    AccountNotLinked,
    EmailNotFound,
    UnableToLinkAccount,
    UnableToCreateUser,
    EmailDoesNotMatch,
    AlreadyLinkedToAnotherUser,
    /// A refusal with its own code and message (a banned user), or a failure of ours.
    Api(ApiError),
}

impl Refusal {
    pub fn code(&self) -> &'static str {
        match self {
            Refusal::AccountNotLinked => "account_not_linked",
            Refusal::EmailNotFound => "email_not_found",
            Refusal::UnableToLinkAccount => "unable_to_link_account",
            Refusal::UnableToCreateUser => "unable_to_create_user",
            Refusal::EmailDoesNotMatch => "email_does_not_match",
            Refusal::AlreadyLinkedToAnotherUser => "account_already_linked_to_different_user",
            Refusal::Api(e) => e.code().unwrap_or("internal_server_error"),
        }
    }

    /// better-auth's message for the `idToken` answers (`OAUTH_LINK_ERROR`).
    pub fn message(&self) -> String {
        match self {
            Refusal::Api(e) => e
                .body
                .as_ref()
                .map(|b| b.message.clone())
                .unwrap_or_default(),
            other => other.code().replace('_', " "),
        }
    }
}

impl From<ApiError> for Refusal {
    fn from(e: ApiError) -> Refusal {
        Refusal::Api(e)
    }
}

impl From<crate::crypto::random::RandomError> for Refusal {
    fn from(e: crate::crypto::random::RandomError) -> Refusal {
        Refusal::Api(e.into())
    }
}

impl From<StorageError> for Refusal {
    fn from(e: StorageError) -> Refusal {
        Refusal::Api(e.into())
    }
}

/// A user signed in through a provider, with the session opened for them.
pub struct SignedIn {
    pub user: User,
    pub session: NewSession,
    pub new_user: bool,
}

fn is_trusted(ctx: &Ctx<'_>, provider_id: &str) -> bool {
    ctx.config
        .social
        .linking
        .trusted_providers
        .iter()
        .any(|p| p == provider_id)
}

/// Signs the provider's user in: by their linked account, by a matching address the rules allow
/// linking, or as a new user. `scope`: the scopes granted, comma-joined as better-auth stores them.
pub async fn sign_in(
    ctx: &mut Ctx<'_>,
    provider_id: &str,
    profile: &Profile,
    tokens: &ProviderTokens,
    scope: &str,
) -> Result<SignedIn, Refusal> {
    let sql = ctx.drivers.sql.as_ref();
    let now_iso = to_iso(ctx.now);
    let sessions = ctx.sessions();
    if let Some(account) = accounts::find_by_provider(sql, provider_id, &profile.account_id).await?
    {
        let user = users::find_by_id(sql, &account.user_id)
            .await?
            .ok_or(Refusal::UnableToLinkAccount)?;
        sql.execute(accounts::update_tokens(&account.id, tokens, None, &now_iso))
            .await?;
        return signed_in_existing(ctx, user).await;
    }
    let email = profile.email.clone().ok_or(Refusal::EmailNotFound)?;
    if let Some(user) = users::find_by_email(sql, &email).await? {
        let linking = &ctx.config.social.linking;
        let vouched = is_trusted(ctx, provider_id) || profile.email_verified;
        if !linking.enabled || !vouched || !user.email_verified {
            return Err(Refusal::AccountNotLinked);
        }
        let link = new_account(&user.id, provider_id, profile, tokens, scope, &now_iso)?;
        sql.execute(link)
            .await
            .map_err(|_| Refusal::UnableToLinkAccount)?;
        return signed_in_existing(ctx, user).await;
    }
    let user = User {
        id: random::alphanumeric(32)?,
        name: profile.name.clone(),
        email,
        email_verified: profile.email_verified,
        image: profile.image.clone(),
        created_at: now_iso.clone(),
        updated_at: now_iso.clone(),
        role: Some(ctx.config.admin.default_role.clone()),
        ..User::default()
    };
    let session =
        sessions.new_session(&user.id, true, ctx.client_ip(), ctx.user_agent(), ctx.now)?;
    let mut batch = vec![
        users::insert(&user),
        new_account(&user.id, provider_id, profile, tokens, scope, &now_iso)?,
        session.insert(),
    ];
    batch.extend(sync::record(ctx, &user.id, SyncChange::Upsert)?);
    match ctx.drivers.sql.batch(batch).await {
        Ok(_) => {}
        Err(StorageError::Conflict(_)) => {
            ctx.synced_users.clear();
            return Err(Refusal::UnableToCreateUser);
        }
        Err(e) => return Err(e.into()),
    }
    ctx.sessions().cache(&session.record, &user, ctx.now).await;
    Ok(SignedIn {
        user,
        session,
        new_user: true,
    })
}

/// The provider's account, as a new row of `user_id`'s.
fn new_account(
    user_id: &str,
    provider_id: &str,
    profile: &Profile,
    tokens: &ProviderTokens,
    scope: &str,
    now_iso: &str,
) -> Result<crate::storage::Statement, Refusal> {
    Ok(accounts::insert_provider(
        &random::alphanumeric(32)?,
        user_id,
        provider_id,
        &profile.account_id,
        tokens,
        scope,
        now_iso,
    ))
}

/// A session for an existing user (a banned one gets `BANNED_USER`).
async fn signed_in_existing(ctx: &Ctx<'_>, user: User) -> Result<SignedIn, Refusal> {
    let sessions = ctx.sessions();
    let session =
        sessions.new_session(&user.id, true, ctx.client_ip(), ctx.user_agent(), ctx.now)?;
    sessions.store(&session, &user, ctx.now).await?;
    Ok(SignedIn {
        user,
        session,
        new_user: false,
    })
}

/// Links the provider's account to the user `intent` names (`link-social`).
pub async fn link(
    ctx: &Ctx<'_>,
    provider_id: &str,
    profile: &Profile,
    tokens: &ProviderTokens,
    scopes: &[String],
    intent: &LinkIntent,
) -> Result<(), Refusal> {
    let linking = &ctx.config.social.linking;
    if !linking.enabled || !(is_trusted(ctx, provider_id) || profile.email_verified) {
        return Err(Refusal::UnableToLinkAccount);
    }
    let same_address = profile
        .email
        .as_deref()
        .is_some_and(|e| e.eq_ignore_ascii_case(&intent.email));
    if !same_address && !linking.allow_different_emails {
        return Err(Refusal::EmailDoesNotMatch);
    }
    let sql = ctx.drivers.sql.as_ref();
    let now_iso = to_iso(ctx.now);
    match accounts::find_by_provider(sql, provider_id, &profile.account_id).await? {
        Some(account) if account.user_id != intent.user_id => {
            Err(Refusal::AlreadyLinkedToAnotherUser)
        }
        Some(account) => {
            let merged = merge_scopes(account.scope.as_deref().unwrap_or(""), scopes);
            sql.execute(accounts::update_tokens(
                &account.id,
                tokens,
                Some(&merged),
                &now_iso,
            ))
            .await?;
            Ok(())
        }
        None => {
            let insert = new_account(
                &intent.user_id,
                provider_id,
                profile,
                tokens,
                &scopes.join(","),
                &now_iso,
            )?;
            sql.execute(insert)
                .await
                .map_err(|_| Refusal::UnableToLinkAccount)?;
            Ok(())
        }
    }
}

/// The stored scopes (comma-joined) with the new ones after them, each once.
pub fn merge_scopes(stored: &str, new: &[String]) -> String {
    let mut all: Vec<String> = stored
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect();
    for scope in new {
        if !all.contains(scope) {
            all.push(scope.clone());
        }
    }
    all.join(",")
}
