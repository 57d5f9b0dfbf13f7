//! Email/password credentials: the length policy and checking a password against a user's
//! credential account without revealing, through timing, whether the account exists.

use crate::config::Config;
use crate::crypto::password::{self, PasswordKdf};
use crate::error::{ApiError, Code};
use crate::storage::accounts::{self, CredentialAccount};
use crate::storage::Sql;

use crate::kernel::formats::password_length;

/// better-auth's length rule for a new password (UTF-16 code units).
pub fn check_new_password(config: &Config, password: &str) -> Result<(), ApiError> {
    let len = password_length(password);
    if len < config.password_min_length {
        return Err(ApiError::new(400, Code::PasswordTooShort));
    }
    check_not_too_long(config, password)
}

/// Over-long passwords are refused before any hashing work (a cheap denial-of-service otherwise).
pub fn check_not_too_long(config: &Config, password: &str) -> Result<(), ApiError> {
    if password_length(password) > config.password_max_length {
        return Err(ApiError::new(400, Code::PasswordTooLong));
    }
    Ok(())
}

pub enum Check {
    /// The password matches this credential account.
    Valid(CredentialAccount),
    Invalid,
    /// The user has no credential account, or it has no password.
    NoCredential,
}

/// Verifies `password` for `user_id`.
pub async fn check(
    sql: &dyn Sql,
    kdf: &dyn PasswordKdf,
    user_id: &str,
    password: &str,
) -> Result<Check, ApiError> {
    let account = accounts::credential_for_user(sql, user_id).await?;
    let stored = account.as_ref().and_then(|a| a.password.as_deref());
    match (verify_stored(kdf, password, stored)?, account) {
        (Some(true), Some(account)) => Ok(Check::Valid(account)),
        (None, _) => Ok(Check::NoCredential),
        _ => Ok(Check::Invalid),
    }
}

/// Checks `password` against a stored hash: `None` when there is no hash, after doing the same
/// hashing work anyway, so that a miss takes as long as a hit.
pub fn verify_stored(
    kdf: &dyn PasswordKdf,
    password: &str,
    stored: Option<&str>,
) -> Result<Option<bool>, ApiError> {
    match stored {
        Some(hash) => Ok(Some(password::verify(kdf, password, hash)?)),
        None => {
            password::burn_equivalent_work(kdf, password);
            Ok(None)
        }
    }
}

/// [`check`] for a signed-in user confirming an action: the account, or better-auth's errors.
pub async fn require_password(
    sql: &dyn Sql,
    kdf: &dyn PasswordKdf,
    user_id: &str,
    password: &str,
) -> Result<CredentialAccount, ApiError> {
    match check(sql, kdf, user_id, password).await? {
        Check::Valid(account) => Ok(account),
        Check::Invalid => Err(ApiError::new(400, Code::InvalidPassword)),
        Check::NoCredential => Err(ApiError::new(400, Code::CredentialAccountNotFound)),
    }
}
