//! Signing key pairs (Ed25519 for better-auth's tokens, P-256 for Supabase's, whose client
//! verifies only ES256 and RS256) and their JWK forms, stored as better-auth stores them: the
//! public JWK as JSON, the private JWK encrypted with `symmetricEncrypt` and kept as a JSON string
//! literal.

use crate::crypto::jws;
use crate::crypto::{random, symmetric};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use ed25519_dalek::Signer as _;
use serde_json::{json, Value};
use thiserror::Error;

/// The algorithms our keys sign with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Alg {
    EdDSA,
    ES256,
}

impl Alg {
    pub fn as_str(self) -> &'static str {
        match self {
            Alg::EdDSA => "EdDSA",
            Alg::ES256 => "ES256",
        }
    }

    pub fn crv(self) -> &'static str {
        match self {
            Alg::EdDSA => "Ed25519",
            Alg::ES256 => "P-256",
        }
    }

    pub fn kty(self) -> &'static str {
        match self {
            Alg::EdDSA => "OKP",
            Alg::ES256 => "EC",
        }
    }

    /// The algorithm of a stored key row (`alg`, `crv`; better-auth leaves both empty for its
    /// default, Ed25519).
    pub fn of_row(alg: Option<&str>, crv: Option<&str>) -> Option<Alg> {
        match (alg, crv) {
            (None | Some("EdDSA"), None | Some("Ed25519")) => Some(Alg::EdDSA),
            (Some("ES256"), None | Some("P-256")) => Some(Alg::ES256),
            _ => None,
        }
    }
}

#[derive(Debug, Error, PartialEq)]
pub enum KeyError {
    #[error("the stored private key cannot be read: {0}")]
    Unreadable(String),
    #[error("the key is not an {0} JWK")]
    WrongType(&'static str),
    #[error("the random number generator failed")]
    Random,
}

/// A verification key with its key id: the public JWK, checked when read.
#[derive(Debug, Clone, PartialEq)]
pub struct PublicKey {
    pub kid: String,
    pub alg: Alg,
    /// `kty`, `crv`, `x` (and `y` for P-256): public members only.
    jwk: Value,
}

fn text<'v>(jwk: &'v Value, name: &str) -> Option<&'v str> {
    jwk.get(name).and_then(Value::as_str)
}

impl PublicKey {
    /// Reads a public JWK of `alg`'s type, refusing any other key and any key that does not decode.
    pub fn from_jwk(kid: &str, alg: Alg, jwk: &Value) -> Result<PublicKey, KeyError> {
        let wrong = || KeyError::WrongType(alg.as_str());
        if !jws::key_fits(alg.as_str(), jwk) {
            return Err(wrong());
        }
        let x = decode_32(text(jwk, "x").ok_or_else(wrong)?, alg)?;
        let mut public =
            json!({"kty": alg.kty(), "crv": alg.crv(), "x": URL_SAFE_NO_PAD.encode(x)});
        match alg {
            Alg::EdDSA => {
                ed25519_dalek::VerifyingKey::from_bytes(&x).map_err(|_| wrong())?;
            }
            Alg::ES256 => {
                let y = decode_32(text(jwk, "y").ok_or_else(wrong)?, alg)?;
                let mut point = vec![0x04];
                point.extend_from_slice(&x);
                point.extend_from_slice(&y);
                p256::ecdsa::VerifyingKey::from_sec1_bytes(&point).map_err(|_| wrong())?;
                public["y"] = json!(URL_SAFE_NO_PAD.encode(y));
            }
        }
        Ok(PublicKey {
            kid: kid.to_string(),
            alg,
            jwk: public,
        })
    }

    /// The public JWK's `x` member.
    pub fn x(&self) -> &str {
        text(&self.jwk, "x").unwrap_or_default()
    }

    /// The JWKS entry: public fields only, never `d`.
    pub fn jwks_entry(&self) -> Value {
        let mut entry = self.jwk.clone();
        entry["alg"] = json!(self.alg.as_str());
        entry["kid"] = json!(self.kid);
        if self.alg == Alg::ES256 {
            // auth-js imports the key for verifying only.
            entry["use"] = json!("sig");
            entry["key_ops"] = json!(["verify"]);
        }
        entry
    }

