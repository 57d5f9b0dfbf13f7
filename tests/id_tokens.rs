//! ID-token verification against a provider's JWKS, with tokens signed by `jose`
//! (tests/fixtures/id-tokens.mjs): the three accepted algorithms, and each way a token can be
//! wrong.
#![cfg(not(target_arch = "wasm32"))]

use portcullis::crypto::jws::JwsError;
use portcullis::features::social::id_token::{verify, Expected, IdTokenError};
use serde_json::Value;

fn fixture() -> Value {
    serde_json::from_str(include_str!("fixtures/id-tokens.json")).unwrap()
}

fn check(name: &str, nonce: Option<&str>) -> Result<serde_json::Map<String, Value>, IdTokenError> {
    let f = fixture();
    let issuers = [f["issuer"].as_str().unwrap().to_string()];
    let expected = Expected {
        issuers: &issuers,
        client_id: f["clientId"].as_str().unwrap(),
        nonce,
        now: f["now"].as_i64().unwrap() * 1000,
        max_age: None,
    };
    let keys = f["jwks"]["keys"].as_array().unwrap().clone();
    verify(f["tokens"][name].as_str().unwrap(), &keys, &expected)
}

const NONCE: Option<&str> = Some("n-0123456789");

#[test]
fn rs256_es256_and_eddsa_tokens_verify() {
    for name in ["rs256", "es256", "eddsa"] {
        let claims = check(name, NONCE).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(claims["sub"], "user-1");
        assert_eq!(claims["email"], "ada@example.com");
    }
    assert!(check("audiences_with_azp", NONCE).is_ok());
}

#[test]
fn each_wrong_claim_is_refused_with_its_reason() {
    let cases = [
        ("wrong_issuer", IdTokenError::Issuer),
        ("wrong_audience", IdTokenError::Audience),
        ("audiences_without_azp", IdTokenError::AuthorizedParty),
        ("foreign_azp", IdTokenError::AuthorizedParty),
        ("expired", IdTokenError::Expired),
        ("issued_in_future", IdTokenError::IssuedAt),
        ("no_nonce", IdTokenError::Nonce),
        ("other_nonce", IdTokenError::Nonce),
    ];
    for (name, reason) in cases {
        assert_eq!(check(name, NONCE).unwrap_err(), reason, "{name}");
    }
}

#[test]
fn forged_signatures_and_refused_algorithms_never_pass() {
    assert_eq!(
        check("bad_signature", NONCE).unwrap_err(),
        IdTokenError::Jws(JwsError::Signature)
    );
    assert_eq!(
        check("alg_none", NONCE).unwrap_err(),
        IdTokenError::Jws(JwsError::Algorithm("none".into()))
    );
    assert_eq!(
        check("hs256", NONCE).unwrap_err(),
        IdTokenError::Jws(JwsError::Algorithm("HS256".into()))
    );
    assert_eq!(
        check("unknown_kid", NONCE).unwrap_err(),
        IdTokenError::UnknownKey
    );
    // An RSA key id under an ES256 header finds no key that fits.
    assert_eq!(
        check("rs256_key_as_es256", NONCE).unwrap_err(),
        IdTokenError::UnknownKey
    );
}

#[test]
fn without_a_nonce_sent_none_is_required() {
    assert!(check("no_nonce", None).is_ok());
}

#[test]
fn a_token_handed_over_by_a_client_may_be_required_to_be_recent() {
    let f = fixture();
    let issuers = [f["issuer"].as_str().unwrap().to_string()];
    let keys = f["jwks"]["keys"].as_array().unwrap().clone();
    let within = |max_age| Expected {
        issuers: &issuers,
        client_id: "portcullis-client",
        nonce: None,
        now: f["now"].as_i64().unwrap() * 1000,
        max_age,
    };
    let old = f["tokens"]["issued_two_hours_ago"].as_str().unwrap();
    assert!(verify(old, &keys, &within(None)).is_ok());
    assert_eq!(
        verify(old, &keys, &within(Some(3_600_000))).unwrap_err(),
        IdTokenError::IssuedAt
    );
}
