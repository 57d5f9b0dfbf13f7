//! better-auth's magic links: mailed through the queue, single use, five minutes, sign-up on
//! first use (unless off), and the pre-hijack protection for an address nobody had proven.
#![cfg(not(target_arch = "wasm32"))]

mod support;

use serde_json::json;
use support::*;

const PASSWORD: &str = "correct horse battery";

fn app(extra: &[(&str, &str)]) -> TestApp {
    let mut vars = vec![("MAIL_PROVIDER", "log"), ("MAGIC_LINK_ENABLED", "true")];
    vars.extend_from_slice(extra);
    TestApp::with_vars(&vars)
}

fn send(t: &TestApp, email: &str, body: serde_json::Value) -> String {
    let mut payload = json!({"email": email});
    for (k, v) in body.as_object().unwrap() {
        payload[k] = v.clone();
    }
    let res = t.client().post("/api/auth/sign-in/magic-link", payload);
    assert_eq!(res.status(), 200, "{}", res.json());
    assert_eq!(res.json(), json!({"status": true}));
    t.latest_link(email)
}

#[test]
fn a_link_signs_up_a_new_address_once() {
    let t = app(&[]);
    let link = send(
        &t,
        "new@example.com",
        json!({"name": "Newbie", "callbackURL": "/dash", "newUserCallbackURL": "/welcome"}),
    );
    assert!(link.starts_with("/api/auth/magic-link/verify?token="));
    assert!(link.contains("callbackURL=%2Fdash") && link.contains("newUserCallbackURL=%2Fwelcome"));
    let token = link
        .split("token=")
        .nth(1)
        .unwrap()
        .split('&')
        .next()
        .unwrap()
        .to_string();
    let stored = t
        .sql
        .text(r#"select "identifier" from "verification""#)
        .unwrap();
    assert!(
        !stored.contains(&token),
        "only the token's digest is stored"
    );
    let mut c = t.client();
    let res = c.get(&link);
    assert_eq!(res.status(), 302);
    assert_eq!(
        res.header("location").as_deref(),
        Some(format!("{BASE}/welcome").as_str())
    );
    let user = c.session()["user"].clone();
    assert_eq!(
        (
            user["email"].as_str(),
            user["name"].as_str(),
            user["emailVerified"].as_bool()
        ),
        (Some("new@example.com"), Some("Newbie"), Some(true))
    );
    // Single use.
    let again = t.client().get(&link);
    assert_eq!(
        again.header("location").as_deref(),
        Some(format!("{BASE}/dash?error=INVALID_TOKEN").as_str())
    );
}

#[test]
fn an_existing_verified_user_keeps_everything_and_gets_a_session() {
    let t = app(&[]);
    let mut owner = t.client();
    owner.sign_up("ada@example.com", PASSWORD);
    t.sql.exec(r#"update "user" set "emailVerified" = 1"#);
    let link = send(&t, "Ada@Example.com", json!({"callbackURL": "/dash"}));
    let res = t.client().get(&link);
    assert_eq!(
        res.header("location").as_deref(),
        Some(format!("{BASE}/dash").as_str())
    );
    assert_eq!(
        owner.session()["user"]["email"],
        "ada@example.com",
        "the other session lives"
    );
    assert_eq!(t.sql.count(r#"select count(*) from "account""#), 1);
}

#[test]
fn an_unproven_address_loses_its_other_ways_in_before_the_link_signs_in() {
    let t = app(&[]);
    // Someone registered the address first, with a password, and never verified it.
    let mut squatter = t.client();
    squatter.sign_up("victim@example.com", PASSWORD);
    let link = send(&t, "victim@example.com", json!({}));
    assert!(
        link.contains("&callbackURL=%2F"),
        "a link always carries a callbackURL, `/` by default"
    );
    // better-auth's client verifies with the token alone, and gets JSON.
    let token_only = link.split('&').next().unwrap().to_string();
    let mut owner = t.client();
    let res = owner.get(&token_only);
    assert_eq!(res.status(), 200, "no callbackURL: JSON");
    assert_eq!(res.json()["user"]["emailVerified"], true);
    assert!(res.json()["token"].is_string());
    assert_eq!(
        squatter.session(),
        serde_json::Value::Null,
        "the squatter's session is gone"
    );
    assert_eq!(
        t.sql.count(r#"select count(*) from "account""#),
        0,
        "and the password with it"
    );
    t.client()
        .sign_in("victim@example.com", PASSWORD)
        .assert_error(401, "INVALID_EMAIL_OR_PASSWORD");
    assert_eq!(owner.session()["user"]["email"], "victim@example.com");
}

#[test]
fn links_die_after_five_minutes() {
    let t = app(&[]);
    let link = send(
        &t,
        "late@example.com",
        json!({"callbackURL": "/dash", "errorCallbackURL": "/oops"}),
    );
    t.advance(5 * 60 * 1000 + 1);
    let res = t.client().get(&link);
    assert_eq!(
        res.header("location").as_deref(),
        Some(format!("{BASE}/oops?error=INVALID_TOKEN").as_str())
    );
    assert_eq!(t.sql.count(r#"select count(*) from "user""#), 0);
}

#[test]
fn with_sign_up_off_a_new_address_gets_no_user() {
    let t = app(&[("MAGIC_LINK_DISABLE_SIGN_UP", "true")]);
    let link = send(&t, "nobody@example.com", json!({"callbackURL": "/dash"}));
    let res = t.client().get(&link);
    assert_eq!(
        res.header("location").as_deref(),
        Some(format!("{BASE}/dash?error=new_user_signup_disabled").as_str())
    );
    assert_eq!(t.sql.count(r#"select count(*) from "user""#), 0);
}

#[test]
fn a_banned_user_gets_no_session_by_link() {
    let t = app(&[]);
    let mut c = t.client();
    c.sign_up("ban@example.com", PASSWORD);
    t.sql
        .exec(r#"update "user" set "emailVerified" = 1, "banned" = 1"#);
    let link = send(&t, "ban@example.com", json!({"callbackURL": "/dash"}));
    let location = t.client().get(&link).header("location").unwrap();
    assert!(
        location.starts_with(&format!("{BASE}/dash?error=BANNED_USER&error_description=")),
        "{location}"
    );
}

#[test]
fn magic_links_are_off_unless_enabled_and_callbacks_must_be_trusted() {
    let off = TestApp::with_vars(&[("MAIL_PROVIDER", "log")]);
    let res = off.client().post(
        "/api/auth/sign-in/magic-link",
        json!({"email": "a@example.com"}),
    );
    assert_eq!(res.status(), 404);
    let t = app(&[]);
    t.client()
        .post(
            "/api/auth/sign-in/magic-link",
            json!({"email": "a@example.com", "callbackURL": "https://evil.example.com/"}),
        )
        .assert_error(403, "INVALID_CALLBACK_URL");
    t.client()
        .get("/api/auth/magic-link/verify?token=x&callbackURL=https://evil.example.com/")
        .assert_error(403, "INVALID_CALLBACK_URL");
}
