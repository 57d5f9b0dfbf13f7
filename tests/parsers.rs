//! Properties of every parser that takes untrusted bytes: cookies, origins and redirect targets,
//! request bodies (JSON and form) with their validation, signed bearer values, ISO dates and the
//! JWT verifier. None panics on any input, and each round-trips where a round trip exists.
#![cfg(not(target_arch = "wasm32"))]

use portcullis::crypto::hmac::{sign_value, verify_signed_value};
use portcullis::features::jwt::keys::KeyPair;
use portcullis::features::jwt::token::{sign, verify, Expectations};
use portcullis::features::CATALOGUE;
use portcullis::kernel::catalogue::endpoints;
use portcullis::kernel::cookies::{self, encode_uri_component};
use portcullis::kernel::{input, request};
use portcullis::net::origin::{is_allowed_redirect, Origin, OriginPattern};
use portcullis::time::{parse_iso, to_iso};
use proptest::prelude::*;
use serde_json::{json, Map, Value};

const SECRET: &[u8] = b"0123456789abcdef0123456789abcdef";

/// Arbitrary JSON, a few levels deep.
fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        ".{0,40}".prop_map(Value::String),
    ];
    leaf.prop_recursive(3, 24, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec(("[a-zA-Z]{1,12}", inner), 0..6)
                .prop_map(|pairs| Value::Object(pairs.into_iter().collect::<Map<_, _>>())),
        ]
    })
}

/// Bodies made of the fields endpoints declare, with values of any type.
fn declared_body() -> impl Strategy<Value = Value> {
    let names: Vec<&str> = endpoints(CATALOGUE)
        .flat_map(|e| e.body.fields().iter().map(|f| f.name))
        .collect();
    prop::collection::vec((prop::sample::select(names), json_value()), 0..8).prop_map(|pairs| {
        Value::Object(pairs.into_iter().map(|(k, v)| (k.to_string(), v)).collect())
    })
}

