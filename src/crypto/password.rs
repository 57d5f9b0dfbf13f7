//! better-auth's password hashes: scrypt (N=16384, r=16, p=1, 64 bytes) over the NFKC-normalised
//! password, salted with the ASCII bytes of a 32-character hex salt, stored as `salt:key` in hex.
//!
//! The key derivation itself is a driver ([`PasswordKdf`]): on Workers it is the runtime's native
//! scrypt (workerd's `node:crypto`), natively it is the `scrypt` crate. The format lives here once.

use super::{constant_time_eq, hex_encode, random};
use thiserror::Error;

pub const KEY_LEN: usize = 64;
const LOG_N: u8 = 14;
const R: u32 = 16;
const P: u32 = 1;

#[derive(Debug, Error)]
pub enum PasswordError {
    #[error("password hashing failed: {0}")]
    Kdf(String),
    #[error(transparent)]
    Random(#[from] random::RandomError),
}

/// Derives better-auth's scrypt key. Implementations normalise the password to NFKC first.
pub trait PasswordKdf {
    fn derive(&self, password: &str, salt: &str) -> Result<[u8; KEY_LEN], PasswordError>;
}

/// scrypt with better-auth's parameters over already-normalised bytes, in Rust.
pub fn scrypt_key(normalized_password: &[u8], salt: &[u8]) -> Result<[u8; KEY_LEN], PasswordError> {
    let mut key = [0u8; KEY_LEN];
    scrypt_with(normalized_password, salt, (LOG_N, R, P), &mut key)?;
    Ok(key)
}

/// scrypt's cost parameters: `log2 N`, `r`, `p`.
pub type ScryptParams = (u8, u32, u32);

/// scrypt with any parameters, filling `out`: RFC 7914's test vectors run through the same code,
/// natively and in the wasm build.
pub fn scrypt_with(
    password: &[u8],
    salt: &[u8],
    (log_n, r, p): ScryptParams,
    out: &mut [u8],
) -> Result<(), PasswordError> {
    let params = scrypt::Params::new(log_n, r, p).map_err(|e| PasswordError::Kdf(e.to_string()))?;
    scrypt::scrypt(password, salt, &params, out).map_err(|e| PasswordError::Kdf(e.to_string()))
}

/// An RFC 7914 test vector: password, salt, parameters, and the 64-byte key in hex.
pub type ScryptVector = (&'static str, &'static str, ScryptParams, &'static str);

/// RFC 7914 §12's vectors that fit a Worker's memory (the fourth needs 1 GiB).
pub const RFC_7914_VECTORS: [ScryptVector; 3] = [
    ("", "", (4, 1, 1), "77d6576238657b203b19ca42c18a0497f16b4844e3074ae8dfdffa3fede21442fcd0069ded0948f8326a753a0fc81f17e8d3e0fb2e0d3628cf35e20c38d18906"),
    ("password", "NaCl", (10, 8, 16), "fdbabe1c9d3472007856e7190d01e9fe7c6ad7cbc8237830e77376634b3731622eaf30d92e22a3886ff109279d9830dac727afb94a83ee6d8360cbdfa2cc0640"),
    ("pleaseletmein", "SodiumChloride", (14, 8, 1), "7023bdcb3afd7348461c06cd81fd38ebfda8fbba904f8e3ea9b543f6545da1f2d5432955613f0fcf62d49705242a9af9e61e85dc0d651e40dfcf017b45575887"),
];

/// The `scrypt` crate with NFKC from `unicode-normalization`: the native (test) driver.
#[cfg(not(target_arch = "wasm32"))]
pub struct RustScrypt;

#[cfg(not(target_arch = "wasm32"))]
impl PasswordKdf for RustScrypt {
    fn derive(&self, password: &str, salt: &str) -> Result<[u8; KEY_LEN], PasswordError> {
        use unicode_normalization::UnicodeNormalization;
        let normalized: String = password.nfkc().collect();
        scrypt_key(normalized.as_bytes(), salt.as_bytes())
    }
}

/// A new `salt:key` hash with a fresh random salt.
pub fn hash(kdf: &dyn PasswordKdf, password: &str) -> Result<String, PasswordError> {
    let salt = random::hex16()?;
    hash_with_salt(kdf, password, &salt)
}

pub fn hash_with_salt(
    kdf: &dyn PasswordKdf,
    password: &str,
    salt: &str,
) -> Result<String, PasswordError> {
    Ok(format!(
        "{salt}:{}",
        hex_encode(&kdf.derive(password, salt)?)
    ))
}

/// Checks `password` against a stored `salt:key` hash in constant time. A malformed stored hash
/// never matches (better-auth throws; a stored value we cannot read must not sign anyone in).
pub fn verify(kdf: &dyn PasswordKdf, password: &str, stored: &str) -> Result<bool, PasswordError> {
    let Some((salt, key_hex)) = stored.split_once(':') else {
        return Ok(false);
    };
    if salt.is_empty() || key_hex.len() != KEY_LEN * 2 {
        return Ok(false);
    }
    let derived = hex_encode(&kdf.derive(password, salt)?);
    Ok(constant_time_eq(
        derived.as_bytes(),
        key_hex.to_ascii_lowercase().as_bytes(),
    ))
}

/// Hashing work for a sign-in whose account does not exist, so that a miss costs what a hit does.
pub fn burn_equivalent_work(kdf: &dyn PasswordKdf, password: &str) {
    let _ = verify(kdf, password, DUMMY_HASH);
}

const DUMMY_HASH: &str = "00000000000000000000000000000000:05f3a9e03fd71a502914438b36ada760871993809023246c74a6e68a0b6024b4e8dbfbc5fa1ed3e5772b1feee34996ba53aef6cbe6719f956bc6fd2e9745539e";

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;

    // Vectors from the better-auth protocol reference §5 and a row written by better-auth 1.7.25.
    const VECTORS: [(&str, &str); 5] = [
        ("password123", "a5b0a7c6b5f7d8e9f0a1b2c3d4e5f6a7:44614ccf4f7587d3af3ce8b181b22712dfef8e8b000715a60ea2eb3586458a0ed02e8a383f85eb4f37781a0c75607ad5257cf2578ee13224404c2f661ce26067"),
        ("test123456", "00000000000000000000000000000000:05f3a9e03fd71a502914438b36ada760871993809023246c74a6e68a0b6024b4e8dbfbc5fa1ed3e5772b1feee34996ba53aef6cbe6719f956bc6fd2e9745539e"),
        ("", "0123456789abcdef0123456789abcdef:55058c3885e00fd4b8d5ffbfbc0712b7cf72ebf2e5adcf8bf7e9cd2c21dd25d3c1568130c23015b3b0bd3cc8b1480b41dc00c8775ddb39e67e0439d785c11a1d"),
        ("file-pass", "0123456789abcdef0123456789abcdef:59f4aa2fa521055ee0d03af41416151527edeb230194b3bd04dcaeafaa3fb43a93357651c4c8576cea1f3a1718696ccc6bfe3000f2287ace2dd8048ad77df910"),
        ("password123", "ac04d54c09c19e12b1d4ffe9a6a45b42:3ed35cd37031b1b281fdb364f75336c6c8d4640fa39170ce4b8a2e8a4619a8c809e24fc9e173a0cb27f76e8fb1657636be72cc6b9857590d1923f0ee5ea809b3"),
    ];

    #[test]
    fn hashes_match_better_auth_vectors() {
        for (password, expected) in &VECTORS[..4] {
            let salt = expected.split(':').next().unwrap();
            assert_eq!(
                &hash_with_salt(&RustScrypt, password, salt).unwrap(),
                expected
            );
        }
    }

    #[test]
    fn scrypt_matches_rfc_7914_test_vectors() {
        for (password, salt, params, expected) in RFC_7914_VECTORS {
            let mut key = [0u8; 64];
            scrypt_with(password.as_bytes(), salt.as_bytes(), params, &mut key).unwrap();
            assert_eq!(hex_encode(&key), expected, "{password:?}");
        }
    }

    #[test]
    fn a_hash_written_by_better_auth_verifies() {
        let (password, stored) = VECTORS[4];
        assert!(verify(&RustScrypt, password, stored).unwrap());
        assert!(!verify(&RustScrypt, "password124", stored).unwrap());
    }

    #[test]
    fn passwords_are_nfkc_normalised_before_hashing() {
        let (_, stored) = VECTORS[3];
        assert!(verify(&RustScrypt, "\u{FB01}le-pass", stored).unwrap());
    }

    #[test]
    fn fresh_hashes_round_trip_and_use_distinct_salts() {
        let a = hash(&RustScrypt, "correct horse").unwrap();
        let b = hash(&RustScrypt, "correct horse").unwrap();
        assert_ne!(a, b);
        assert_eq!(a.len(), 32 + 1 + 128);
        assert!(verify(&RustScrypt, "correct horse", &a).unwrap());
    }

    #[test]
    fn malformed_stored_hashes_never_match() {
        for stored in ["", "nocolon", "salt:short", ":"] {
            assert!(!verify(&RustScrypt, "x", stored).unwrap(), "{stored}");
        }
    }
}
