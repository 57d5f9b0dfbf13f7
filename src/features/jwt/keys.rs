//! Ed25519 key pairs and their JWK forms, stored as better-auth stores them: the public JWK as
//! JSON, the private JWK encrypted with `symmetricEncrypt` and kept as a JSON string literal.

use crate::crypto::{random, symmetric};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use ed25519_dalek::{SigningKey, VerifyingKey};
use serde::Deserialize;
use serde_json::json;
use thiserror::Error;

pub const ALG: &str = "EdDSA";
pub const CRV: &str = "Ed25519";
pub const KTY: &str = "OKP";

#[derive(Debug, Error, PartialEq)]
pub enum KeyError {
    #[error("the stored private key cannot be read: {0}")]
    Unreadable(String),
    #[error("the key is not an Ed25519 JWK")]
    NotEd25519,
    #[error("the random number generator failed")]
    Random,
}

/// A verification key with its key id.
#[derive(Debug, Clone, PartialEq)]
pub struct PublicKey {
    pub kid: String,
    pub key: VerifyingKey,
}

impl PublicKey {
    /// Reads a public JWK (`{"kty":"OKP","crv":"Ed25519","x":…}`), refusing any other key type.
    pub fn from_jwk(kid: &str, jwk: &serde_json::Value) -> Result<PublicKey, KeyError> {
        let field = |name: &str| jwk.get(name).and_then(|v| v.as_str());
        if field("kty") != Some(KTY) || field("crv") != Some(CRV) {
            return Err(KeyError::NotEd25519);
        }
        let x = decode_32(field("x").ok_or(KeyError::NotEd25519)?)?;
        let key = VerifyingKey::from_bytes(&x).map_err(|_| KeyError::NotEd25519)?;
        Ok(PublicKey {
            kid: kid.to_string(),
            key,
        })
    }

    pub fn x(&self) -> String {
        URL_SAFE_NO_PAD.encode(self.key.to_bytes())
    }

    /// The JWKS entry: public fields only, never `d`.
    pub fn jwks_entry(&self) -> serde_json::Value {
        json!({"kty": KTY, "crv": CRV, "alg": ALG, "x": self.x(), "kid": self.kid})
    }
}

/// A signing key with its key id.
#[derive(Clone)]
pub struct KeyPair {
    pub kid: String,
    pub signing: SigningKey,
}

impl std::fmt::Debug for KeyPair {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "KeyPair {{ kid: {:?}, .. }}", self.kid)
    }
}

fn decode_32(b64: &str) -> Result<[u8; 32], KeyError> {
    let bytes = URL_SAFE_NO_PAD
        .decode(b64.trim_end_matches('='))
        .map_err(|_| KeyError::NotEd25519)?;
    bytes.try_into().map_err(|_| KeyError::NotEd25519)
}

#[derive(Deserialize)]
struct PrivateJwk {
    kty: String,
    crv: String,
    d: String,
}

impl KeyPair {
    pub fn generate(kid: String) -> Result<KeyPair, KeyError> {
        let mut seed = [0u8; 32];
        random::fill(&mut seed).map_err(|_| KeyError::Random)?;
        Ok(KeyPair {
            kid,
            signing: SigningKey::from_bytes(&seed),
        })
    }

    pub fn public(&self) -> PublicKey {
        PublicKey {
            kid: self.kid.clone(),
            key: self.signing.verifying_key(),
        }
    }

    /// `publicKey` column: the public JWK as better-auth stores it.
    pub fn public_jwk_json(&self) -> String {
        json!({"crv": CRV, "x": self.public().x(), "kty": KTY}).to_string()
    }

    /// `privateKey` column: the private JWK encrypted with the secret, as a JSON string literal.
    pub fn encrypted_private_jwk(&self, secret: &[u8]) -> Result<String, KeyError> {
        let jwk = json!({"crv": CRV, "d": URL_SAFE_NO_PAD.encode(self.signing.to_bytes()), "x": self.public().x(), "kty": KTY});
        let sealed = symmetric::encrypt(secret, &jwk.to_string()).map_err(|_| KeyError::Random)?;
        Ok(serde_json::Value::String(sealed).to_string())
    }

    /// Reads a `privateKey` column: an encrypted JWK in a JSON string literal, or (better-auth's
    /// `disablePrivateKeyEncryption`) the plain JWK JSON.
    pub fn from_stored(kid: &str, private_key: &str, secret: &[u8]) -> Result<KeyPair, KeyError> {
        let unreadable = |what: &str| KeyError::Unreadable(what.to_string());
        let jwk_json = match serde_json::from_str::<serde_json::Value>(private_key) {
            Ok(serde_json::Value::String(sealed)) => {
                symmetric::decrypt(secret, &sealed).map_err(|e| unreadable(&e.to_string()))?
            }
            Ok(serde_json::Value::Object(_)) => private_key.to_string(),
            _ => return Err(unreadable("neither an encrypted string nor a JWK")),
        };
        let jwk: PrivateJwk =
            serde_json::from_str(&jwk_json).map_err(|_| unreadable("not a private JWK"))?;
        if jwk.kty != KTY || jwk.crv != CRV {
            return Err(KeyError::NotEd25519);
        }
        Ok(KeyPair {
            kid: kid.to_string(),
            signing: SigningKey::from_bytes(&decode_32(&jwk.d)?),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &[u8] = b"better-auth-secret-that-is-long-enough-for-validation-test";

    #[test]
    fn stored_forms_round_trip() {
        let pair = KeyPair::generate("kid-1".into()).unwrap();
        let stored = pair.encrypted_private_jwk(SECRET).unwrap();
        assert!(stored.starts_with('"') && stored.ends_with('"'));
        let back = KeyPair::from_stored("kid-1", &stored, SECRET).unwrap();
        assert_eq!(back.signing.to_bytes(), pair.signing.to_bytes());
        let public: serde_json::Value = serde_json::from_str(&pair.public_jwk_json()).unwrap();
        assert_eq!(
            PublicKey::from_jwk("kid-1", &public).unwrap(),
            pair.public()
        );
        assert!(public.get("d").is_none());
    }

    #[test]
    fn rfc_8037_keys_read_from_jwk_form() {
        let plain = r#"{"kty":"OKP","crv":"Ed25519","d":"nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}"#;
        let pair = KeyPair::from_stored("a4", plain, SECRET).unwrap();
        assert_eq!(
            pair.public().x(),
            "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"
        );
    }

    #[test]
    fn other_key_types_and_foreign_secrets_are_refused() {
        let rsa = serde_json::json!({"kty": "RSA", "n": "x", "e": "AQAB"});
        assert_eq!(PublicKey::from_jwk("k", &rsa), Err(KeyError::NotEd25519));
        let pair = KeyPair::generate("k".into()).unwrap();
        let stored = pair.encrypted_private_jwk(SECRET).unwrap();
        assert!(matches!(
            KeyPair::from_stored("k", &stored, b"another-secret-another-secret-xx"),
            Err(KeyError::Unreadable(_))
        ));
    }
}
