//! `sign-up/email` and `sign-in/email` through `App::handle`, over SQLite with the real migrations.
#![cfg(not(target_arch = "wasm32"))]

mod support;

use serde_json::json;
use support::*;

const PASSWORD: &str = "correct horse battery";

#[test]
fn sign_up_creates_user_credential_account_and_session() {
    let t = TestApp::new();
    let mut c = t.client();
    let res = c.sign_up("Ada@Example.com", PASSWORD);
    assert_eq!(res.status(), 200);
    let body = res.json();
    let token = body["token"].as_str().unwrap();
    assert_eq!(token.len(), 32);
    assert!(token.bytes().all(|b| b.is_ascii_alphanumeric()));
    assert_eq!(body["user"]["email"], "ada@example.com");
    assert_eq!(body["user"]["emailVerified"], false);
    assert_eq!(body["user"]["image"], json!(null));
    assert_eq!(body["user"]["createdAt"], "2026-01-01T00:00:00.000Z");
    let cookie = &res.set_cookies()[0];
    assert!(
        cookie.starts_with(&format!("better-auth.session_token={token}.")),
        "{cookie}"
    );
    assert!(
        cookie.ends_with("; Max-Age=604800; Path=/; HttpOnly; SameSite=Lax"),
        "{cookie}"
    );
    let set_auth_token = res.header("set-auth-token").unwrap();
    assert!(
        set_auth_token.starts_with(&format!("{token}.")) && set_auth_token.len() == 32 + 1 + 44
    );
    assert_eq!(t.sql.count(r#"select count(*) from "user""#), 1);
    assert_eq!(t.sql.count(r#"select count(*) from "account" where "providerId" = 'credential' and "accountId" = "userId""#), 1);
    assert_eq!(t.sql.count(r#"select count(*) from "session""#), 1);
    assert_eq!(c.session()["user"]["email"], "ada@example.com");
}

#[test]
fn stored_password_hash_has_better_auth_format() {
    let t = TestApp::new();
    t.client().sign_up("hash@example.com", PASSWORD);
    let hash: String = t
        .sql
        .0
        .borrow()
        .query_row(r#"select "password" from "account""#, [], |r| r.get(0))
        .unwrap();
    let (salt, key) = hash.split_once(':').unwrap();
    assert_eq!((salt.len(), key.len()), (32, 128));
    assert!(hash
        .bytes()
        .all(|b| b == b':' || b.is_ascii_digit() || (b'a'..=b'f').contains(&b)));
    let kdf = portcullis::crypto::password::RustScrypt;
    assert!(portcullis::crypto::password::verify(&kdf, PASSWORD, &hash).unwrap());
}

#[test]
fn duplicate_email_in_any_case_is_refused() {
    let t = TestApp::new();
    t.client().sign_up("dup@example.com", PASSWORD);
    t.client()
        .sign_up("DUP@example.COM", PASSWORD)
        .assert_error(422, "USER_ALREADY_EXISTS_USE_ANOTHER_EMAIL");
    assert_eq!(t.sql.count(r#"select count(*) from "user""#), 1);
}

#[test]
fn sign_up_ignores_server_owned_fields_in_the_body() {
    let t = TestApp::new();
    let res = t.client().post(
        "/api/auth/sign-up/email",
        json!({"name": "N", "email": "owned@example.com", "password": PASSWORD, "emailVerified": true, "id": "chosen", "createdAt": "2000-01-01T00:00:00.000Z"}),
    );
    let user = &res.json()["user"];
    assert_eq!(user["emailVerified"], false);
    assert_ne!(user["id"], "chosen");
    assert_eq!(user["createdAt"], "2026-01-01T00:00:00.000Z");
}

#[test]
fn sign_up_validation_messages_follow_better_auth() {
    let t = TestApp::new();
    // Each attempt from its own client: one client gets three sign-ups per 10 s.
    let res = t.client().post(
        "/api/auth/sign-up/email",
        json!({"email": "a@b.co", "password": PASSWORD}),
    );
    res.assert_error(400, "VALIDATION_ERROR");
    assert_eq!(
        res.json()["message"],
        "[body.name] Invalid input: expected string, received undefined"
    );
    let res = t.client().post(
        "/api/auth/sign-up/email",
        json!({"name": 5, "email": "not-an-email", "password": PASSWORD}),
    );
    assert_eq!(res.json()["message"], "[body.name] Invalid input: expected string, received number; [body.email] Invalid email address");
    let res = t.client().post(
        "/api/auth/sign-up/email",
        json!({"name": "n", "email": "a@b.co", "password": ""}),
    );
    assert_eq!(
        res.json()["message"],
        "[body.password] Too small: expected string to have >=1 characters"
    );
    t.client()
        .post(
            "/api/auth/sign-up/email",
            json!({"name": "a\u{0}b", "email": "a@b.co", "password": PASSWORD}),
        )
        .assert_error(400, "VALIDATION_ERROR");
    t.client()
        .post(
            "/api/auth/sign-up/email",
            json!({"name": "n", "email": "a@b.co", "password": PASSWORD, "rememberMe": "yes"}),
        )
        .assert_error(400, "VALIDATION_ERROR");
    assert_eq!(t.sql.count(r#"select count(*) from "user""#), 0);
}

#[test]
fn password_length_is_counted_in_utf16_units() {
    let t = TestApp::new();
    // Each attempt from its own client: one client gets three sign-ups per 10 s.
    t.client()
        .sign_up("short@example.com", "1234567")
        .assert_error(400, "PASSWORD_TOO_SHORT");
    t.client()
        .sign_up("accent@example.com", "ééééééé")
        .assert_error(400, "PASSWORD_TOO_SHORT");
    t.client()
        .sign_up("long@example.com", &"x".repeat(129))
        .assert_error(400, "PASSWORD_TOO_LONG");
    assert_eq!(
        t.client().sign_up("emoji@example.com", "😀😀😀😀").status(),
        200
    );
    assert_eq!(
        t.client().sign_in("emoji@example.com", "😀😀😀😀").status(),
        200
    );
}

#[test]
fn configured_password_limits_apply() {
    let t = TestApp::with_vars(&[("PASSWORD_MIN_LENGTH", "12"), ("PASSWORD_MAX_LENGTH", "20")]);
    t.client()
        .sign_up("a@example.com", "elevenchars")
        .assert_error(400, "PASSWORD_TOO_SHORT");
    t.client()
        .sign_up("a@example.com", &"x".repeat(21))
        .assert_error(400, "PASSWORD_TOO_LONG");
}

#[test]
fn sign_up_and_sign_in_accept_form_bodies() {
    let t = TestApp::new();
    let res = t.send(raw(
        "POST",
        "/api/auth/sign-up/email",
        &[("content-type", "application/x-www-form-urlencoded")],
        b"name=Form+User&email=form%40example.com&password=correct+horse+battery&rememberMe=false",
    ));
    assert_eq!(res.status(), 200, "{:?}", res.json());
    assert!(res
        .set_cookies()
        .iter()
        .any(|c| c.starts_with("better-auth.dont_remember=")));
    let res = t.send(raw(
        "POST",
        "/api/auth/sign-in/email",
        &[("content-type", "application/x-www-form-urlencoded")],
        b"email=form%40example.com&password=correct+horse+battery",
    ));
    assert_eq!(res.status(), 200);
}

#[test]
fn remember_me_false_gives_a_browser_session_cookie_and_a_one_day_session() {
    let t = TestApp::new();
    t.client().sign_up("rm@example.com", PASSWORD);
    let mut c = t.client();
    let res = c.post(
        "/api/auth/sign-in/email",
        json!({"email": "rm@example.com", "password": PASSWORD, "rememberMe": false}),
    );
    let cookies = res.set_cookies();
    let session_cookie = cookies
        .iter()
        .find(|c| c.starts_with("better-auth.session_token="))
        .unwrap();
    assert!(!session_cookie.contains("Max-Age"), "{session_cookie}");
    let marker = cookies
        .iter()
        .find(|c| c.starts_with("better-auth.dont_remember="))
        .unwrap();
    assert!(
        marker.starts_with("better-auth.dont_remember=true.") && !marker.contains("Max-Age"),
        "{marker}"
    );
    assert_eq!(
        c.session()["session"]["expiresAt"],
        "2026-01-02T00:00:00.000Z"
    );
}

#[test]
fn sign_in_returns_the_session_and_user() {
    let t = TestApp::new();
    t.client().sign_up("in@example.com", PASSWORD);
    let mut c = t.client();
    let res = c.sign_in("IN@example.com", PASSWORD);
    assert_eq!(res.status(), 200);
    let body = res.json();
    assert_eq!(body["redirect"], false);
    assert!(body.get("url").is_none());
    assert_eq!(body["user"]["email"], "in@example.com");
    assert_eq!(c.session()["session"]["token"], body["token"]);
}

#[test]
fn sign_in_with_callback_url_redirects_through_the_body_and_location() {
    let t = TestApp::new();
    t.client().sign_up("cb@example.com", PASSWORD);
    let res = t.client().post("/api/auth/sign-in/email", json!({"email": "cb@example.com", "password": PASSWORD, "callbackURL": "http://127.0.0.1:5173/home"}));
    assert_eq!(res.status(), 200);
    assert_eq!(res.json()["redirect"], true);
    assert_eq!(res.json()["url"], "http://127.0.0.1:5173/home");
    assert_eq!(
        res.header("location").as_deref(),
        Some("http://127.0.0.1:5173/home")
    );
    let res = t.client().post("/api/auth/sign-in/email", json!({"email": "cb@example.com", "password": PASSWORD, "callbackURL": "https://evil.test/"}));
    res.assert_error(403, "INVALID_CALLBACK_URL");
}

#[test]
fn unknown_email_and_wrong_password_are_indistinguishable() {
    let t = TestApp::new();
    t.client().sign_up("known@example.com", PASSWORD);
    let wrong = t.client().sign_in("known@example.com", "wrong password!");
    let unknown = t.client().sign_in("nobody@example.com", "wrong password!");
    for res in [&wrong, &unknown] {
        res.assert_error(401, "INVALID_EMAIL_OR_PASSWORD");
        assert!(res.set_cookies().is_empty());
    }
    assert_eq!(wrong.json(), unknown.json());
    let names = |r: &Response| {
        r.0.headers()
            .keys()
            .map(|k| k.to_string())
            .collect::<Vec<_>>()
    };
    assert_eq!(names(&wrong), names(&unknown));
}

#[test]
fn sign_in_input_errors() {
    let t = TestApp::new();
    t.client()
        .sign_in("not-an-email", PASSWORD)
        .assert_error(400, "INVALID_EMAIL");
    t.client()
        .sign_in("a@example.com", &"x".repeat(129))
        .assert_error(400, "PASSWORD_TOO_LONG");
    let res = t.client().post("/api/auth/sign-in/email", json!(["a"]));
    res.assert_error(400, "VALIDATION_ERROR");
    assert_eq!(
        res.json()["message"],
        "[body] Invalid input: expected object, received array"
    );
}

#[test]
fn a_password_hash_written_by_better_auth_signs_in() {
    let t = TestApp::new();
    t.sql.exec(
        r#"insert into "user" ("id", "name", "email", "emailVerified", "image", "createdAt", "updatedAt") values ('u1', 'Imported', 'imported@example.com', 1, null, '2025-05-01T10:00:00.000Z', '2025-05-01T10:00:00.000Z');
           insert into "account" ("id","accountId","providerId","userId","password","createdAt","updatedAt") values ('a1','u1','credential','u1',
           'ac04d54c09c19e12b1d4ffe9a6a45b42:3ed35cd37031b1b281fdb364f75336c6c8d4640fa39170ce4b8a2e8a4619a8c809e24fc9e173a0cb27f76e8fb1657636be72cc6b9857590d1923f0ee5ea809b3',
           '2025-05-01T10:00:00.000Z','2025-05-01T10:00:00.000Z');"#,
    );
    let mut c = t.client();
    let res = c.sign_in("imported@example.com", "password123");
    assert_eq!(res.status(), 200);
    assert_eq!(res.json()["user"]["emailVerified"], true);
    t.client()
        .sign_in("imported@example.com", "password124")
        .assert_error(401, "INVALID_EMAIL_OR_PASSWORD");
}

#[test]
fn a_user_without_a_credential_account_cannot_sign_in_with_a_password() {
    let t = TestApp::new();
    t.sql.exec(r#"insert into "user" ("id", "name", "email", "emailVerified", "image", "createdAt", "updatedAt") values ('u2', 'Social', 'social@example.com', 1, null, '2025-05-01T10:00:00.000Z', '2025-05-01T10:00:00.000Z');"#);
    t.client()
        .sign_in("social@example.com", PASSWORD)
        .assert_error(401, "INVALID_EMAIL_OR_PASSWORD");
}

#[test]
fn signing_in_while_holding_a_session_issues_a_new_token() {
    let t = TestApp::new();
    let mut c = t.client();
    let first = c.sign_up("fix@example.com", PASSWORD).json()["token"].clone();
    let second = c.sign_in("fix@example.com", PASSWORD).json()["token"].clone();
    assert_ne!(first, second);
    assert_eq!(c.session()["session"]["token"], second);
}

#[test]
fn sql_metacharacters_in_input_are_inert() {
    let t = TestApp::new();
    t.client().sign_up("o'neil@example.com", PASSWORD);
    t.client()
        .sign_in("o'neil'--@example.com", PASSWORD)
        .assert_error(401, "INVALID_EMAIL_OR_PASSWORD");
    let res = t.client().post("/api/auth/sign-up/email", json!({"name": "\"; drop table \"user\";--", "email": "drop@example.com", "password": PASSWORD}));
    assert_eq!(res.status(), 200);
    assert_eq!(t.sql.count(r#"select count(*) from "user""#), 2);
}
