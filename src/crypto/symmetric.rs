//! better-auth's `symmetricEncrypt`: XChaCha20-Poly1305 under SHA-256(secret), stored as lower-case
//! hex of `nonce(24) || ciphertext || tag(16)` (optionally in a `$ba$<version>$` envelope); and the
//! same sealing under keys derived from the secret with HKDF for portcullis' own rows, so that no
//! two uses of the secret share a key.

use super::{hex_encode, random};
use chacha20poly1305::aead::Aead;
use chacha20poly1305::{KeyInit, XChaCha20Poly1305, XNonce};
use sha2::{Digest, Sha256};
use thiserror::Error;

#[derive(Debug, Error, PartialEq)]
pub enum SymmetricError {
    #[error("the ciphertext is not hex, or too short")]
    Malformed,
    #[error("the ciphertext does not decrypt under this secret")]
    Undecryptable,
    #[error("the random number generator failed")]
    Random,
}

const NONCE_LEN: usize = 24;
const ENVELOPE_PREFIX: &str = "$ba$";

/// A 256-bit sealing key.
pub type Key = [u8; 32];

/// better-auth's key: SHA-256 of the secret (for rows better-auth must read, such as `jwks`).
pub fn better_auth_key(secret: &[u8]) -> Key {
    Sha256::digest(secret).into()
}

/// A key for one purpose, HKDF-SHA256 of the secret with `label` as the info.
pub fn derived_key(secret: &[u8], label: &str) -> Key {
    let mut key = [0u8; 32];
    // 32 bytes is far below HKDF-SHA256's 8160-byte limit, so expanding cannot fail.
    let _ = hkdf::Hkdf::<Sha256>::new(None, secret).expand(label.as_bytes(), &mut key);
    key
}

/// better-auth's `symmetricEncrypt(secret, plaintext)`.
pub fn encrypt(secret: &[u8], plaintext: &str) -> Result<String, SymmetricError> {
    seal(&better_auth_key(secret), plaintext)
}

/// better-auth's `symmetricDecrypt(secret, data)`.
pub fn decrypt(secret: &[u8], data: &str) -> Result<String, SymmetricError> {
    open(&better_auth_key(secret), data)
}

pub fn seal(key: &Key, plaintext: &str) -> Result<String, SymmetricError> {
    let mut nonce = [0u8; NONCE_LEN];
    random::fill(&mut nonce).map_err(|_| SymmetricError::Random)?;
    let sealed = XChaCha20Poly1305::new(key.into())
        .encrypt(XNonce::from_slice(&nonce), plaintext.as_bytes())
        .map_err(|_| SymmetricError::Random)?;
    let mut out = nonce.to_vec();
    out.extend_from_slice(&sealed);
    Ok(hex_encode(&out))
}

/// Decrypts bare hex or a versioned `$ba$<n>$<hex>` envelope (tried with this one key).
pub fn open(key: &Key, data: &str) -> Result<String, SymmetricError> {
    let hex = match data.strip_prefix(ENVELOPE_PREFIX) {
        Some(rest) => rest
            .split_once('$')
            .map(|(_, hex)| hex)
            .ok_or(SymmetricError::Malformed)?,
        None => data,
    };
    let bytes = hex_decode(hex).ok_or(SymmetricError::Malformed)?;
    if bytes.len() < NONCE_LEN + 16 {
        return Err(SymmetricError::Malformed);
    }
    let (nonce, sealed) = bytes.split_at(NONCE_LEN);
    let plain = XChaCha20Poly1305::new(key.into())
        .decrypt(XNonce::from_slice(nonce), sealed)
        .map_err(|_| SymmetricError::Undecryptable)?;
    String::from_utf8(plain).map_err(|_| SymmetricError::Undecryptable)
}

fn hex_decode(hex: &str) -> Option<Vec<u8>> {
    if !hex.len().is_multiple_of(2) {
        return None;
    }
    (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(hex.get(i..i + 2)?, 16).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &[u8] = b"better-auth-secret-that-is-long-enough-for-validation-test";

    #[test]
    fn round_trips_with_a_fresh_nonce_each_time() {
        let a = encrypt(SECRET, r#"{"kty":"OKP"}"#).unwrap();
        let b = encrypt(SECRET, r#"{"kty":"OKP"}"#).unwrap();
        assert_ne!(a, b);
        assert_eq!(a.len(), (24 + 13 + 16) * 2);
        assert_eq!(decrypt(SECRET, &a).unwrap(), r#"{"kty":"OKP"}"#);
        assert_eq!(
            decrypt(SECRET, &format!("$ba$1${a}")).unwrap(),
            r#"{"kty":"OKP"}"#
        );
    }

    #[test]
    fn derived_keys_differ_by_label_and_from_better_auths_key() {
        let mail = derived_key(SECRET, "mail");
        assert_ne!(mail, derived_key(SECRET, "other"));
        assert_ne!(mail, better_auth_key(SECRET));
        assert_eq!(mail, derived_key(SECRET, "mail"));
        let sealed = seal(&mail, "payload").unwrap();
        assert_eq!(open(&mail, &sealed).unwrap(), "payload");
        assert_eq!(decrypt(SECRET, &sealed), Err(SymmetricError::Undecryptable));
    }

    // RFC 5869 A.1: the HKDF-SHA256 underneath (IKM 0x0b×22, no salt here, so test case 3).
    #[test]
    fn hkdf_matches_rfc_5869_test_case_3() {
        let key = derived_key(&[0x0b; 22], "");
        assert_eq!(
            super::super::hex_encode(&key),
            "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d"
        );
    }

    #[test]
    fn wrong_secrets_tampering_and_garbage_are_refused() {
        let sealed = encrypt(SECRET, "payload").unwrap();
        assert_eq!(
            decrypt(b"another-secret-another-secret-xx", &sealed),
            Err(SymmetricError::Undecryptable)
        );
        let mut tampered = sealed.clone().into_bytes();
        let last = tampered.len() - 1;
        tampered[last] = if tampered[last] == b'0' { b'1' } else { b'0' };
        assert_eq!(
            decrypt(SECRET, &String::from_utf8(tampered).unwrap()),
            Err(SymmetricError::Undecryptable)
        );
        for garbage in ["", "zz", "abc", "$ba$nohex", &"00".repeat(10)] {
            assert_eq!(
                decrypt(SECRET, garbage),
                Err(SymmetricError::Malformed),
                "{garbage}"
            );
        }
    }
}
