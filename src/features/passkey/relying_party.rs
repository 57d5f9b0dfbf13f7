//! The WebAuthn Level 3 relying-party checks, pure: registration (§7.1) and authentication
//! (§7.2). Client data (type, challenge, origin), authenticator data (RP ID hash, flags, counter,
//! the attested credential), attestation (`none`, and `packed` self attestation) and signatures
//! over authenticatorData ‖ SHA-256(clientDataJSON). CBOR is decoded by `ciborium`, keys by
//! `coset` (see `crypto::cose`).

use crate::crypto::constant_time_eq;
use crate::crypto::cose::{CoseError, PublicKey};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use ciborium::Value as Cbor;
use serde_json::Value;
use sha2::{Digest, Sha256};
use thiserror::Error;

const USER_PRESENT: u8 = 0x01;
const USER_VERIFIED: u8 = 0x04;
const BACKUP_ELIGIBLE: u8 = 0x08;
const BACKED_UP: u8 = 0x10;
const ATTESTED_CREDENTIAL: u8 = 0x40;
const EXTENSIONS: u8 = 0x80;
/// WebAuthn's bound on credential ids.
const MAX_CREDENTIAL_ID: usize = 1023;

/// Why a response is refused (for the log; clients get one generic answer).
#[derive(Debug, Error, PartialEq)]
pub enum Refusal {
    #[error("malformed response: {0}")]
    Malformed(&'static str),
    #[error("the client data is for another ceremony")]
    CeremonyType,
    #[error("the challenge is not the one issued")]
    Challenge,
    #[error("the origin {0:?} is not trusted")]
    Origin(String),
    #[error("the authenticator data is for another relying party")]
    RpId,
    #[error("the user was not present")]
    UserNotPresent,
    #[error("the user was not verified")]
    UserNotVerified,
    #[error("attestation {0:?} is not accepted")]
    Attestation(String),
    #[error("the credential key: {0}")]
    Key(CoseError),
    #[error("the signature does not verify")]
    Signature,
    #[error(
        "the signature counter went from {stored} to {given}: the authenticator may be cloned"
    )]
    CounterRegression { stored: u32, given: u32 },
}

/// What the relying party issued and accepts.
pub struct Expected<'a> {
    /// The challenge, base64url as issued.
    pub challenge: &'a str,
    pub rp_id: &'a str,
    pub origin_allowed: &'a dyn Fn(&str) -> bool,
    pub user_verification: bool,
}

/// A credential registered.
#[derive(Debug, Clone, PartialEq)]
pub struct Registered {
    /// base64url, as the client names it.
    pub credential_id: String,
    /// The COSE_Key bytes.
    pub public_key: Vec<u8>,
    pub counter: u32,
    pub aaguid: String,
    /// Backup eligible: a passkey synced across devices.
    pub multi_device: bool,
    pub backed_up: bool,
    pub transports: Vec<String>,
}

/// An assertion verified: the authenticator's counter and backup state now.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Asserted {
    pub counter: u32,
    pub backed_up: bool,
}

struct AuthenticatorData<'a> {
    bytes: &'a [u8],
    flags: u8,
    counter: u32,
    attested: Option<Attested>,
}

struct Attested {
    aaguid: [u8; 16],
    credential_id: Vec<u8>,
    public_key: Vec<u8>,
}

fn bytes_of(value: &Value, name: &'static str) -> Result<Vec<u8>, Refusal> {
    let text = value
        .get(name)
        .and_then(Value::as_str)
        .ok_or(Refusal::Malformed(name))?;
    URL_SAFE_NO_PAD
        .decode(text.trim_end_matches('='))
        .map_err(|_| Refusal::Malformed(name))
}

/// The credential id, which `id` and `rawId` must both name.
fn credential_id(response: &Value) -> Result<(String, Vec<u8>), Refusal> {
    if response.get("type").and_then(Value::as_str) != Some("public-key") {
        return Err(Refusal::Malformed("type"));
    }
    let id = response
        .get("id")
        .and_then(Value::as_str)
        .ok_or(Refusal::Malformed("id"))?;
    let raw = bytes_of(response, "rawId")?;
    if raw.is_empty() || raw.len() > MAX_CREDENTIAL_ID || URL_SAFE_NO_PAD.encode(&raw) != id {
        return Err(Refusal::Malformed("id"));
    }
    Ok((id.to_string(), raw))
}