fn post(content_type: &str, body: Vec<u8>) -> request::Request {
    http::Request::builder()
        .method("POST")
        .uri("/api/auth/x")
        .header("content-type", content_type)
        .body(body)
        .unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn cookie_headers_never_panic_and_encoded_values_round_trip(header in ".{0,200}", value in ".{0,60}") {
        let _ = cookies::parse(&header);
        let _ = cookies::verified_value(SECRET, &header);
        let line = format!("a=1; session={}; b=2", encode_uri_component(&value));
        let parsed = cookies::parse(&line);
        let found = parsed.iter().find(|(n, _)| n == "session").map(|(_, v)| v.clone());
        prop_assert_eq!(found, Some(encode_uri_component(&value)));
        // As set: the signed value, URI-encoded into the cookie.
        let cookie = encode_uri_component(&cookies::signed(SECRET, &value));
        prop_assert_eq!(cookies::verified_value(SECRET, &cookie), Some(value));
    }

    #[test]
    fn origins_and_redirect_targets_never_panic(input in ".{0,120}", host in "[a-z]{1,12}(\\.[a-z]{1,8}){0,2}", port in 1u16..) {
        let _ = Origin::parse(&input);
        let _ = Origin::parse_url(&input);
        let _ = OriginPattern::parse(&input);
        let trusted = Origin::parse("https://app.example.com").unwrap();
        // An allowed absolute target is on a trusted origin, whatever else it contains.
        if is_allowed_redirect(&input, |o| *o == trusted) {
            if let Some((origin, _)) = Origin::parse_url(&input) {
                prop_assert_eq!(origin, trusted.clone());
            }
        }
        let origin = format!("https://{host}:{port}");
        if let Some(parsed) = Origin::parse(&origin) {
            prop_assert_eq!(Origin::parse(&parsed.to_string()), Some(parsed));
        }
    }

    #[test]
    fn request_bodies_never_panic_and_are_answered_or_refused_with_a_json_error(bytes in prop::collection::vec(any::<u8>(), 0..300), form in any::<bool>()) {
        let media = if form { request::FORM } else { request::JSON };
        match request::parse_body(&post(media, bytes), 65_536, form) {
            Ok(body) => {
                for e in endpoints(CATALOGUE) {
                    if let Err(refused) = input::check(e.body, e.query, body.clone(), Vec::new()) {
                        prop_assert!(refused.status == 400 && refused.code() == Some("VALIDATION_ERROR"));
                    }
                }
            }
            Err(refused) => prop_assert!(matches!(refused.status, 400 | 413 | 415), "{}", refused.status),
        }
    }

    #[test]
    fn declared_fields_of_any_type_are_checked_without_panics(body in declared_body(), query in prop::collection::vec(("[a-zA-Z]{1,12}", ".{0,20}"), 0..4)) {
        for e in endpoints(CATALOGUE) {
            match input::check(e.body, e.query, Some(body.clone()), query.clone()) {
                Ok(checked) => {
                    for field in e.body.fields() {
                        let given = checked.raw(field.name);
                        prop_assert!(given.is_some() || !field.required, "{} {}", e.path, field.name);
                    }
                }
                Err(refused) => prop_assert_eq!(refused.code(), Some("VALIDATION_ERROR")),
            }
        }
    }

    #[test]
    fn form_bodies_round_trip_their_fields(fields in prop::collection::vec(("[a-zA-Z]{1,10}", ".{0,30}"), 1..6)) {
        let encoded = form_urlencoded::Serializer::new(String::new()).extend_pairs(&fields).finish();
        let parsed = request::parse_body(&post(request::FORM, encoded.into_bytes()), 65_536, true).unwrap().unwrap();
        for (name, _) in &fields {
            let last = fields.iter().rev().find(|(n, _)| n == name).map(|(_, v)| v.clone()).unwrap();
            prop_assert_eq!(parsed.get(name).and_then(Value::as_str), Some(last.as_str()));
        }
    }

    #[test]
    fn signed_bearer_values_verify_only_unaltered(value in "[A-Za-z0-9]{1,40}", junk in ".{0,80}") {
        let signed = sign_value(SECRET, &value);
        prop_assert_eq!(verify_signed_value(SECRET, &signed), Some(value.as_str()));
        let _ = verify_signed_value(SECRET, &junk);
        let altered = format!("{signed}x");
        prop_assert_eq!(verify_signed_value(SECRET, &altered), None);
    }

    #[test]
    fn iso_dates_round_trip_and_junk_is_refused(ms in 0i64..253_402_300_799_999, junk in ".{0,40}") {
        prop_assert_eq!(parse_iso(&to_iso(ms)), Some(ms));
        let _ = parse_iso(&junk);
    }

    #[test]
    fn the_jwt_verifier_never_panics_and_refuses_any_altered_token(junk in ".{0,200}", flip in 0usize..200) {
        let pair = KeyPair::generate("k1".into(), portcullis::features::jwt::keys::Alg::EdDSA).unwrap();
        let keys = [pair.public()];
        let expect = Expectations { issuer: "https://auth.example.com", audience: "https://auth.example.com", now: 1_000, leeway: 0 };
        let _ = verify(&junk, &keys, &expect);
        let claims = json!({"sub": "u1", "iss": "https://auth.example.com", "aud": "https://auth.example.com", "iat": 1_000, "exp": 2_000});
        let token = sign(&pair, claims.as_object().unwrap());
        prop_assert!(verify(&token, &keys, &expect).is_ok());
        let mut bytes = token.clone().into_bytes();
        let at = flip % bytes.len();
        bytes[at] = if bytes[at] == b'A' { b'B' } else { b'A' };
        let altered = String::from_utf8(bytes).unwrap();
        if altered != token {
            prop_assert!(verify(&altered, &keys, &expect).is_err(), "altered at {at}");
        }
    }
}