    /// Checks a JWS signature over `input` with this key.
    pub fn verify(&self, input: &[u8], signature: &[u8]) -> bool {
        jws::verify(self.alg.as_str(), &self.jwk, input, signature).is_ok()
    }
}

#[derive(Clone)]
enum Signing {
    Ed25519(ed25519_dalek::SigningKey),
    P256(p256::ecdsa::SigningKey),
}

/// A signing key with its key id.
#[derive(Clone)]
pub struct KeyPair {
    pub kid: String,
    signing: Signing,
}

impl std::fmt::Debug for KeyPair {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "KeyPair {{ kid: {:?}, alg: {:?}, .. }}",
            self.kid,
            self.alg()
        )
    }
}

fn decode_32(b64: &str, alg: Alg) -> Result<[u8; 32], KeyError> {
    let bytes = URL_SAFE_NO_PAD
        .decode(b64.trim_end_matches('='))
        .map_err(|_| KeyError::WrongType(alg.as_str()))?;
    bytes
        .try_into()
        .map_err(|_| KeyError::WrongType(alg.as_str()))
}

fn signing_from(alg: Alg, d: [u8; 32]) -> Result<Signing, KeyError> {
    Ok(match alg {
        Alg::EdDSA => Signing::Ed25519(ed25519_dalek::SigningKey::from_bytes(&d)),
        Alg::ES256 => Signing::P256(
            p256::ecdsa::SigningKey::from_slice(&d).map_err(|_| KeyError::WrongType("ES256"))?,
        ),
    })
}

impl KeyPair {
    pub fn generate(kid: String, alg: Alg) -> Result<KeyPair, KeyError> {
        // A P-256 scalar must be below the group order: a random 32 bytes almost always is.
        for _ in 0..8 {
            let mut seed = [0u8; 32];
            random::fill(&mut seed).map_err(|_| KeyError::Random)?;
            if let Ok(signing) = signing_from(alg, seed) {
                return Ok(KeyPair { kid, signing });
            }
        }
        Err(KeyError::Random)
    }

    pub fn alg(&self) -> Alg {
        match self.signing {
            Signing::Ed25519(_) => Alg::EdDSA,
            Signing::P256(_) => Alg::ES256,
        }
    }

    fn public_members(&self) -> Value {
        match &self.signing {
            Signing::Ed25519(key) => json!({
                "crv": "Ed25519",
                "x": URL_SAFE_NO_PAD.encode(key.verifying_key().to_bytes()),
                "kty": "OKP",
            }),
            Signing::P256(key) => {
                let point = key.verifying_key().to_sec1_point(false);
                let point = point.as_bytes();
                json!({
                    "crv": "P-256",
                    "x": URL_SAFE_NO_PAD.encode(&point[1..33]),
                    "y": URL_SAFE_NO_PAD.encode(&point[33..65]),
                    "kty": "EC",
                })
            }
        }
    }

    pub fn public(&self) -> PublicKey {
        PublicKey {
            kid: self.kid.clone(),
            alg: self.alg(),
            jwk: self.public_members(),
        }
    }

    /// `publicKey` column: the public JWK as better-auth stores it.
    pub fn public_jwk_json(&self) -> String {
        self.public_members().to_string()
    }

    /// The JWS signature over `input`: 64 bytes for both algorithms (R || S for ES256).
    pub fn sign(&self, input: &[u8]) -> Vec<u8> {
        match &self.signing {
            Signing::Ed25519(key) => key.sign(input).to_bytes().to_vec(),
            Signing::P256(key) => {
                let signature: p256::ecdsa::Signature = key.sign(input);
                signature.to_bytes().to_vec()
            }
        }
    }

    /// `privateKey` column: the private JWK encrypted with the secret, as a JSON string literal.
    pub fn encrypted_private_jwk(&self, secret: &[u8]) -> Result<String, KeyError> {
        let mut jwk = self.public_members();
        jwk["d"] = json!(match &self.signing {
            Signing::Ed25519(key) => URL_SAFE_NO_PAD.encode(key.to_bytes()),
            Signing::P256(key) => URL_SAFE_NO_PAD.encode(key.to_bytes()),
        });
        let sealed = symmetric::encrypt(secret, &jwk.to_string()).map_err(|_| KeyError::Random)?;
        Ok(serde_json::Value::String(sealed).to_string())
    }