/// Checks the client data; answers SHA-256 of its bytes.
fn client_data(
    inner: &Value,
    ceremony: &str,
    expected: &Expected<'_>,
) -> Result<[u8; 32], Refusal> {
    let bytes = bytes_of(inner, "clientDataJSON")?;
    let data: Value =
        serde_json::from_slice(&bytes).map_err(|_| Refusal::Malformed("clientDataJSON"))?;
    let field = |name| data.get(name).and_then(Value::as_str);
    if field("type") != Some(ceremony) {
        return Err(Refusal::CeremonyType);
    }
    let challenge = field("challenge").unwrap_or_default();
    if !constant_time_eq(challenge.as_bytes(), expected.challenge.as_bytes()) {
        return Err(Refusal::Challenge);
    }
    let origin = field("origin").unwrap_or_default();
    // A ceremony inside a cross-origin frame is not one this service offers.
    if !(expected.origin_allowed)(origin) || data.get("crossOrigin") == Some(&Value::Bool(true)) {
        return Err(Refusal::Origin(origin.chars().take(100).collect()));
    }
    Ok(Sha256::digest(&bytes).into())
}

fn parse_authenticator_data(bytes: &[u8]) -> Result<AuthenticatorData<'_>, Refusal> {
    let malformed = Refusal::Malformed("authenticatorData");
    if bytes.len() < 37 {
        return Err(malformed);
    }
    let flags = bytes[32];
    let counter = u32::from_be_bytes([bytes[33], bytes[34], bytes[35], bytes[36]]);
    let mut rest = &bytes[37..];
    let mut attested = None;
    if flags & ATTESTED_CREDENTIAL != 0 {
        if rest.len() < 18 {
            return Err(malformed);
        }
        let aaguid: [u8; 16] = rest[..16]
            .try_into()
            .map_err(|_| Refusal::Malformed("aaguid"))?;
        let id_len = u16::from_be_bytes([rest[16], rest[17]]) as usize;
        rest = &rest[18..];
        if id_len == 0 || id_len > MAX_CREDENTIAL_ID || rest.len() < id_len {
            return Err(malformed);
        }
        let credential_id = rest[..id_len].to_vec();
        rest = &rest[id_len..];
        let key_start = rest;
        let _: Cbor =
            ciborium::de::from_reader(&mut rest).map_err(|_| Refusal::Malformed("public key"))?;
        let public_key = key_start[..key_start.len() - rest.len()].to_vec();
        attested = Some(Attested {
            aaguid,
            credential_id,
            public_key,
        });
    }
    if flags & EXTENSIONS != 0 {
        let _: Cbor =
            ciborium::de::from_reader(&mut rest).map_err(|_| Refusal::Malformed("extensions"))?;
    }
    if !rest.is_empty() {
        return Err(Refusal::Malformed("authenticatorData has trailing bytes"));
    }
    Ok(AuthenticatorData {
        bytes,
        flags,
        counter,
        attested,
    })
}

/// The checks every ceremony makes on authenticator data: the RP ID hash and the flags.
fn check_authenticator(
    data: &AuthenticatorData<'_>,
    expected: &Expected<'_>,
) -> Result<(), Refusal> {
    let rp_id_hash: [u8; 32] = Sha256::digest(expected.rp_id.as_bytes()).into();
    if !constant_time_eq(&data.bytes[..32], &rp_id_hash) {
        return Err(Refusal::RpId);
    }
    if data.flags & USER_PRESENT == 0 {
        return Err(Refusal::UserNotPresent);
    }
    if expected.user_verification && data.flags & USER_VERIFIED == 0 {
        return Err(Refusal::UserNotVerified);
    }
    if data.flags & BACKED_UP != 0 && data.flags & BACKUP_ELIGIBLE == 0 {
        return Err(Refusal::Malformed("backed up but not backup eligible"));
    }
    Ok(())
}

fn signed_message(authenticator_data: &[u8], client_data_hash: &[u8; 32]) -> Vec<u8> {
    let mut message = authenticator_data.to_vec();
    message.extend_from_slice(client_data_hash);
    message
}

fn map_get<'v>(map: &'v [(Cbor, Cbor)], key: &str) -> Option<&'v Cbor> {
    map.iter()
        .find(|(k, _)| k.as_text() == Some(key))
        .map(|(_, v)| v)
}

fn aaguid_text(aaguid: &[u8; 16]) -> String {
    let hex = crate::crypto::hex_encode(aaguid);
    format!(
        "{}-{}-{}-{}-{}",
        &hex[..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..]
    )
}

