//! The WebAuthn relying party against recorded vectors (tests/fixtures/webauthn.json, made by a
//! software authenticator and checked by @simplewebauthn/server): ES256, EdDSA and RS256 keys,
//! `none` and `packed` self attestation, and every refusal: another origin, another RP ID, another
//! challenge or ceremony, a bad signature, a counter that goes back, the user-present flag off.
#![cfg(not(target_arch = "wasm32"))]

use portcullis::features::passkey::relying_party::{
    asserted_credential, verify_authentication, verify_registration, Expected, Refusal,
};
use serde_json::{json, Value};

fn fixture() -> Value {
    serde_json::from_str(include_str!("fixtures/webauthn.json")).unwrap()
}

fn trusted(origin: &str) -> bool {
    origin == "http://localhost:5173"
}

fn expected<'a>(challenge: &'a str, rp_id: &'a str) -> Expected<'a> {
    Expected {
        challenge,
        rp_id,
        origin_allowed: &trusted,
        user_verification: false,
    }
}

fn text(value: &Value) -> &str {
    value.as_str().unwrap()
}

fn public_key_of(case: &Value) -> Vec<u8> {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD
        .decode(text(&case["storedPublicKey"]))
        .unwrap()
}

#[test]
fn every_key_type_registers_and_signs_in() {
    let f = fixture();
    for (name, case) in f["cases"].as_object().unwrap() {
        let registered = verify_registration(
            &case["registration"],
            &expected(text(&case["registrationChallenge"]), "localhost"),
        )
        .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(registered.credential_id, text(&case["registration"]["id"]));
        assert_eq!(registered.counter, 0);
        assert_eq!(registered.aaguid, text(&f["aaguid"]));
        assert!(registered.multi_device && registered.backed_up, "{name}");
        assert_eq!(registered.transports, vec!["internal", "hybrid"]);
        // The key is kept exactly as better-auth keeps it.
        assert_eq!(registered.public_key, public_key_of(case), "{name}");

        let auth = &case["authentication"];
        assert_eq!(asserted_credential(auth).unwrap(), registered.credential_id);
        let asserted = verify_authentication(
            auth,
            &expected(text(&case["authenticationChallenge"]), "localhost"),
            &registered.public_key,
            0,
        )
        .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(asserted.counter, 7);
        assert!(asserted.backed_up);
    }
}

#[test]
fn a_key_better_auth_stored_verifies_an_assertion() {
    let f = fixture();
    let case = &f["cases"]["EdDSA-none"];
    let asserted = verify_authentication(
        &case["authentication"],
        &expected(text(&case["authenticationChallenge"]), "localhost"),
        &public_key_of(case),
        3,
    )
    .unwrap();
    assert_eq!(asserted.counter, 7);
}

#[test]
fn registrations_wrong_in_one_way_are_refused() {
    let f = fixture();
    let case = &f["cases"]["ES256-none"];
    let challenge = text(&case["registrationChallenge"]);
    let response = &case["registration"];
    let refused = |r: &Value, e: Expected<'_>| verify_registration(r, &e).unwrap_err();

    assert_eq!(
        refused(response, expected("another-challenge", "localhost")),
        Refusal::Challenge
    );
    assert_eq!(
        refused(response, expected(challenge, "example.com")),
        Refusal::RpId
    );
    let nobody = |_: &str| false;
    assert!(matches!(
        refused(
            response,
            Expected {
                origin_allowed: &nobody,
                ..expected(challenge, "localhost")
            }
        ),
        Refusal::Origin(_)
    ));
    // The vector's user was verified: asking for it passes.
    assert!(verify_registration(
        response,
        &Expected {
            user_verification: true,
            ..expected(challenge, "localhost")
        }
    )
    .is_ok());

    let up = &f["registrationWithoutUserPresence"];
    assert_eq!(
        refused(
            &up["response"],
            expected(text(&up["challenge"]), "localhost")
        ),
        Refusal::UserNotPresent
    );
    let other_rp = &f["registrationForAnotherRp"];
    assert_eq!(
        refused(
            &other_rp["response"],
            expected(text(&other_rp["challenge"]), "localhost")
        ),
        Refusal::RpId
    );

    // An assertion offered as a registration is another ceremony.
    assert!(matches!(
        refused(
            &case["authentication"],
            expected(text(&case["authenticationChallenge"]), "localhost")
        ),
        Refusal::Malformed(_) | Refusal::CeremonyType
    ));

    // id and rawId must agree.
    let mut swapped = response.clone();
    swapped["id"] = f["cases"]["EdDSA-none"]["registration"]["id"].clone();
    assert!(matches!(
        refused(&swapped, expected(challenge, "localhost")),
        Refusal::Malformed(_)
    ));
}

#[test]
fn a_packed_self_attestation_must_be_signed_by_the_credential() {
    let f = fixture();
    let case = &f["cases"]["ES256-packed"];
    let mut forged = case["registration"].clone();
    // The attestation object of another packed registration: its signature is by another key.
    forged["response"]["attestationObject"] =
        f["cases"]["EdDSA-packed"]["registration"]["response"]["attestationObject"].clone();
    let refusal = verify_registration(
        &forged,
        &expected(text(&case["registrationChallenge"]), "localhost"),
    )
    .unwrap_err();
    assert!(
        matches!(refusal, Refusal::Signature | Refusal::Malformed(_)),
        "{refusal}"
    );
}