    /// Reads a `privateKey` column: an encrypted JWK in a JSON string literal, or (better-auth's
    /// `disablePrivateKeyEncryption`) the plain JWK JSON. The JWK's own type says the algorithm.
    pub fn from_stored(kid: &str, private_key: &str, secret: &[u8]) -> Result<KeyPair, KeyError> {
        let unreadable = |what: &str| KeyError::Unreadable(what.to_string());
        let jwk_json = match serde_json::from_str::<serde_json::Value>(private_key) {
            Ok(serde_json::Value::String(sealed)) => {
                symmetric::decrypt(secret, &sealed).map_err(|e| unreadable(&e.to_string()))?
            }
            Ok(serde_json::Value::Object(_)) => private_key.to_string(),
            _ => return Err(unreadable("neither an encrypted string nor a JWK")),
        };
        let jwk: Value =
            serde_json::from_str(&jwk_json).map_err(|_| unreadable("not a private JWK"))?;
        let alg = match (text(&jwk, "kty"), text(&jwk, "crv")) {
            (Some("OKP"), Some("Ed25519")) => Alg::EdDSA,
            (Some("EC"), Some("P-256")) => Alg::ES256,
            _ => return Err(KeyError::WrongType("Ed25519 or P-256")),
        };
        let d = text(&jwk, "d").ok_or_else(|| unreadable("not a private JWK"))?;
        Ok(KeyPair {
            kid: kid.to_string(),
            signing: signing_from(alg, decode_32(d, alg)?)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &[u8] = b"better-auth-secret-that-is-long-enough-for-validation-test";

    #[test]
    fn stored_forms_round_trip_for_both_algorithms() {
        for alg in [Alg::EdDSA, Alg::ES256] {
            let pair = KeyPair::generate("kid-1".into(), alg).unwrap();
            let stored = pair.encrypted_private_jwk(SECRET).unwrap();
            assert!(stored.starts_with('"') && stored.ends_with('"'));
            let back = KeyPair::from_stored("kid-1", &stored, SECRET).unwrap();
            assert_eq!(back.alg(), alg);
            assert_eq!(back.public(), pair.public());
            let public: serde_json::Value = serde_json::from_str(&pair.public_jwk_json()).unwrap();
            assert_eq!(
                PublicKey::from_jwk("kid-1", alg, &public).unwrap(),
                pair.public()
            );
            assert!(public.get("d").is_none());
            let signature = back.sign(b"input");
            assert_eq!(signature.len(), 64);
            assert!(pair.public().verify(b"input", &signature));
            assert!(!pair.public().verify(b"other", &signature));
        }
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
    fn es256_jwks_entries_say_verify_only() {
        let pair = KeyPair::generate("k".into(), Alg::ES256).unwrap();
        let entry = pair.public().jwks_entry();
        assert_eq!(entry["alg"], "ES256");
        assert_eq!(entry["crv"], "P-256");
        assert_eq!(entry["key_ops"], json!(["verify"]));
        assert!(entry.get("d").is_none());
    }

    #[test]
    fn other_key_types_and_foreign_secrets_are_refused() {
        let rsa = serde_json::json!({"kty": "RSA", "n": "x", "e": "AQAB"});
        assert!(PublicKey::from_jwk("k", Alg::EdDSA, &rsa).is_err());
        let ec = KeyPair::generate("k".into(), Alg::ES256)
            .unwrap()
            .public_jwk_json();
        let ec: Value = serde_json::from_str(&ec).unwrap();
        assert!(PublicKey::from_jwk("k", Alg::EdDSA, &ec).is_err());
        let pair = KeyPair::generate("k".into(), Alg::EdDSA).unwrap();
        let stored = pair.encrypted_private_jwk(SECRET).unwrap();
        assert!(matches!(
            KeyPair::from_stored("k", &stored, b"another-secret-another-secret-xx"),
            Err(KeyError::Unreadable(_))
        ));
    }
}
