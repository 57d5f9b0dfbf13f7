//! Ed25519 and HMAC timings in wasm (V8, the engine workerd embeds), for `npm run bench`, which
//! runs this in release mode: the crypto crates at the opt-level the Worker ships with.
#![cfg(target_arch = "wasm32")]

use base64::Engine;
use portcullis::crypto::hmac::hmac_sha256;
use portcullis::features::jwt::keys::KeyPair;
use portcullis::features::jwt::token::verify_signature;
use wasm_bindgen::prelude::*;
use wasm_bindgen_test::wasm_bindgen_test;

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_namespace = performance, js_name = now)]
    fn performance_now() -> f64;
    #[wasm_bindgen(js_namespace = console, js_name = log)]
    fn console_log(s: &str);
}

fn sign_input(pair: &KeyPair, input: &str) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(pair.sign(input.as_bytes()))
}

fn per_op_ms(iterations: u32, mut op: impl FnMut()) -> f64 {
    for _ in 0..iterations / 10 {
        op();
    }
    let start = performance_now();
    for _ in 0..iterations {
        op();
    }
    (performance_now() - start) / iterations as f64
}

#[wasm_bindgen_test]
fn ed25519_timing() {
    let pair =
        KeyPair::generate("bench".into(), portcullis::features::jwt::keys::Alg::EdDSA).unwrap();
    let public = pair.public();
    let input = "eyJhbGciOiJFZERTQSJ9.eyJzdWIiOiJ1c2VyIn0";
    let signature = sign_input(&pair, input);
    let hmac = per_op_ms(20_000, || {
        std::hint::black_box(hmac_sha256(b"key", input.as_bytes()));
    });
    let sign = per_op_ms(2_000, || {
        std::hint::black_box(sign_input(&pair, input));
    });
    let verify = per_op_ms(2_000, || {
        std::hint::black_box(verify_signature(&public, input, &signature)).ok();
    });
    console_log(&format!(
        r#"BENCH {{"where":"wasm (V8)","what":"HMAC-SHA256 (floor)","ms":{hmac}}}"#
    ));
    console_log(&format!(
        r#"BENCH {{"where":"wasm (V8)","what":"Ed25519 sign","ms":{sign}}}"#
    ));
    console_log(&format!(
        r#"BENCH {{"where":"wasm (V8)","what":"Ed25519 verify","ms":{verify}}}"#
    ));
}

/// An identity provider's ID token checked end to end (signature and claims) for each algorithm
/// accepted, against the HMAC floor above: what a social sign-in pays for its token in wasm.
#[wasm_bindgen_test]
fn id_token_timing() {
    use portcullis::features::social::id_token::{verify, Expected};
    let fixture: serde_json::Value =
        serde_json::from_str(include_str!("fixtures/id-tokens.json")).unwrap();
    let issuers = [fixture["issuer"].as_str().unwrap().to_string()];
    let keys = fixture["jwks"]["keys"].as_array().unwrap().clone();
    let expected = Expected {
        issuers: &issuers,
        client_id: fixture["clientId"].as_str().unwrap(),
        nonce: fixture["nonce"].as_str(),
        now: fixture["now"].as_i64().unwrap() * 1000,
        max_age: None,
    };
    for (name, what) in [
        ("rs256", "ID token RS256 (2048-bit) verify"),
        ("es256", "ID token ES256 verify"),
        ("eddsa", "ID token EdDSA verify"),
    ] {
        let token = fixture["tokens"][name].as_str().unwrap();
        assert!(verify(token, &keys, &expected).is_ok(), "{name}");
        let ms = per_op_ms(200, || {
            std::hint::black_box(verify(token, &keys, &expected)).ok();
        });
        console_log(&format!(
            r#"BENCH {{"where":"wasm (V8)","what":"{what}","ms":{ms}}}"#
        ));
    }
}
