//! The crypto vectors and the JWT verifier, compiled to wasm32 and run in V8 (the engine workerd
//! embeds) by wasm-bindgen-test-runner: what runs natively must hold in the Worker's build too.
#![cfg(target_arch = "wasm32")]

use portcullis::crypto::hex_encode;
use portcullis::crypto::hmac::{hmac_sha256, rfc_4231_cases, sign_value};
use portcullis::crypto::password::{scrypt_key, scrypt_with, KEY_LEN, RFC_7914_VECTORS};
use portcullis::features::jwt::keys::KeyPair;
use portcullis::features::jwt::token::{sign, verify, verify_signature, Expectations, JwtError};
use serde_json::json;
use wasm_bindgen_test::wasm_bindgen_test;

const RFC8037_D: &str = r#"{"kty":"OKP","crv":"Ed25519","d":"nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}"#;
const RFC8037_INPUT: &str = "eyJhbGciOiJFZERTQSJ9.RXhhbXBsZSBvZiBFZDI1NTE5IHNpZ25pbmc";
const RFC8037_SIG: &str =
    "hgyY0il_MGCjP0JzlnLWG1PPOt7-09PGcvMg3AIbQR6dWbhijcNR4ki4iylGjg5BhVsPt9g7sVvpAr_MuM0KAg";

#[wasm_bindgen_test]
fn rfc_8037_a4_holds_in_wasm() {
    let pair = KeyPair::from_stored("a4", RFC8037_D, b"").unwrap();
    let signed = sign_input(&pair, RFC8037_INPUT);
    assert_eq!(signed, RFC8037_SIG);
    assert_eq!(
        verify_signature(&pair.public(), RFC8037_INPUT, RFC8037_SIG),
        Ok(())
    );
}

fn sign_input(pair: &KeyPair, input: &str) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(pair.sign(input.as_bytes()))
}

#[wasm_bindgen_test]
fn hmac_and_cookie_vectors_hold_in_wasm() {
    for (key, data, expected) in rfc_4231_cases() {
        assert!(hex_encode(&hmac_sha256(&key, &data)).starts_with(expected));
    }
    let secret = b"better-auth-secret-that-is-long-enough-for-validation-test";
    assert_eq!(
        sign_value(secret, "Ab3dEfGhIjKlMnOpQrStUvWxYz012345"),
        "Ab3dEfGhIjKlMnOpQrStUvWxYz012345.Tz/qpI4HwWxGKiPwgzm5ev9Arcv71jN2egNFBl3ksnw="
    );
}

#[wasm_bindgen_test]
fn better_auth_scrypt_vector_holds_in_wasm() {
    let key: [u8; KEY_LEN] =
        scrypt_key(b"password123", b"a5b0a7c6b5f7d8e9f0a1b2c3d4e5f6a7").unwrap();
    assert!(hex_encode(&key).starts_with("44614ccf4f7587d3af3ce8b181b22712"));
}

#[wasm_bindgen_test]
fn rfc_7914_scrypt_vectors_hold_in_wasm() {
    for (password, salt, params, expected) in RFC_7914_VECTORS {
        let mut key = [0u8; 64];
        scrypt_with(password.as_bytes(), salt.as_bytes(), params, &mut key).unwrap();
        assert_eq!(hex_encode(&key), expected, "{password:?}");
    }
}

#[wasm_bindgen_test]
fn jwt_verification_holds_in_wasm_with_an_injected_clock() {
    let pair = KeyPair::generate("k".into(), portcullis::features::jwt::keys::Alg::EdDSA).unwrap();
    let now = (js_sys::Date::now() / 1000.0) as i64;
    let claims = json!({"sub": "u", "iat": now, "exp": now + 900, "iss": "https://a.test", "aud": "https://a.test"});
    let token = sign(&pair, claims.as_object().unwrap());
    let expect = |now| Expectations {
        issuer: "https://a.test",
        audience: "https://a.test",
        now,
        leeway: 0,
    };
    assert!(verify(&token, &[pair.public()], &expect(now)).is_ok());
    assert_eq!(
        verify(&token, &[pair.public()], &expect(now + 901)),
        Err(JwtError::Expired)
    );
    let none = format!(
        "eyJhbGciOiJub25lIiwia2lkIjoiayJ9.{}.",
        token.split('.').nth(1).unwrap()
    );
    assert_eq!(
        verify(&none, &[pair.public()], &expect(now)),
        Err(JwtError::UnsupportedAlgorithm)
    );
}
