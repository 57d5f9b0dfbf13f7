//! Provider tokens at rest: with `ENCRYPT_OAUTH_TOKENS` (the default) access and refresh tokens
//! are sealed with better-auth's `symmetricEncrypt`, as its `encryptOAuthTokens` does, so rows
//! either side wrote read on the other; ID tokens stay as they are, as in better-auth.

use crate::config::Config;
use crate::crypto::symmetric;

/// A token as stored.
pub fn seal(config: &Config, token: &str) -> Result<String, symmetric::SymmetricError> {
    if config.social.encrypt_tokens {
        symmetric::encrypt(config.secret.expose(), token)
    } else {
        Ok(token.to_string())
    }
}

/// better-auth's test for a sealed token: its `$ba$` envelope, or hex of even length.
fn looks_sealed(stored: &str) -> bool {
    stored.starts_with("$ba$")
        || (!stored.is_empty()
            && stored.len().is_multiple_of(2)
            && stored.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// A stored token in clear: tokens stored before encryption was on read as they are.
pub fn open(config: &Config, stored: &str) -> Result<String, symmetric::SymmetricError> {
    if config.social.encrypt_tokens && looks_sealed(stored) {
        symmetric::decrypt(config.secret.expose(), stored)
    } else {
        Ok(stored.to_string())
    }
}
