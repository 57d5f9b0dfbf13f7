//! JWTs and the JWKS through `App::handle`: key storage in better-auth's format, claims, the
//! verifier, and rotation on a stepped clock driven by the cron.
#![cfg(not(target_arch = "wasm32"))]

mod support;

use futures::executor::block_on;
use portcullis::features::jwt::keys::KeyPair;
use portcullis::features::jwt::token::{keys_from_jwks, verify, Expectations, JwtError};
use serde_json::{json, Value};
use support::*;

const PASSWORD: &str = "correct horse battery";
const DAY: i64 = 86_400_000;

fn jwks(t: &TestApp) -> Value {
    t.client().get("/api/auth/jwks").json()
}

fn kids(doc: &Value) -> Vec<String> {
    doc["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["kid"].as_str().unwrap().to_string())
        .collect()
}

fn kid_of(token: &str) -> String {
    use base64::Engine;
    let header = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(token.split('.').next().unwrap())
        .unwrap();
    serde_json::from_slice::<Value>(&header).unwrap()["kid"]
        .as_str()
        .unwrap()
        .to_string()
}

fn expect(t: &TestApp) -> Expectations<'static> {
    Expectations {
        issuer: BASE,
        audience: BASE,
        now: t.clock.get() / 1000,
        leeway: 0,
    }
}

fn token(c: &mut Client<'_>) -> String {
    let res = c.get("/api/auth/token");
    assert_eq!(res.status(), 200, "{:?}", res.json());
    res.json()["token"].as_str().unwrap().to_string()
}

fn cron(t: &TestApp) {
    block_on(t.app.scheduled("* * * * *", t.clock.get()));
}

#[test]
fn the_jwks_publishes_public_ed25519_keys_only() {
    let t = TestApp::new();
    let res = t.client().get("/api/auth/jwks");
    assert_eq!(
        res.header("cache-control").as_deref(),
        Some("public, max-age=300")
    );
    let doc = res.json();
    let keys = doc["keys"].as_array().unwrap();
    assert_eq!(keys.len(), 1, "the first key is created on demand");
    let key = keys[0].as_object().unwrap();
    let mut names: Vec<&str> = key.keys().map(String::as_str).collect();
    names.sort();
    assert_eq!(names, ["alg", "crv", "kid", "kty", "x"]);
    assert_eq!(
        (
            key["kty"].as_str(),
            key["crv"].as_str(),
            key["alg"].as_str()
        ),
        (Some("OKP"), Some("Ed25519"), Some("EdDSA"))
    );
    let well_known = t.send(raw("GET", "/.well-known/jwks.json", &[], b""));
    assert_eq!(well_known.json(), doc);
    assert_eq!(
        well_known.header("access-control-allow-origin").as_deref(),
        Some("*")
    );
}

#[test]
fn keys_are_stored_in_better_auths_format() {
    let t = TestApp::new();
    jwks(&t);
    let (id, public, private, alg, crv, expires): (String, String, String, String, String, String) =
        t.sql
            .0
            .borrow()
            .query_row(
                r#"select "id", "publicKey", "privateKey", "alg", "crv", "expiresAt" from "jwks""#,
                [],
                |r| {
                    Ok((
                        r.get(0)?,
                        r.get(1)?,
                        r.get(2)?,
                        r.get(3)?,
                        r.get(4)?,
                        r.get(5)?,
                    ))
                },
            )
            .unwrap();
    let public: Value = serde_json::from_str(&public).unwrap();
    assert_eq!(public.as_object().unwrap().len(), 3);
    assert_eq!(
        (public["kty"].as_str(), public["crv"].as_str()),
        (Some("OKP"), Some("Ed25519"))
    );
    let sealed: Value = serde_json::from_str(&private).unwrap();
    assert!(
        sealed
            .as_str()
            .unwrap()
            .bytes()
            .all(|b| b.is_ascii_hexdigit()),
        "a JSON string of hex"
    );
    assert_eq!((alg.as_str(), crv.as_str()), ("EdDSA", "Ed25519"));
    assert_eq!(expires, "2026-01-31T00:00:00.000Z");
    let pair = KeyPair::from_stored(&id, &private, SECRET.as_bytes()).unwrap();
    assert_eq!(pair.public().x(), public["x"]);
}

#[test]
fn token_needs_a_session_and_carries_better_auths_claims() {
    let t = TestApp::new();
    t.client()
        .get("/api/auth/token")
        .assert_error(401, "UNAUTHORIZED");
    let mut c = t.client();
    let user = c.sign_up("jwt@example.com", PASSWORD).json()["user"].clone();
    let jwt = token(&mut c);
    let claims = verify(&jwt, &keys_from_jwks(&jwks(&t)), &expect(&t)).unwrap();
    assert_eq!(claims["sub"], user["id"]);
    for field in [
        "id",
        "name",
        "email",
        "emailVerified",
        "image",
        "createdAt",
        "updatedAt",
    ] {
        assert_eq!(claims[field], user[field], "{field}");
    }
    assert_eq!(
        (claims["iss"].as_str(), claims["aud"].as_str()),
        (Some(BASE), Some(BASE))
    );
    assert_eq!(claims["iat"], json!(t.clock.get() / 1000));
    assert_eq!(
        claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap(),
        900
    );
}

