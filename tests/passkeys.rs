//! Passkeys through the endpoints, with a software authenticator (Ed25519): registration by a
//! signed-in user with a fresh session, sign-in (the challenge single-use and bound to the
//! browser, the counter moving on), a row better-auth stored signing in, list, rename and delete
//! with ownership, bans, and the switch.
#![cfg(not(target_arch = "wasm32"))]

mod support;

use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use ciborium::Value as Cbor;
use ed25519_dalek::{Signer, SigningKey};
use serde_json::{json, Value as Json};
use sha2::{Digest, Sha256};
use support::*;

const PASSWORD: &str = "correct horse battery";
const PAGE: &str = "http://localhost:5173";
const CHALLENGE_COOKIE: &str = "better-auth.better-auth-passkey";

fn app(extra: &[(&str, &str)]) -> TestApp {
    let mut vars = vec![
        ("RATE_LIMIT_ENABLED", "false"),
        ("PASSKEY_RP_ID", "localhost"),
        (
            "TRUSTED_ORIGINS",
            "http://127.0.0.1:5173,http://localhost:5173",
        ),
    ];
    vars.extend_from_slice(extra);
    TestApp::with_vars(&vars)
}

/// An authenticator holding one Ed25519 credential.
struct Authenticator {
    key: SigningKey,
    credential_id: Vec<u8>,
    counter: u32,
}

fn cbor(value: &Cbor) -> Vec<u8> {
    let mut out = Vec::new();
    ciborium::ser::into_writer(value, &mut out).unwrap();
    out
}

