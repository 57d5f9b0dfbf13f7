//! The key itself: how a new one is made, the part kept in view, and the digest stored in its
//! place (better-auth's `defaultKeyHasher`), so that keys from either side verify on the other.

use crate::crypto::random::{self, RandomError};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use sha2::{Digest, Sha256};

/// Characters of a new key kept in its `start` column, to tell keys apart in a list.
const START_CHARS: usize = 6;

/// A new key: the prefix, then `length` random letters.
pub fn generate(prefix: Option<&str>, length: usize) -> Result<String, RandomError> {
    Ok(format!(
        "{}{}",
        prefix.unwrap_or(""),
        random::letters(length)?
    ))
}

/// `base64url(SHA-256(key))` without padding: what the `key` column holds.
pub fn digest(key: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(key.as_bytes()))
}

/// The first characters of the key (its prefix included).
pub fn start(key: &str) -> String {
    key.chars().take(START_CHARS).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_digest_is_unpadded_base64url_sha256() {
        // SHA-256("abc") = ba7816bf…15ad, which base64url encodes to this.
        assert_eq!(digest("abc"), "ungWv48Bz-pBQUDeXa4iI7ADYaOWF3qctBD_YfIAFa0");
        assert_eq!(digest("abc").len(), 43);
    }

    #[test]
    fn a_new_key_is_its_prefix_and_letters() {
        let key = generate(Some("pc_"), 64).unwrap();
        assert_eq!(key.len(), 67);
        assert!(key.starts_with("pc_"));
        assert!(key[3..].bytes().all(|b| b.is_ascii_alphabetic()));
        assert_eq!(start(&key), key[..6]);
    }
}