#[test]
fn assertions_wrong_in_one_way_are_refused() {
    let f = fixture();
    let base = &f["base"];
    let registered = verify_registration(
        &base["registration"],
        &expected(text(&base["registrationChallenge"]), "localhost"),
    )
    .unwrap();
    let key = &registered.public_key;
    let check = |case: &Value, stored: u32| {
        verify_authentication(
            &case["response"],
            &expected(text(&case["challenge"]), "localhost"),
            key,
            stored,
        )
    };

    assert_eq!(check(&base["counterFive"], 0).unwrap().counter, 5);
    assert_eq!(
        check(&base["counterFive"], 5).unwrap_err(),
        Refusal::CounterRegression {
            stored: 5,
            given: 5
        }
    );
    assert_eq!(
        check(&base["counterFive"], 9).unwrap_err(),
        Refusal::CounterRegression {
            stored: 9,
            given: 5
        }
    );
    assert_eq!(
        check(&base["withoutUserPresence"], 0).unwrap_err(),
        Refusal::UserNotPresent
    );
    assert!(matches!(
        check(&base["fromAnotherOrigin"], 0).unwrap_err(),
        Refusal::Origin(_)
    ));
    // User verification: accepted when not asked for, refused when it is.
    assert!(check(&base["withoutUserVerification"], 0).is_ok());
    let uv = &base["withoutUserVerification"];
    assert_eq!(
        verify_authentication(
            &uv["response"],
            &Expected {
                user_verification: true,
                ..expected(text(&uv["challenge"]), "localhost")
            },
            key,
            0
        )
        .unwrap_err(),
        Refusal::UserNotVerified
    );
    // A replayed challenge: the response answers another one.
    assert_eq!(
        verify_authentication(
            &base["counterFive"]["response"],
            &expected(text(&uv["challenge"]), "localhost"),
            key,
            0
        )
        .unwrap_err(),
        Refusal::Challenge
    );
    // Another credential's key.
    let other = public_key_of(&f["cases"]["ES256-none"]);
    assert_eq!(
        check(&base["counterFive"], 0)
            .and_then(|_| verify_authentication(
                &base["counterFive"]["response"],
                &expected(text(&base["counterFive"]["challenge"]), "localhost"),
                &other,
                0
            ))
            .unwrap_err(),
        Refusal::Signature
    );
    // A signature altered by one bit.
    let mut flipped = base["counterFive"]["response"].clone();
    let sig = text(&flipped["response"]["signature"]).to_string();
    let mut chars: Vec<char> = sig.chars().collect();
    let i = chars.len() / 2;
    chars[i] = if chars[i] == 'A' { 'B' } else { 'A' };
    flipped["response"]["signature"] = Value::String(chars.into_iter().collect());
    assert_eq!(
        verify_authentication(
            &flipped,
            &expected(text(&base["counterFive"]["challenge"]), "localhost"),
            key,
            0
        )
        .unwrap_err(),
        Refusal::Signature
    );
}

#[test]
fn truncated_or_garbled_responses_are_refused_without_a_panic() {
    use base64::Engine;
    use ciborium::Value as Cbor;
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let f = fixture();
    let case = &f["cases"]["RS256-none"];
    let challenge = text(&case["registrationChallenge"]);
    let object_bytes = b64
        .decode(text(&case["registration"]["response"]["attestationObject"]))
        .unwrap();
    let object: Cbor = ciborium::de::from_reader(&object_bytes[..]).unwrap();
    let Cbor::Map(entries) = object else {
        panic!("a map")
    };
    let auth_data = entries
        .iter()
        .find_map(|(k, v)| (k.as_text() == Some("authData")).then(|| v.as_bytes().unwrap().clone()))
        .unwrap();
    for len in 0..auth_data.len() {
        let cut: Vec<(Cbor, Cbor)> = entries
            .iter()
            .map(|(k, v)| match k.as_text() {
                Some("authData") => (k.clone(), Cbor::Bytes(auth_data[..len].to_vec())),
                _ => (k.clone(), v.clone()),
            })
            .collect();
        let mut encoded = Vec::new();
        ciborium::ser::into_writer(&Cbor::Map(cut), &mut encoded).unwrap();
        let mut response = case["registration"].clone();
        response["response"]["attestationObject"] = Value::String(b64.encode(&encoded));
        assert!(
            verify_registration(&response, &expected(challenge, "localhost")).is_err(),
            "authData cut to {len} bytes"
        );
    }
    for len in 0..object_bytes.len() {
        let mut response = case["registration"].clone();
        response["response"]["attestationObject"] = Value::String(b64.encode(&object_bytes[..len]));
        assert!(verify_registration(&response, &expected(challenge, "localhost")).is_err());
    }
    let auth = &case["authentication"];
    let data = b64
        .decode(text(&auth["response"]["authenticatorData"]))
        .unwrap();
    for len in 0..data.len() {
        let mut response = auth.clone();
        response["response"]["authenticatorData"] = Value::String(b64.encode(&data[..len]));
        assert!(verify_authentication(
            &response,
            &expected(text(&case["authenticationChallenge"]), "localhost"),
            &public_key_of(case),
            0
        )
        .is_err());
    }
    for garbage in [
        json!(null),
        json!("x"),
        json!({"response": 5}),
        json!({"id": "a", "rawId": "a", "type": "public-key", "response": {"clientDataJSON": "!!"}}),
    ] {
        assert!(verify_registration(&garbage, &expected(challenge, "localhost")).is_err());
        assert!(verify_authentication(
            &garbage,
            &expected(challenge, "localhost"),
            &public_key_of(case),
            0
        )
        .is_err());
    }
}