#[test]
fn get_session_carries_a_jwt_only_with_a_session() {
    let t = TestApp::new();
    assert_eq!(
        t.client()
            .get("/api/auth/get-session")
            .header("set-auth-jwt"),
        None
    );
    let mut c = t.client();
    c.sign_up("header@example.com", PASSWORD);
    let res = c.get("/api/auth/get-session");
    let jwt = res.header("set-auth-jwt").unwrap();
    assert_eq!(
        verify(&jwt, &keys_from_jwks(&jwks(&t)), &expect(&t)).unwrap()["email"],
        "header@example.com"
    );
}

#[test]
fn issuer_audience_and_lifetime_are_configurable() {
    let t = TestApp::with_vars(&[
        ("JWT_ISSUER", "https://issuer.example.com"),
        ("JWT_AUDIENCE", "api://backend"),
        ("JWT_EXPIRES_IN", "60"),
    ]);
    let mut c = t.client();
    c.sign_up("conf@example.com", PASSWORD);
    let jwt = token(&mut c);
    let keys = keys_from_jwks(&jwks(&t));
    let e = Expectations {
        issuer: "https://issuer.example.com",
        audience: "api://backend",
        now: t.clock.get() / 1000,
        leeway: 0,
    };
    let claims = verify(&jwt, &keys, &e).unwrap();
    assert_eq!(
        claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap(),
        60
    );
    assert_eq!(verify(&jwt, &keys, &expect(&t)), Err(JwtError::WrongIssuer));
    let discovery = t
        .send(raw("GET", "/.well-known/openid-configuration", &[], b""))
        .json();
    assert_eq!(discovery["issuer"], "https://issuer.example.com");
    assert_eq!(discovery["jwks_uri"], "http://127.0.0.1:8787/api/auth/jwks");
    assert_eq!(
        discovery["id_token_signing_alg_values_supported"],
        json!(["EdDSA"])
    );
}

#[test]
fn keys_rotate_through_the_cron_without_breaking_tokens_in_flight() {
    let t = TestApp::new();
    t.client().sign_up("rotate@example.com", PASSWORD);
    // Sessions last a week; sign in afresh whenever a token is needed.
    let fresh_token = || {
        let mut c = t.client();
        c.sign_in("rotate@example.com", PASSWORD);
        token(&mut c)
    };
    let first = kid_of(&fresh_token());
    cron(&t);
    assert_eq!(
        kids(&jwks(&t)),
        vec![first.clone()],
        "a fresh key needs no successor yet"
    );

    // A day before the key retires, the cron publishes its successor, which does not sign yet.
    t.advance(29 * DAY + 1000);
    cron(&t);
    let published = kids(&jwks(&t));
    assert_eq!(published.len(), 2);
    let second = published.iter().find(|k| **k != first).unwrap().clone();
    let in_flight = fresh_token();
    assert_eq!(kid_of(&in_flight), first);

    // Once published for longer than any JWKS cache lives, the successor signs, and tokens from
    // the retiring key still verify against the JWKS of that moment.
    t.advance(10 * 60 * 1000);
    assert_eq!(kid_of(&fresh_token()), second);
    assert!(verify(&in_flight, &keys_from_jwks(&jwks(&t)), &expect(&t)).is_ok());

    // The retired key stays published through its grace period, then disappears.
    t.advance(DAY + 29 * DAY);
    cron(&t);
    assert!(kids(&jwks(&t)).contains(&first));
    t.advance(2 * DAY);
    cron(&t);
    assert!(!kids(&jwks(&t)).contains(&first));
    assert_eq!(
        t.sql.count(&format!(
            r#"select count(*) from "jwks" where "id" = '{first}'"#
        )),
        0,
        "the cron prunes it"
    );
    assert!(t
        .logs
        .0
        .borrow()
        .iter()
        .any(|(_, m)| m.contains("signing keys: created Some")));
}

#[test]
fn a_key_row_without_expiry_from_better_auth_signs_and_rotates() {
    let t = TestApp::new();
    let pair = KeyPair::generate(
        "imported-key".into(),
        portcullis::features::jwt::keys::Alg::EdDSA,
    )
    .unwrap();
    let private = pair
        .encrypted_private_jwk(SECRET.as_bytes())
        .unwrap()
        .replace('\'', "''");
    t.sql.exec(&format!(
        r#"insert into "jwks" ("id", "publicKey", "privateKey", "createdAt", "expiresAt", "alg", "crv") values ('imported-key', '{}', '{private}', '2025-12-31T00:00:00.000Z', null, 'EdDSA', 'Ed25519')"#,
        pair.public_jwk_json()
    ));
    let mut c = t.client();
    c.sign_up("imported-key@example.com", PASSWORD);
    assert_eq!(kid_of(&token(&mut c)), "imported-key");
    t.advance(29 * DAY);
    cron(&t);
    assert_eq!(
        kids(&jwks(&t)).len(),
        2,
        "a key with no expiresAt rotates on the configured interval"
    );
}

#[test]
fn the_signing_key_is_cached_in_the_isolate_for_a_few_minutes() {
    let t = TestApp::new();
    let mut c = t.client();
    c.sign_up("cache@example.com", PASSWORD);
    let first = kid_of(&token(&mut c));
    t.sql.exec(r#"delete from "jwks""#);
    assert_eq!(
        kid_of(&token(&mut c)),
        first,
        "issuing reads no key from D1 while cached"
    );
    t.advance(5 * 60 * 1000 + 1);
    assert_ne!(
        kid_of(&token(&mut c)),
        first,
        "after the cache lapses the key ring is read again"
    );
}
