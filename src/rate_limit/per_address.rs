//! Limits per address rather than per client: failed sign-ins of an account (credential stuffing
//! from many addresses) and messages to one recipient (mail bombing). Counted in D1 under a keyed
//! digest of the address, so the table names no one.

use crate::crypto::hex_encode;
use crate::crypto::hmac::hmac_sha256;
use crate::crypto::symmetric::derived_key;

fn key(secret: &[u8], purpose: &str, address: &str) -> String {
    let digest_key = derived_key(secret, "portcullis address counters v1");
    format!(
        "{purpose}:{}",
        hex_encode(&hmac_sha256(&digest_key, address.to_lowercase().as_bytes()))
    )
}

/// The counter of failed sign-ins for `email`, known or not (so a 429 tells nothing).
pub fn sign_in_key(secret: &[u8], email: &str) -> String {
    key(secret, "sign-in", email)
}

/// The counter of messages to `address` this hour.
pub fn mail_key(secret: &[u8], address: &str) -> String {
    key(secret, "mail", address)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_name_no_address_and_differ_by_purpose_and_secret() {
        let a = sign_in_key(b"secret-one-secret-one-secret-one", "Ada@Example.com");
        assert!(!a.to_lowercase().contains("ada"));
        assert_eq!(
            a,
            sign_in_key(b"secret-one-secret-one-secret-one", "ada@example.com")
        );
        assert_ne!(
            a,
            sign_in_key(b"secret-two-secret-two-secret-two", "ada@example.com")
        );
        assert!(
            mail_key(b"secret-one-secret-one-secret-one", "ada@example.com").starts_with("mail:")
        );
    }
}
