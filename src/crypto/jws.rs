//! JWS signatures by other parties' keys (RFC 7515/7518/8037): RS256 (RSASSA-PKCS1-v1_5 with
//! SHA-256), ES256 (ECDSA P-256 with SHA-256) and EdDSA (Ed25519), each key given as a JWK. Only
//! these three are accepted: `none` and the HMAC algorithms never reach a key.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde_json::Value;
use thiserror::Error;

#[derive(Debug, Error, PartialEq)]
pub enum JwsError {
    #[error("the algorithm {0:?} is not accepted")]
    Algorithm(String),
    #[error("the key does not fit the algorithm or is malformed")]
    Key,
    #[error("the signature does not verify")]
    Signature,
}

/// The algorithms accepted, and the JWK key type each needs.
pub const ACCEPTED: [(&str, &str); 3] = [("RS256", "RSA"), ("ES256", "EC"), ("EdDSA", "OKP")];

/// The smallest RSA modulus accepted (NIST SP 800-131A).
const MIN_RSA_BITS: usize = 2048;

fn member(jwk: &Value, name: &str) -> Result<Vec<u8>, JwsError> {
    let text = jwk.get(name).and_then(Value::as_str).ok_or(JwsError::Key)?;
    URL_SAFE_NO_PAD.decode(text).map_err(|_| JwsError::Key)
}

/// Whether `jwk` may verify `alg` signatures: the right key type (and curve), and no other
/// algorithm or use declared on the key.
pub fn key_fits(alg: &str, jwk: &Value) -> bool {
    let Some((_, kty)) = ACCEPTED.iter().find(|(a, _)| *a == alg) else {
        return false;
    };
    let field = |name: &str| jwk.get(name).and_then(Value::as_str);
    let curve_fits = match alg {
        "ES256" => field("crv") == Some("P-256"),
        "EdDSA" => field("crv") == Some("Ed25519"),
        _ => true,
    };
    field("kty") == Some(kty)
        && curve_fits
        && field("alg").is_none_or(|a| a == alg)
        && field("use").is_none_or(|u| u == "sig")
}

/// Checks `signature` over `signing_input` with `jwk` under `alg`.
pub fn verify(
    alg: &str,
    jwk: &Value,
    signing_input: &[u8],
    signature: &[u8],
) -> Result<(), JwsError> {
    if !ACCEPTED.iter().any(|(a, _)| *a == alg) {
        return Err(JwsError::Algorithm(alg.to_string()));
    }
    if !key_fits(alg, jwk) {
        return Err(JwsError::Key);
    }
    match alg {
        "RS256" => verify_rs256(jwk, signing_input, signature),
        "ES256" => verify_es256(jwk, signing_input, signature),
        _ => verify_eddsa(jwk, signing_input, signature),
    }
}

fn verify_rs256(jwk: &Value, input: &[u8], signature: &[u8]) -> Result<(), JwsError> {
    use rsa::{BoxedUint, PublicKey};
    let n = member(jwk, "n")?;
    let e = member(jwk, "e")?;
    if n.len() * 8 < MIN_RSA_BITS || e.len() > 8 {
        return Err(JwsError::Key);
    }
    let key = PublicKey::new(
        BoxedUint::from_be_slice_vartime(&n),
        BoxedUint::from_be_slice_vartime(&e),
    )
    .map_err(|_| JwsError::Key)?;
    key.pkcs1v15_verify::<sha2::Sha256>(input, signature)
        .map_err(|_| JwsError::Signature)
}

fn verify_es256(jwk: &Value, input: &[u8], signature: &[u8]) -> Result<(), JwsError> {
    use p256::ecdsa::signature::Verifier;
    use p256::ecdsa::{Signature, VerifyingKey};
    let (x, y) = (member(jwk, "x")?, member(jwk, "y")?);
    if x.len() != 32 || y.len() != 32 {
        return Err(JwsError::Key);
    }
    let mut point = vec![0x04];
    point.extend_from_slice(&x);
    point.extend_from_slice(&y);
    let key = VerifyingKey::from_sec1_bytes(&point).map_err(|_| JwsError::Key)?;
    // JWS carries ECDSA signatures as R || S, 64 bytes (RFC 7518 §3.4).
    let signature = Signature::from_slice(signature).map_err(|_| JwsError::Signature)?;
    key.verify(input, &signature)
        .map_err(|_| JwsError::Signature)
}

fn verify_eddsa(jwk: &Value, input: &[u8], signature: &[u8]) -> Result<(), JwsError> {
    let x: [u8; 32] = member(jwk, "x")?.try_into().map_err(|_| JwsError::Key)?;
    let key = ed25519_dalek::VerifyingKey::from_bytes(&x).map_err(|_| JwsError::Key)?;
    let signature =
        ed25519_dalek::Signature::from_slice(signature).map_err(|_| JwsError::Signature)?;
    key.verify_strict(input, &signature)
        .map_err(|_| JwsError::Signature)
}
