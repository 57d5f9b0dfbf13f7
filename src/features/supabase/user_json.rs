//! Users as Supabase shows them: better-auth's user, its accounts as `identities` and
//! `app_metadata.providers`, and the `user_metadata` kept beside it.

use super::store;
use crate::storage::accounts::{self, AccountSummary, CREDENTIAL_PROVIDER};
use crate::storage::users::User;
use crate::storage::{Sql, StorageError};
use serde_json::{json, Map, Value};

pub const AUDIENCE: &str = "authenticated";

/// Supabase's name for a provider: `email` for better-auth's credential account.
pub fn provider_name(provider_id: &str) -> &str {
    if provider_id == CREDENTIAL_PROVIDER {
        "email"
    } else {
        provider_id
    }
}

/// What a user's JSON and tokens are made of.
pub struct Profile {
    pub user: User,
    pub accounts: Vec<AccountSummary>,
    pub metadata: Map<String, Value>,
}

impl Profile {
    pub async fn load(sql: &dyn Sql, user: User) -> Result<Profile, StorageError> {
        let accounts = accounts::list_for_user(sql, &user.id).await?;
        let metadata = store::metadata(sql, &user.id).await?;
        Ok(Profile {
            user,
            accounts,
            metadata,
        })
    }

    /// `{provider, providers}`: the first way in, and every one (`email` for a user made by a
    /// magic link or code, who has no account row).
    pub fn app_metadata(&self) -> Value {
        let mut providers: Vec<&str> = Vec::new();
        for a in &self.accounts {
            let name = provider_name(&a.provider_id);
            if !providers.contains(&name) {
                providers.push(name);
            }
        }
        if providers.is_empty() {
            providers.push("email");
        }
        let mut meta = json!({"provider": providers[0], "providers": providers});
        if let Some(role) = &self.user.role {
            meta["role"] = json!(role);
        }
        meta
    }

    /// `user_metadata`: what the app stored, with the name and picture better-auth keeps.
    pub fn user_metadata(&self) -> Value {
        let mut meta = self.metadata.clone();
        if !self.user.name.is_empty() {
            meta.entry("name").or_insert_with(|| json!(self.user.name));
        }
        if let Some(image) = &self.user.image {
            meta.entry("avatar_url").or_insert_with(|| json!(image));
        }
        meta.insert("email".into(), json!(self.user.email));
        meta.insert("email_verified".into(), json!(self.user.email_verified));
        meta.insert("sub".into(), json!(self.user.id));
        Value::Object(meta)
    }

    fn identity(&self, a: &AccountSummary) -> Value {
        let credential = a.provider_id == CREDENTIAL_PROVIDER;
        let id = if credential {
            &self.user.id
        } else {
            &a.account_id
        };
        json!({
            "identity_id": a.id,
            "id": id,
            "user_id": self.user.id,
            "identity_data": {
                "sub": id,
                "email": self.user.email,
                "email_verified": self.user.email_verified,
                "phone_verified": false,
            },
            "provider": provider_name(&a.provider_id),
            "email": self.user.email,
            "created_at": a.created_at,
            "updated_at": a.updated_at,
            "last_sign_in_at": a.updated_at,
        })
    }

    /// The user JSON of GoTrue. `last_sign_in_at`, when known, is the session's start.
    pub fn json(&self, last_sign_in_at: Option<&str>) -> Value {
        let u = &self.user;
        let confirmed = u.email_verified.then_some(u.created_at.as_str());
        let mut user = json!({
            "id": u.id,
            "aud": AUDIENCE,
            "role": AUDIENCE,
            "email": u.email,
            "phone": "",
            "app_metadata": self.app_metadata(),
            "user_metadata": self.user_metadata(),
            "identities": self.accounts.iter().map(|a| self.identity(a)).collect::<Vec<_>>(),
            "created_at": u.created_at,
            "updated_at": u.updated_at,
            "is_anonymous": false,
        });
        if let Some(at) = confirmed {
            user["email_confirmed_at"] = json!(at);
            user["confirmed_at"] = json!(at);
        }
        if let Some(at) = last_sign_in_at {
            user["last_sign_in_at"] = json!(at);
        }
        if u.banned {
            if let Some(until) = &u.ban_expires {
                user["banned_until"] = json!(until);
            }
        }
        user
    }
}