/// Verifies a registration response (`PublicKeyCredential` as JSON, as `@simplewebauthn/browser`
/// sends it).
pub fn verify_registration(
    response: &Value,
    expected: &Expected<'_>,
) -> Result<Registered, Refusal> {
    let (id, raw_id) = credential_id(response)?;
    let inner = response
        .get("response")
        .ok_or(Refusal::Malformed("response"))?;
    let client_data_hash = client_data(inner, "webauthn.create", expected)?;
    let object: Cbor = ciborium::de::from_reader(&bytes_of(inner, "attestationObject")?[..])
        .map_err(|_| Refusal::Malformed("attestationObject"))?;
    let object = object
        .as_map()
        .ok_or(Refusal::Malformed("attestationObject"))?;
    let fmt = map_get(object, "fmt")
        .and_then(Cbor::as_text)
        .ok_or(Refusal::Malformed("fmt"))?;
    let statement = map_get(object, "attStmt")
        .and_then(Cbor::as_map)
        .ok_or(Refusal::Malformed("attStmt"))?;
    let auth_bytes = map_get(object, "authData")
        .and_then(Cbor::as_bytes)
        .ok_or(Refusal::Malformed("authData"))?;
    let data = parse_authenticator_data(auth_bytes)?;
    check_authenticator(&data, expected)?;
    let attested = data
        .attested
        .as_ref()
        .ok_or(Refusal::Malformed("no attested credential"))?;
    if attested.credential_id != raw_id {
        return Err(Refusal::Malformed("the credential id differs from rawId"));
    }
    let key = PublicKey::from_cbor(&attested.public_key).map_err(Refusal::Key)?;
    match fmt {
        "none" if statement.is_empty() => {}
        "packed" if map_get(statement, "x5c").is_none() => {
            // Self attestation: signed by the credential's own key, with its algorithm.
            let alg = map_get(statement, "alg")
                .and_then(Cbor::as_integer)
                .map(i128::from);
            let sig = map_get(statement, "sig")
                .and_then(Cbor::as_bytes)
                .ok_or(Refusal::Malformed("attStmt.sig"))?;
            if alg != Some(i128::from(key.alg())) {
                return Err(Refusal::Attestation(
                    "packed, with another algorithm".into(),
                ));
            }
            key.verify(&signed_message(data.bytes, &client_data_hash), sig)
                .map_err(|_| Refusal::Signature)?;
        }
        other => return Err(Refusal::Attestation(other.chars().take(32).collect())),
    }
    let transports = inner
        .get("transports")
        .and_then(Value::as_array)
        .map(|list| {
            list.iter()
                .filter_map(Value::as_str)
                .filter(|t| {
                    t.len() <= 32 && t.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
                })
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default();
    Ok(Registered {
        credential_id: id,
        public_key: attested.public_key.clone(),
        counter: data.counter,
        aaguid: aaguid_text(&attested.aaguid),
        multi_device: data.flags & BACKUP_ELIGIBLE != 0,
        backed_up: data.flags & BACKED_UP != 0,
        transports,
    })
}

/// The credential id an authentication response names.
pub fn asserted_credential(response: &Value) -> Result<String, Refusal> {
    credential_id(response).map(|(id, _)| id)
}

/// Verifies an authentication response against the stored credential (its COSE key and
/// counter).
pub fn verify_authentication(
    response: &Value,
    expected: &Expected<'_>,
    public_key: &[u8],
    stored_counter: u32,
) -> Result<Asserted, Refusal> {
    credential_id(response)?;
    let inner = response
        .get("response")
        .ok_or(Refusal::Malformed("response"))?;
    let client_data_hash = client_data(inner, "webauthn.get", expected)?;
    let auth_bytes = bytes_of(inner, "authenticatorData")?;
    let data = parse_authenticator_data(&auth_bytes)?;
    check_authenticator(&data, expected)?;
    let key = PublicKey::from_cbor(public_key).map_err(Refusal::Key)?;
    let signature = bytes_of(inner, "signature")?;
    key.verify(&signed_message(data.bytes, &client_data_hash), &signature)
        .map_err(|_| Refusal::Signature)?;
    // Authenticators that count must count up; a counter that does not is a sign of a clone.
    if (data.counter > 0 || stored_counter > 0) && data.counter <= stored_counter {
        return Err(Refusal::CounterRegression {
            stored: stored_counter,
            given: data.counter,
        });
    }
    Ok(Asserted {
        counter: data.counter,
        backed_up: data.flags & BACKED_UP != 0,
    })
}
