//! COSE public keys (RFC 9052/9053) as WebAuthn authenticators give them: ES256 (P-256), EdDSA
//! (Ed25519) and RS256, decoded with the `coset` crate and checked by the JWS verifiers.

use super::jws;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use coset::iana::{self, EnumI64};
use coset::{CborSerializable, CoseKey, KeyType, Label, RegisteredLabelWithPrivate};
use serde_json::{json, Value};
use thiserror::Error;

#[derive(Debug, Error, PartialEq)]
pub enum CoseError {
    #[error("the key is not a COSE key")]
    Malformed,
    #[error("the key's algorithm or type is not ES256, EdDSA or RS256")]
    Unsupported,
    #[error("the key's parameters do not fit its algorithm")]
    Key,
    #[error("the signature does not verify")]
    Signature,
}

/// The COSE algorithms accepted, in the order a relying party offers them.
pub const ALGORITHMS: [i64; 3] = [-8, -7, -257];

/// A credential's public key.
#[derive(Debug, Clone)]
pub struct PublicKey {
    alg: i64,
    /// The same key as a JWK, for the JWS verifiers.
    jwk: Value,
}

fn param(key: &CoseKey, label: i64) -> Option<Vec<u8>> {
    key.params.iter().find_map(|(l, v)| match l {
        Label::Int(i) if *i == label => v.as_bytes().cloned(),
        _ => None,
    })
}

fn int_param(key: &CoseKey, label: i64) -> Option<i128> {
    key.params.iter().find_map(|(l, v)| match l {
        Label::Int(i) if *i == label => v.as_integer().map(i128::from),
        _ => None,
    })
}

fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

impl PublicKey {
    /// The key in a COSE_Key's CBOR bytes; its algorithm must be named and one of [`ALGORITHMS`].
    pub fn from_cbor(bytes: &[u8]) -> Result<PublicKey, CoseError> {
        let key = CoseKey::from_slice(bytes).map_err(|_| CoseError::Malformed)?;
        let alg = match &key.alg {
            Some(RegisteredLabelWithPrivate::Assigned(alg)) => alg.to_i64(),
            _ => return Err(CoseError::Unsupported),
        };
        let kty = match &key.kty {
            KeyType::Assigned(kty) => *kty,
            _ => return Err(CoseError::Unsupported),
        };
        let curve = int_param(&key, -1);
        let jwk = match (alg, kty) {
            (-7, iana::KeyType::EC2) if curve == Some(iana::EllipticCurve::P_256 as i128) => {
                let (x, y) = (param(&key, -2), param(&key, -3));
                let (Some(x), Some(y)) = (x, y) else {
                    return Err(CoseError::Key);
                };
                json!({"kty": "EC", "crv": "P-256", "x": b64(&x), "y": b64(&y)})
            }
            (-8, iana::KeyType::OKP) if curve == Some(iana::EllipticCurve::Ed25519 as i128) => {
                let x = param(&key, -2).ok_or(CoseError::Key)?;
                json!({"kty": "OKP", "crv": "Ed25519", "x": b64(&x)})
            }
            (-257, iana::KeyType::RSA) => {
                let (n, e) = (param(&key, -1), param(&key, -2));
                let (Some(n), Some(e)) = (n, e) else {
                    return Err(CoseError::Key);
                };
                json!({"kty": "RSA", "n": b64(&n), "e": b64(&e)})
            }
            _ => return Err(CoseError::Unsupported),
        };
        Ok(PublicKey { alg, jwk })
    }

    /// The COSE algorithm (`-7`, `-8` or `-257`).
    pub fn alg(&self) -> i64 {
        self.alg
    }

    /// Checks a WebAuthn signature over `message` (ES256 signatures come DER-encoded).
    pub fn verify(&self, message: &[u8], signature: &[u8]) -> Result<(), CoseError> {
        let (name, raw) = match self.alg {
            -7 => {
                let der = p256::ecdsa::Signature::from_der(signature)
                    .map_err(|_| CoseError::Signature)?;
                ("ES256", der.to_bytes().to_vec())
            }
            -8 => ("EdDSA", signature.to_vec()),
            _ => ("RS256", signature.to_vec()),
        };
        jws::verify(name, &self.jwk, message, &raw).map_err(|e| match e {
            jws::JwsError::Signature => CoseError::Signature,
            _ => CoseError::Key,
        })
    }
}