fn b64url(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

fn client_data(kind: &str, challenge: &str, origin: &str) -> Vec<u8> {
    serde_json::to_vec(
        &json!({"type": kind, "challenge": challenge, "origin": origin, "crossOrigin": false}),
    )
    .unwrap()
}

impl Authenticator {
    fn new(seed: u8) -> Authenticator {
        Authenticator {
            key: SigningKey::from_bytes(&[seed; 32]),
            credential_id: vec![seed; 16],
            counter: 0,
        }
    }

    fn cose_key(&self) -> Vec<u8> {
        cbor(&Cbor::Map(vec![
            (Cbor::Integer(1.into()), Cbor::Integer(1.into())),
            (Cbor::Integer(3.into()), Cbor::Integer((-8).into())),
            (Cbor::Integer((-1).into()), Cbor::Integer(6.into())),
            (
                Cbor::Integer((-2).into()),
                Cbor::Bytes(self.key.verifying_key().to_bytes().to_vec()),
            ),
        ]))
    }

    fn auth_data(&self, flags: u8, attested: bool) -> Vec<u8> {
        let mut data = Sha256::digest(b"localhost").to_vec();
        data.push(flags);
        data.extend_from_slice(&self.counter.to_be_bytes());
        if attested {
            data.extend_from_slice(&[0u8; 16]);
            data.extend_from_slice(&(self.credential_id.len() as u16).to_be_bytes());
            data.extend_from_slice(&self.credential_id);
            data.extend_from_slice(&self.cose_key());
        }
        data
    }

    /// `navigator.credentials.create()`'s answer to `options`, as JSON.
    fn register(&self, options: &Json, origin: &str) -> Json {
        let challenge = options["challenge"].as_str().unwrap();
        let object = Cbor::Map(vec![
            (Cbor::Text("fmt".into()), Cbor::Text("none".into())),
            (Cbor::Text("attStmt".into()), Cbor::Map(vec![])),
            (
                Cbor::Text("authData".into()),
                Cbor::Bytes(self.auth_data(0x01 | 0x04 | 0x40, true)),
            ),
        ]);
        json!({
            "id": b64url(&self.credential_id),
            "rawId": b64url(&self.credential_id),
            "type": "public-key",
            "response": {
                "clientDataJSON": b64url(&client_data("webauthn.create", challenge, origin)),
                "attestationObject": b64url(&cbor(&object)),
                "transports": ["internal"],
            },
            "clientExtensionResults": {},
        })
    }

    /// `navigator.credentials.get()`'s answer to `options`, as JSON; the counter moves on.
    fn assert(&mut self, options: &Json, origin: &str) -> Json {
        self.counter += 1;
        let challenge = options["challenge"].as_str().unwrap();
        let data = self.auth_data(0x01 | 0x04, false);
        let client = client_data("webauthn.get", challenge, origin);
        let mut message = data.clone();
        message.extend_from_slice(&Sha256::digest(&client));
        let signature = self.key.sign(&message).to_bytes();
        json!({
            "id": b64url(&self.credential_id),
            "rawId": b64url(&self.credential_id),
            "type": "public-key",
            "response": {
                "clientDataJSON": b64url(&client),
                "authenticatorData": b64url(&data),
                "signature": b64url(&signature),
                "userHandle": null,
            },
            "clientExtensionResults": {},
        })
    }
}

/// A signed-up user on `c` who registers the authenticator's passkey.
fn registered(c: &mut Client<'_>, email: &str, authenticator: &Authenticator) -> Json {
    assert_eq!(c.sign_up(email, PASSWORD).status(), 200);
    let options = c.get("/api/auth/passkey/generate-register-options");
    assert_eq!(options.status(), 200, "{}", options.json());
    let res = c.post(
        "/api/auth/passkey/verify-registration",
        json!({"response": authenticator.register(&options.json(), PAGE), "name": "laptop"}),
    );
    assert_eq!(res.status(), 200, "{}", res.json());
    res.json()
}

/// A passkey sign-in on `c`: the options, then the assertion.
fn sign_in(c: &mut Client<'_>, authenticator: &mut Authenticator) -> Response {
    let options = c
        .get("/api/auth/passkey/generate-authenticate-options")
        .json();
    let response = authenticator.assert(&options, PAGE);
    c.post(
        "/api/auth/passkey/verify-authentication",
        json!({"response": response}),
    )
}

#[test]
fn a_passkey_registered_while_signed_in_signs_in_without_a_password() {
    let t = app(&[]);
    let mut owner = t.client();
    let mut authenticator = Authenticator::new(1);
    assert_eq!(owner.sign_up("ada@example.com", PASSWORD).status(), 200);
    let options = owner.get("/api/auth/passkey/generate-register-options");
    let body = options.json();
    assert_eq!(body["rp"]["id"], "localhost");
    assert_eq!(body["attestation"], "none");
    assert_eq!(body["user"]["name"], "ada@example.com");
    assert_eq!(
        body["pubKeyCredParams"],
        json!([{"alg": -8, "type": "public-key"}, {"alg": -7, "type": "public-key"}, {"alg": -257, "type": "public-key"}])
    );
    assert_eq!(
        URL_SAFE_NO_PAD
            .decode(body["challenge"].as_str().unwrap())
            .unwrap()
            .len(),
        32
    );
    let cookie_line = options
        .set_cookies()
        .into_iter()
        .find(|l| l.starts_with(CHALLENGE_COOKIE))
        .unwrap();
    assert!(cookie_line.contains("Max-Age=300"), "{cookie_line}");

    let res = owner.post(
        "/api/auth/passkey/verify-registration",
        json!({"response": authenticator.register(&body, PAGE), "name": "laptop"}),
    );
    assert_eq!(res.status(), 200, "{}", res.json());
    let passkey = res.json();
    assert_eq!(passkey["name"], "laptop");
    assert_eq!(
        passkey["credentialID"],
        b64url(&authenticator.credential_id)
    );
    assert_eq!(passkey["deviceType"], "singleDevice");
    assert_eq!(passkey["backedUp"], false);
    assert_eq!(passkey["transports"], "internal");
    assert_eq!(
        STANDARD
            .decode(passkey["publicKey"].as_str().unwrap())
            .unwrap(),
        authenticator.cose_key(),
        "the COSE key, in base64 as better-auth keeps it"
    );
    let listed = owner.get("/api/auth/passkey/list-user-passkeys").json();
    assert_eq!(listed.as_array().unwrap().len(), 1);
    // The next registration options exclude it.
    let again = owner
        .get("/api/auth/passkey/generate-register-options")
        .json();
    assert_eq!(
        again["excludeCredentials"][0]["id"],
        passkey["credentialID"]
    );

    let mut browser = t.client();
    let options = browser
        .get("/api/auth/passkey/generate-authenticate-options")
        .json();
    assert!(
        options.get("allowCredentials").is_none(),
        "any discoverable passkey may answer"
    );
    assert_eq!(options["rpId"], "localhost");
    let res = browser.post(
        "/api/auth/passkey/verify-authentication",
        json!({"response": authenticator.assert(&options, PAGE)}),
    );
    assert_eq!(res.status(), 200, "{}", res.json());
    assert_eq!(res.json()["user"]["email"], "ada@example.com");
    assert!(res.json()["session"]["token"].is_string());
    assert_eq!(browser.session()["user"]["email"], "ada@example.com");
    assert_eq!(
        t.sql.count(r#"select "counter" from "passkey""#),
        1,
        "the counter moved on"
    );
}

#[test]
fn a_challenge_works_once_and_only_in_the_browser_that_asked() {
    let t = app(&[]);
    let mut authenticator = Authenticator::new(2);
    registered(&mut t.client(), "ada@example.com", &authenticator);
    let mut browser = t.client();
    let options = browser
        .get("/api/auth/passkey/generate-authenticate-options")
        .json();
    let response = authenticator.assert(&options, PAGE);
    let cookies = browser.cookies.clone();

    let mut elsewhere = t.client();
    elsewhere
        .post(
            "/api/auth/passkey/verify-authentication",
            json!({"response": response}),
        )
        .assert_error(400, "CHALLENGE_NOT_FOUND");
    assert_eq!(
        browser
            .post(
                "/api/auth/passkey/verify-authentication",
                json!({"response": response})
            )
            .status(),
        200
    );
    let mut replay = t.client();
    replay.cookies = cookies;
    replay
        .post(
            "/api/auth/passkey/verify-authentication",
            json!({"response": response}),
        )
        .assert_error(400, "CHALLENGE_NOT_FOUND");

    // A registration challenge does not serve a sign-in.
    let mut owner = t.client();
    owner.sign_up("bo@example.com", PASSWORD);
    let options = owner
        .get("/api/auth/passkey/generate-register-options")
        .json();
    owner
        .post(
            "/api/auth/passkey/verify-authentication",
            json!({"response": authenticator.assert(&options, PAGE)}),
        )
        .assert_error(400, "CHALLENGE_NOT_FOUND");
    // And challenges last five minutes.
    let mut late = t.client();
    let options = late
        .get("/api/auth/passkey/generate-authenticate-options")
        .json();
    t.advance(300_000);
    late.post(
        "/api/auth/passkey/verify-authentication",
        json!({"response": authenticator.assert(&options, PAGE)}),
    )
    .assert_error(400, "CHALLENGE_NOT_FOUND");
}

#[test]
fn refused_assertions_open_no_session() {
    let t = app(&[]);
    let mut authenticator = Authenticator::new(3);
    registered(&mut t.client(), "ada@example.com", &authenticator);
    assert_eq!(sign_in(&mut t.client(), &mut authenticator).status(), 200);

    // A counter that does not move on: a cloned authenticator.
    authenticator.counter -= 1;
    let mut c = t.client();
    sign_in(&mut c, &mut authenticator).assert_error(400, "AUTHENTICATION_FAILED");
    assert_eq!(c.session(), Json::Null);

    // From an origin that is not trusted.
    let mut c = t.client();
    let options = c
        .get("/api/auth/passkey/generate-authenticate-options")
        .json();
    let response = authenticator.assert(&options, "https://evil.example");
    c.post(
        "/api/auth/passkey/verify-authentication",
        json!({"response": response}),
    )
    .assert_error(400, "AUTHENTICATION_FAILED");

    // Signed by another key.
    let mut impostor = Authenticator::new(9);
    impostor.credential_id = authenticator.credential_id.clone();
    impostor.counter = 50;
    sign_in(&mut t.client(), &mut impostor).assert_error(401, "AUTHENTICATION_FAILED");

    // A credential nobody registered.
    sign_in(&mut t.client(), &mut Authenticator::new(4)).assert_error(401, "PASSKEY_NOT_FOUND");

    // Garbage.
    let mut c = t.client();
    c.get("/api/auth/passkey/generate-authenticate-options");
    c.post(
        "/api/auth/passkey/verify-authentication",
        json!({"response": {"id": 5}}),
    )
    .assert_error(400, "AUTHENTICATION_FAILED");
}

#[test]
fn registering_needs_a_fresh_session_of_the_user_who_asked() {
    let t = app(&[]);
    let authenticator = Authenticator::new(5);
    let mut c = t.client();
    c.sign_up("ada@example.com", PASSWORD);
    let options = c.get("/api/auth/passkey/generate-register-options").json();
    // Another user's session cannot finish this browser's registration.
    let mut other = t.client();
    other.sign_up("bo@example.com", PASSWORD);
    other.cookies.retain(|(n, _)| n != CHALLENGE_COOKIE);
    other.cookies.extend(
        c.cookies
            .iter()
            .filter(|(n, _)| n == CHALLENGE_COOKIE)
            .cloned(),
    );
    other
        .post(
            "/api/auth/passkey/verify-registration",
            json!({"response": authenticator.register(&options, PAGE)}),
        )
        .assert_error(401, "YOU_ARE_NOT_ALLOWED_TO_REGISTER_THIS_PASSKEY");

    t.advance(86_400_000);
    c.get("/api/auth/passkey/generate-register-options")
        .assert_error(403, "SESSION_NOT_FRESH");
    t.client()
        .get("/api/auth/passkey/generate-register-options")
        .assert_error(401, "UNAUTHORIZED");
}

#[test]
fn a_credential_registers_once() {
    let t = app(&[]);
    let authenticator = Authenticator::new(6);
    registered(&mut t.client(), "ada@example.com", &authenticator);
    let mut other = t.client();
    other.sign_up("bo@example.com", PASSWORD);
    let options = other
        .get("/api/auth/passkey/generate-register-options")
        .json();
    other
        .post(
            "/api/auth/passkey/verify-registration",
            json!({"response": authenticator.register(&options, PAGE)}),
        )
        .assert_error(400, "FAILED_TO_VERIFY_REGISTRATION");
}

#[test]
fn only_the_owner_renames_or_deletes_a_passkey() {
    let t = app(&[]);
    let mut authenticator = Authenticator::new(7);
    let mut owner = t.client();
    let passkey = registered(&mut owner, "ada@example.com", &authenticator);
    let id = passkey["id"].as_str().unwrap();
    let mut other = t.client();
    other.sign_up("bo@example.com", PASSWORD);
    other
        .post(
            "/api/auth/passkey/update-passkey",
            json!({"id": id, "name": "mine"}),
        )
        .assert_error(401, "YOU_ARE_NOT_ALLOWED_TO_REGISTER_THIS_PASSKEY");
    assert_eq!(
        other
            .post("/api/auth/passkey/delete-passkey", json!({"id": id}))
            .status(),
        401
    );
    owner
        .post("/api/auth/passkey/delete-passkey", json!({"id": "nope"}))
        .assert_error(404, "PASSKEY_NOT_FOUND");
    let res = owner.post(
        "/api/auth/passkey/update-passkey",
        json!({"id": id, "name": "phone"}),
    );
    assert_eq!(res.json()["passkey"]["name"], "phone");
    assert_eq!(
        owner.get("/api/auth/passkey/list-user-passkeys").json()[0]["name"],
        "phone"
    );
    assert_eq!(
        owner
            .post("/api/auth/passkey/delete-passkey", json!({"id": id}))
            .json(),
        json!({"status": true})
    );
    sign_in(&mut t.client(), &mut authenticator).assert_error(401, "PASSKEY_NOT_FOUND");
}

#[test]
fn a_passkey_better_auth_stored_signs_in() {
    let fixture: Json = serde_json::from_str(include_str!("fixtures/webauthn.json")).unwrap();
    let case = &fixture["cases"]["ES256-none"];
    let t = app(&[]);
    let mut owner = t.client();
    owner.sign_up("ada@example.com", PASSWORD);
    let user_id = t
        .sql
        .text(r#"select "id" from "user" where "email" = 'ada@example.com'"#)
        .unwrap();
    t.sql.exec(&format!(
        r#"insert into "passkey" ("id", "name", "publicKey", "userId", "credentialID", "counter", "deviceType", "backedUp", "transports", "createdAt", "aaguid")
           values ('ba-passkey', null, '{}', '{user_id}', '{}', 0, 'multiDevice', 1, 'internal,hybrid', '2026-01-01T00:00:00.000Z', '{}')"#,
        case["storedPublicKey"].as_str().unwrap(),
        case["registration"]["id"].as_str().unwrap(),
        fixture["aaguid"].as_str().unwrap(),
    ));
    // The recorded assertion answers a recorded challenge: this browser asked for it.
    let token = "recorded-ceremony-token";
    let pending = json!({"type": "authentication", "expectedChallenge": case["authenticationChallenge"], "userData": {"id": ""}});
    let identifier = format!(
        "passkey-challenge:{}",
        portcullis::crypto::sha256_hex(token.as_bytes())
    );
    t.sql.exec(&format!(
        r#"insert into "verification" ("id", "identifier", "value", "expiresAt", "createdAt", "updatedAt")
           values ('v1', '{identifier}', '{pending}', '2026-01-01T00:05:00.000Z', '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z')"#
    ));
    let mut browser = t.client();
    browser.cookies.push((
        CHALLENGE_COOKIE.into(),
        portcullis::kernel::cookies::encode_uri_component(&portcullis::crypto::hmac::sign_value(
            SECRET.as_bytes(),
            token,
        )),
    ));
    let res = browser.post(
        "/api/auth/passkey/verify-authentication",
        json!({"response": case["authentication"]}),
    );
    assert_eq!(res.status(), 200, "{}", res.json());
    assert_eq!(res.json()["user"]["email"], "ada@example.com");
    assert_eq!(t.sql.count(r#"select "counter" from "passkey""#), 7);
}

#[test]
fn a_banned_user_gets_no_session_and_a_second_factor_is_not_asked() {
    let t = app(&[]);
    let mut authenticator = Authenticator::new(8);
    registered(&mut t.client(), "ada@example.com", &authenticator);
    // Passkeys are a way in beyond the password: the second factor is not asked (as better-auth).
    t.sql
        .exec(r#"update "user" set "twoFactorEnabled" = 1 where "email" = 'ada@example.com'"#);
    let res = sign_in(&mut t.client(), &mut authenticator);
    assert!(res.json()["session"]["token"].is_string(), "{}", res.json());
    t.sql
        .exec(r#"update "user" set "banned" = 1 where "email" = 'ada@example.com'"#);
    sign_in(&mut t.client(), &mut authenticator).assert_error(403, "BANNED_USER");
}

#[test]
fn turned_off_the_endpoints_are_gone() {
    let t = app(&[("PASSKEY_ENABLED", "false")]);
    let res = t
        .client()
        .get("/api/auth/passkey/generate-authenticate-options");
    assert_eq!(res.status(), 404);
    assert!(res.body_is_empty());
}

#[test]
fn deleting_the_user_removes_the_passkeys() {
    let t = app(&[]);
    let mut owner = t.client();
    registered(&mut owner, "ada@example.com", &Authenticator::new(10));
    owner.post("/api/auth/delete-user", json!({"password": PASSWORD}));
    assert_eq!(t.sql.count(r#"select count(*) from "passkey""#), 0);
}
