#![cfg(not(target_arch = "wasm32"))]
//! Email verification, password reset and email change over rusqlite and the in-memory KV, with
//! the development mailbox as the capture list (and the HTTP providers over a scripted outbound).

mod support;

use futures::executor::block_on;
use portcullis::features::verification::one_time;
use portcullis::features::verification::store as verifications;
use portcullis::mail::Kind;
use portcullis::time::{to_iso, SECOND};
use serde_json::json;
use support::*;

const PASSWORD: &str = "correct horse battery";
const NEW_PASSWORD: &str = "a brand new passphrase";

fn mail_app(extra: &[(&str, &str)]) -> TestApp {
    let mut vars = vec![("MAIL_PROVIDER", "log"), ("APP_NAME", "Portcullis Test")];
    vars.extend_from_slice(extra);
    TestApp::with_vars(&vars)
}

fn query_param(link: &str, name: &str) -> String {
    let query = link.split_once('?').map(|(_, q)| q).unwrap_or_default();
    query
        .split('&')
        .find_map(|p| p.strip_prefix(&format!("{name}=")))
        .unwrap_or_default()
        .to_string()
}

fn reset_token(link: &str) -> String {
    link.split("/reset-password/")
        .nth(1)
        .and_then(|rest| rest.split('?').next())
        .expect("a reset link")
        .to_string()
}

fn request_reset(t: &TestApp, email: &str, redirect_to: &str) -> String {
    let res = t.client().post(
        "/api/auth/request-password-reset",
        json!({"email": email, "redirectTo": redirect_to}),
    );
    assert_eq!(res.status(), 200);
    reset_token(&t.latest_link(email))
}

#[test]
fn sign_up_sends_a_verification_link_that_verifies_once() {
    let t = mail_app(&[("SEND_VERIFICATION_ON_SIGN_UP", "true")]);
    let mut c = t.client();
    let res = c.post(
        "/api/auth/sign-up/email",
        json!({"name": "Ada", "email": "Ada@Example.com", "password": PASSWORD, "callbackURL": "/welcome"}),
    );
    assert_eq!(res.status(), 200);
    assert!(
        res.json()["token"].is_string(),
        "sign-in after sign-up stays on"
    );

    let messages = t.mailbox("ada@example.com");
    assert_eq!(messages.len(), 1);
    let m = &messages[0];
    assert_eq!(m["kind"], "verify-email");
    assert_eq!(
        m["subject"],
        "Verify your email address for Portcullis Test"
    );
    let url = m["url"].as_str().unwrap();
    assert!(url.starts_with("http://127.0.0.1:8787/api/auth/verify-email?token="));
    assert!(url.ends_with("&callbackURL=%2Fwelcome"));
    assert!(m["text"].as_str().unwrap().contains(url));
    assert!(m["html"].as_str().unwrap().contains("Hello Ada,"));

    let link = url.strip_prefix(BASE).unwrap();
    let res = c.get(link);
    assert_eq!(res.status(), 302);
    assert_eq!(res.header("location").as_deref(), Some("/welcome"));
    assert_eq!(
        c.session()["user"]["emailVerified"],
        true,
        "the cached session sees it"
    );
    let res = c.get(link);
    assert_eq!(res.status(), 302);
    assert_eq!(
        res.header("location").as_deref(),
        Some("/welcome?error=INVALID_TOKEN")
    );
    let token = query_param(link, "token");
    t.client()
        .get(&format!("/api/auth/verify-email?token={token}"))
        .assert_error(401, "INVALID_TOKEN");
}

#[test]
fn tokens_and_queued_messages_are_not_stored_in_the_clear() {
    let t = mail_app(&[("SEND_VERIFICATION_ON_SIGN_UP", "true")]);
    t.client().sign_up("secret@example.com", PASSWORD);
    let stored: String = t
        .sql
        .0
        .borrow()
        .query_row(r#"select "payload" from "mail_outbox""#, [], |r| r.get(0))
        .unwrap();
    assert!(!stored.contains("secret@example.com") && !stored.contains("verify-email"));
    let link = t.latest_link("secret@example.com");
    let token = query_param(&link, "token");
    let identifier: String = t
        .sql
        .0
        .borrow()
        .query_row(r#"select "identifier" from "verification""#, [], |r| {
            r.get(0)
        })
        .unwrap();
    assert!(!identifier.contains(&token));
    assert_eq!(identifier, one_time::identifier(Kind::VerifyEmail, &token));
    assert_eq!(
        t.sql.count(r#"select count(*) from "mail_outbox""#),
        0,
        "delivered messages are deleted"
    );
}

#[test]
fn required_verification_blocks_sign_in_until_the_link_is_used() {
    let t = mail_app(&[
        ("REQUIRE_EMAIL_VERIFICATION", "true"),
        ("AUTO_SIGN_IN_AFTER_VERIFICATION", "true"),
        ("SEND_VERIFICATION_ON_SIGN_IN", "true"),
    ]);
    let mut c = t.client();
    let res = c.sign_up("grace@example.com", PASSWORD);
    assert_eq!(res.status(), 200);
    assert_eq!(res.json()["token"], serde_json::Value::Null);
    assert!(
        res.set_cookies().is_empty(),
        "no session before verification"
    );
    assert_eq!(t.mailbox("grace@example.com").len(), 1);

    // A second sign-up for the address looks exactly like a first one.
    let dup = t.client().sign_up("grace@example.com", "another password!");
    assert_eq!(dup.status(), 200);
    assert_eq!(dup.json()["token"], serde_json::Value::Null);
    assert_eq!(dup.json()["user"]["email"], "grace@example.com");
    assert_ne!(dup.json()["user"]["id"], res.json()["user"]["id"]);

    c.sign_in("grace@example.com", PASSWORD)
        .assert_error(403, "EMAIL_NOT_VERIFIED");
    assert_eq!(
        t.mailbox("grace@example.com").len(),
        2,
        "sign-in sent a fresh link"
    );
    c.sign_in("grace@example.com", "wrong password")
        .assert_error(401, "INVALID_EMAIL_OR_PASSWORD");
    assert_eq!(
        t.mailbox("grace@example.com").len(),
        2,
        "only the right password sends one"
    );

    let res = c.get(&t.latest_link("grace@example.com"));
    assert_eq!(res.status(), 302);
    assert!(res
        .set_cookies()
        .iter()
        .any(|l| l.starts_with("better-auth.session_token=")));
    assert_eq!(
        c.session()["user"]["emailVerified"],
        true,
        "signed in by the link"
    );
    assert_eq!(
        t.client().sign_in("grace@example.com", PASSWORD).status(),
        200
    );
}

#[test]
fn send_verification_email_answers_alike_for_any_address() {
    let t = mail_app(&[]);
    t.client().sign_up("known@example.com", PASSWORD);
    let before_tokens = t.sql.count(r#"select count(*) from "verification""#);
    for email in ["known@example.com", "nobody@example.com"] {
        let res = t
            .client()
            .post("/api/auth/send-verification-email", json!({"email": email}));
        assert_eq!((res.status(), res.json()), (200, json!({"status": true})));
    }
    assert_eq!(t.mailbox("known@example.com").len(), 1);
    assert_eq!(t.mailbox("nobody@example.com").len(), 0);
    assert_eq!(
        t.sql.count(r#"select count(*) from "verification""#),
        before_tokens + 1,
        "nothing stored for the unknown address"
    );
}

#[test]
fn send_verification_email_with_a_session_checks_the_address() {
    let t = mail_app(&[]);
    let mut c = t.client();
    c.sign_up("own@example.com", PASSWORD);
    c.post(
        "/api/auth/send-verification-email",
        json!({"email": "other@example.com"}),
    )
    .assert_error(400, "EMAIL_MISMATCH");
    let res = c.post(
        "/api/auth/send-verification-email",
        json!({"email": "own@example.com", "callbackURL": "http://127.0.0.1:5173/verified"}),
    );
    assert_eq!(res.status(), 200);
    let res = c.get(&t.latest_link("own@example.com"));
    assert_eq!(
        res.header("location").as_deref(),
        Some("http://127.0.0.1:5173/verified")
    );
    c.post(
        "/api/auth/send-verification-email",
        json!({"email": "own@example.com"}),
    )
    .assert_error(400, "EMAIL_ALREADY_VERIFIED");
}

#[test]
fn password_reset_replaces_the_password_and_ends_every_session() {
    let t = mail_app(&[]);
    let mut laptop = t.client();
    laptop.sign_up("reset@example.com", PASSWORD);
    let mut phone = t.client();
    phone.sign_in("reset@example.com", PASSWORD);
    assert!(phone.session()["user"].is_object());

    let res = t.client().post(
        "/api/auth/request-password-reset",
        json!({"email": "reset@example.com", "redirectTo": "http://127.0.0.1:5173/reset"}),
    );
    assert_eq!(
        res.json(),
        json!({"status": true, "message": "If this email exists in our system, check your email for the reset link"})
    );
    let message = &t.mailbox("reset@example.com")[0];
    assert_eq!(message["kind"], "reset-password");
    let link = message["url"]
        .as_str()
        .unwrap()
        .strip_prefix(BASE)
        .unwrap()
        .to_string();
    let token = reset_token(&link);
    assert!(link.ends_with("?callbackURL=http%3A%2F%2F127.0.0.1%3A5173%2Freset"));

    let landing = t.client().get(&link);
    assert_eq!(landing.status(), 302);
    assert_eq!(
        landing.header("location").unwrap(),
        format!("http://127.0.0.1:5173/reset?token={token}")
    );

    let res = t.client().post(
        "/api/auth/reset-password",
        json!({"newPassword": NEW_PASSWORD, "token": token}),
    );
    assert_eq!((res.status(), res.json()), (200, json!({"status": true})));
    assert_eq!(
        laptop.session(),
        serde_json::Value::Null,
        "old sessions are dead, KV included"
    );
    assert_eq!(phone.session(), serde_json::Value::Null);
    t.client()
        .sign_in("reset@example.com", PASSWORD)
        .assert_error(401, "INVALID_EMAIL_OR_PASSWORD");
    assert_eq!(
        t.client()
            .sign_in("reset@example.com", NEW_PASSWORD)
            .status(),
        200
    );

    t.client()
        .post(
            "/api/auth/reset-password",
            json!({"newPassword": "yet another password", "token": token}),
        )
        .assert_error(400, "INVALID_TOKEN");
    let again = t.client().get(&link);
    assert_eq!(
        again.header("location").as_deref(),
        Some("http://127.0.0.1:5173/reset?error=INVALID_TOKEN")
    );
}

#[test]
fn keeping_sessions_on_reset_is_a_choice() {
    let t = mail_app(&[("REVOKE_SESSIONS_ON_PASSWORD_RESET", "false")]);
    let mut c = t.client();
    c.sign_up("keep@example.com", PASSWORD);
    let token = request_reset(&t, "keep@example.com", "/reset");
    let res = t.client().post(
        &format!("/api/auth/reset-password?token={token}"),
        json!({"newPassword": NEW_PASSWORD}),
    );
    assert_eq!(res.status(), 200);
    assert!(c.session()["user"].is_object());
}

#[test]
fn a_successful_reset_kills_the_users_other_reset_links() {
    let t = mail_app(&[]);
    t.client().sign_up("many@example.com", PASSWORD);
    let first = request_reset(&t, "many@example.com", "/reset");
    let second = request_reset(&t, "many@example.com", "/reset");
    assert_ne!(first, second);
    let res = t.client().post(
        "/api/auth/reset-password",
        json!({"newPassword": NEW_PASSWORD, "token": second}),
    );
    assert_eq!(res.status(), 200);
    t.client()
        .post(
            "/api/auth/reset-password",
            json!({"newPassword": "other password 1", "token": first}),
        )
        .assert_error(400, "INVALID_TOKEN");
}

#[test]
fn of_two_racing_resets_with_one_token_exactly_one_wins() {
    let t = mail_app(&[]);
    t.client().sign_up("race@example.com", PASSWORD);
    let token = request_reset(&t, "race@example.com", "/reset");
    let now = t.clock.get();
    let sql = &t.sql as &dyn portcullis::storage::Sql;
    // Both requests have looked the token up before either writes.
    let a = block_on(one_time::find(sql, &[Kind::ResetPassword], &token, now))
        .unwrap()
        .unwrap();
    let b = block_on(one_time::find(sql, &[Kind::ResetPassword], &token, now))
        .unwrap()
        .unwrap();
    let user_id = a.claims.user_id.clone();
    let attempt = |found: &one_time::Found, hash: &str| {
        let mut batch = verifications::reset_password(
            &user_id,
            "acc_new",
            hash,
            &found.identifier,
            &to_iso(now),
        );
        batch.push(verifications::revoke_sessions(
            &user_id,
            &found.identifier,
            &to_iso(now),
        ));
        batch.push(verifications::consume(&found.identifier, &to_iso(now)));
        block_on(sql.batch(batch)).unwrap()
    };
    let first = attempt(&a, "hash-from-a");
    let second = attempt(&b, "hash-from-b");
    assert_eq!(first.last(), Some(&1));
    assert_eq!(second, vec![0, 0, 0, 0], "the loser changes nothing");
    let stored: String = t
        .sql
        .0
        .borrow()
        .query_row(r#"select "password" from "account""#, [], |r| r.get(0))
        .unwrap();
    assert_eq!(stored, "hash-from-a");

    // The same over HTTP, two submissions joined on one executor.
    let token = request_reset(&t, "race@example.com", "/reset");
    let submit = |pw: &'static str| {
        let req = raw(
            "POST",
            "/api/auth/reset-password",
            &[("content-type", "application/json")],
            json!({"newPassword": pw, "token": token})
                .to_string()
                .as_bytes(),
        );
        t.app.handle(req, t.clock.get())
    };
    let (x, y) = block_on(futures::future::join(
        submit("first racer pw"),
        submit("second racer pw"),
    ));
    let mut statuses = [x.status().as_u16(), y.status().as_u16()];
    statuses.sort();
    assert_eq!(statuses, [200, 400]);
}

#[test]
fn tokens_expire() {
    let t = mail_app(&[("SEND_VERIFICATION_ON_SIGN_UP", "true")]);
    t.client().sign_up("late@example.com", PASSWORD);
    let verify_link = t.latest_link("late@example.com");
    let token = request_reset(&t, "late@example.com", "http://127.0.0.1:5173/reset");
    t.advance(3_600 * SECOND + 1);
    let res = t.client().get(&format!("{verify_link}&x=1"));
    assert!(res
        .header("location")
        .unwrap()
        .ends_with("?error=TOKEN_EXPIRED"));
    t.client()
        .get(&format!(
            "/api/auth/verify-email?token={}",
            query_param(&verify_link, "token")
        ))
        .assert_error(401, "TOKEN_EXPIRED");
    let landing = t.client().get(&format!(
        "/api/auth/reset-password/{token}?callbackURL=%2Freset"
    ));
    assert_eq!(
        landing.header("location").as_deref(),
        Some("http://127.0.0.1:8787/reset?error=INVALID_TOKEN")
    );
    t.client()
        .post(
            "/api/auth/reset-password",
            json!({"newPassword": NEW_PASSWORD, "token": token}),
        )
        .assert_error(400, "INVALID_TOKEN");
    block_on(t.app.scheduled("* * * * *", t.clock.get()));
    assert_eq!(
        t.sql.count(r#"select count(*) from "verification""#),
        0,
        "the cron sweeps expired tokens"
    );
}

#[test]
fn reset_requests_answer_alike_and_store_nothing_for_unknown_addresses() {
    let t = mail_app(&[]);
    t.client().sign_up("real@example.com", PASSWORD);
    let known = t.client().post(
        "/api/auth/request-password-reset",
        json!({"email": "real@example.com"}),
    );
    let unknown = t.client().post(
        "/api/auth/request-password-reset",
        json!({"email": "ghost@example.com"}),
    );
    assert_eq!(
        (known.status(), known.json()),
        (unknown.status(), unknown.json())
    );
    assert_eq!(t.sql.count(r#"select count(*) from "verification""#), 1);
    assert_eq!(t.sql.count(r#"select count(*) from "mail_outbox""#), 1);
    assert!(t.mailbox("ghost@example.com").is_empty());
    // Without redirectTo the link lands on the error page, as in better-auth.
    let link = t.latest_link("real@example.com");
    let res = t.client().get(&link);
    assert_eq!(
        res.header("location").as_deref(),
        Some("http://127.0.0.1:8787/api/auth/error?error=INVALID_TOKEN")
    );
    let page = t.client().get("/api/auth/error?error=INVALID_TOKEN");
    assert_eq!(
        page.header("content-type").as_deref(),
        Some("text/html; charset=utf-8")
    );
}

#[test]
fn unsafe_callback_urls_are_refused() {
    let t = mail_app(&[]);
    t.client().sign_up("cb@example.com", PASSWORD);
    let attacks = [
        "//evil.com",
        "/\\evil.com",
        "javascript:alert(1)",
        "JavaScript:alert(1)",
        "%2F%2Fevil.com",
        "/%2F%2Fevil.com",
        "/%5Cevil.com",
        "https://evil.com/reset",
        "http://127.0.0.1:5173@evil.com/",
        "data:text/html,x",
    ];
    for bad in attacks {
        t.client()
            .post(
                "/api/auth/request-password-reset",
                json!({"email": "cb@example.com", "redirectTo": bad}),
            )
            .assert_error(403, "INVALID_REDIRECT_URL");
        t.client()
            .post(
                "/api/auth/send-verification-email",
                json!({"email": "cb@example.com", "callbackURL": bad}),
            )
            .assert_error(403, "INVALID_CALLBACK_URL");
        let encoded = portcullis::kernel::cookies::encode_uri_component(bad);
        t.client()
            .get(&format!(
                "/api/auth/verify-email?token=x&callbackURL={encoded}"
            ))
            .assert_error(403, "INVALID_CALLBACK_URL");
        t.client()
            .get(&format!("/api/auth/reset-password/x?callbackURL={encoded}"))
            .assert_error(403, "INVALID_CALLBACK_URL");
    }
    assert!(
        t.mailbox("cb@example.com").is_empty(),
        "nothing was sent for a refused request"
    );
}

#[test]
fn an_unverified_user_changes_email_through_the_new_address() {
    let t = mail_app(&[]);
    let mut c = t.client();
    c.sign_up("old@example.com", PASSWORD);
    let res = c.post(
        "/api/auth/change-email",
        json!({"newEmail": "New@Example.com", "callbackURL": "/settings"}),
    );
    assert_eq!((res.status(), res.json()), (200, json!({"status": true})));
    assert!(t.mailbox("old@example.com").is_empty());
    let message = &t.mailbox("new@example.com")[0];
    assert_eq!(message["kind"], "change-email-verification");
    let link = t.latest_link("new@example.com");
    let res = c.get(&link);
    assert_eq!(res.header("location").as_deref(), Some("/settings"));
    let user = &c.session()["user"];
    assert_eq!(
        (user["email"].as_str(), user["emailVerified"].as_bool()),
        (Some("new@example.com"), Some(true))
    );
    assert_eq!(
        t.client().sign_in("new@example.com", PASSWORD).status(),
        200
    );
    t.client()
        .sign_in("old@example.com", PASSWORD)
        .assert_error(401, "INVALID_EMAIL_OR_PASSWORD");
}

#[test]
fn a_verified_user_confirms_from_the_old_address_first() {
    let t = mail_app(&[("SEND_VERIFICATION_ON_SIGN_UP", "true")]);
    let mut c = t.client();
    c.sign_up("first@example.com", PASSWORD);
    c.get(&t.latest_link("first@example.com"));
    let res = c.post(
        "/api/auth/change-email",
        json!({"newEmail": "second@example.com"}),
    );
    assert_eq!(res.status(), 200);
    let confirmation = &t.mailbox("first@example.com")[0];
    assert_eq!(confirmation["kind"], "change-email-confirmation");
    assert!(confirmation["text"]
        .as_str()
        .unwrap()
        .contains("second@example.com"));
    assert!(
        t.mailbox("second@example.com").is_empty(),
        "nothing to the new address yet"
    );

    // Another signed-in user cannot use the link.
    let mut other = t.client();
    other.sign_up("intruder@example.com", PASSWORD);
    let res = other.get(&t.latest_link("first@example.com"));
    assert_eq!(
        res.header("location").as_deref(),
        Some("/?error=INVALID_USER")
    );

    let res = c.get(&t.latest_link("first@example.com"));
    assert_eq!(res.header("location").as_deref(), Some("/"));
    // Without a callbackURL the answer is JSON, with the updated user.
    let link = t.latest_link("second@example.com");
    let res = t.client().get(link.split("&callbackURL").next().unwrap());
    assert_eq!(res.status(), 200);
    assert_eq!(res.json()["user"]["email"], "second@example.com");
    assert_eq!(res.json()["user"]["emailVerified"], true);
    assert_eq!(c.session()["user"]["email"], "second@example.com");
}

#[test]
fn changing_to_a_taken_address_looks_the_same_and_sends_nothing() {
    let t = mail_app(&[]);
    t.client().sign_up("taken@example.com", PASSWORD);
    let mut c = t.client();
    c.sign_up("mover@example.com", PASSWORD);
    let res = c.post(
        "/api/auth/change-email",
        json!({"newEmail": "taken@example.com"}),
    );
    assert_eq!((res.status(), res.json()), (200, json!({"status": true})));
    assert!(t.mailbox("taken@example.com").is_empty());
    c.post(
        "/api/auth/change-email",
        json!({"newEmail": "mover@example.com"}),
    )
    .assert_error_message(400, "Email is the same");
}

#[test]
fn without_a_mail_provider_the_endpoints_say_so() {
    let t = TestApp::new();
    let mut c = t.client();
    c.sign_up("plain@example.com", PASSWORD);
    c.post(
        "/api/auth/request-password-reset",
        json!({"email": "plain@example.com"}),
    )
    .assert_error(400, "RESET_PASSWORD_DISABLED");
    c.post(
        "/api/auth/send-verification-email",
        json!({"email": "plain@example.com"}),
    )
    .assert_error(400, "VERIFICATION_EMAIL_NOT_ENABLED");
    c.post(
        "/api/auth/change-email",
        json!({"newEmail": "x@example.com"}),
    )
    .assert_error(400, "CHANGE_EMAIL_DISABLED");
    assert_eq!(
        c.get("/api/auth/dev/mailbox?email=plain@example.com")
            .status(),
        404
    );
}

fn webhook_app() -> TestApp {
    mail_app(&[
        ("MAIL_PROVIDER", "webhook"),
        ("MAIL_WEBHOOK_URL", "http://127.0.0.1:9/hooks/mail"),
        (
            "MAIL_WEBHOOK_SECRET",
            "webhook-secret-0123456789abcdef0123456789",
        ),
        ("SEND_VERIFICATION_ON_SIGN_UP", "true"),
    ])
}

#[test]
fn a_provider_outage_delays_mail_and_loses_none() {
    let t = webhook_app();
    t.outbound.then(Answer::Silence);
    t.outbound.then(Answer::Status(503, None));
    t.outbound.then(Answer::Status(429, Some("120")));
    t.client().sign_up("patient@example.com", PASSWORD);
    t.deliver_mail();
    assert_eq!(t.sql.count(r#"select "attempts" from "mail_outbox""#), 1);
    t.deliver_mail();
    assert_eq!(t.outbound.requests.borrow().len(), 1, "not due yet");
    t.advance(3 * SECOND);
    t.deliver_mail();
    t.advance(5 * SECOND);
    t.deliver_mail();
    assert_eq!(t.sql.count(r#"select "attempts" from "mail_outbox""#), 3);
    t.advance(60 * SECOND);
    t.deliver_mail();
    assert_eq!(
        t.outbound.requests.borrow().len(),
        3,
        "Retry-After is honoured"
    );
    t.advance(61 * SECOND);
    block_on(t.app.scheduled("* * * * *", t.clock.get()));
    assert_eq!(t.outbound.requests.borrow().len(), 4);
    assert_eq!(
        t.sql.count(r#"select count(*) from "mail_outbox""#),
        0,
        "delivered at last"
    );
}

#[test]
fn the_webhook_is_signed_like_the_sync_protocol() {
    let t = webhook_app();
    t.client().sign_up("signed@example.com", PASSWORD);
    t.deliver_mail();
    let requests = t.outbound.requests.borrow();
    let (url, headers, body) = &requests[0];
    assert_eq!(url, "http://127.0.0.1:9/hooks/mail");
    assert_eq!(body["type"], "email");
    assert_eq!(body["message"]["to"], "signed@example.com");
    let header = |name: &str| {
        headers
            .iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.clone())
            .unwrap()
    };
    let raw_body = t.outbound.raw_bodies.borrow()[0].clone();
    let signed = portcullis::net::signature::Signed {
        timestamp: header("x-ba-sync-timestamp").parse().unwrap(),
        nonce: &header("x-ba-sync-nonce"),
        request_id: &header("x-ba-sync-id"),
        method: "POST",
        path: "/hooks/mail",
        body: &raw_body,
    };
    assert_eq!(
        header("x-ba-sync-id"),
        body["message"]["id"].as_str().unwrap()
    );
    let secret: &[u8] = b"webhook-secret-0123456789abcdef0123456789";
    portcullis::net::signature::verify(
        &signed,
        &header("x-ba-sync-signature"),
        &[secret],
        t.clock.get() / SECOND,
    )
    .expect("the signature verifies");
    portcullis::net::signature::verify(
        &signed,
        &header("x-ba-sync-signature"),
        &[b"another-secret-0123456789abcdef01234".as_slice()],
        t.clock.get() / SECOND,
    )
    .expect_err("and only with the shared secret");
}

#[test]
fn a_refused_message_is_buried_and_dropped_when_its_link_expires() {
    let t = webhook_app();
    t.outbound.then(Answer::Status(422, None));
    t.client().sign_up("bounce@example.com", PASSWORD);
    t.deliver_mail();
    assert_eq!(
        t.sql
            .count(r#"select count(*) from "mail_outbox" where "status" = 'dead'"#),
        1
    );
    t.advance(3_600 * SECOND);
    block_on(t.app.scheduled("* * * * *", t.clock.get()));
    assert_eq!(t.sql.count(r#"select count(*) from "mail_outbox""#), 0);
    assert_eq!(t.outbound.requests.borrow().len(), 1, "never retried");
}

#[test]
fn resend_gets_its_own_request_format() {
    let t = mail_app(&[
        ("MAIL_PROVIDER", "resend"),
        ("RESEND_API_URL", "http://127.0.0.1:9/emails"),
        ("RESEND_API_KEY", "re_test_key"),
        ("MAIL_FROM", "Portcullis <auth@example.com>"),
    ]);
    t.client().sign_up("resend@example.com", PASSWORD);
    t.client().post(
        "/api/auth/request-password-reset",
        json!({"email": "resend@example.com"}),
    );
    t.deliver_mail();
    let requests = t.outbound.requests.borrow();
    let (url, headers, body) = &requests[0];
    assert_eq!(url, "http://127.0.0.1:9/emails");
    assert!(headers.contains(&("authorization", "Bearer re_test_key".to_string())));
    assert!(headers
        .iter()
        .any(|(k, v)| *k == "idempotency-key" && v.starts_with("mail_")));
    assert_eq!(body["from"], "Portcullis <auth@example.com>");
    assert_eq!(body["to"], json!(["resend@example.com"]));
    assert_eq!(body["subject"], "Reset your Portcullis Test password");
    assert!(body["text"]
        .as_str()
        .unwrap()
        .contains("/api/auth/reset-password/"));
    assert!(body["html"]
        .as_str()
        .unwrap()
        .starts_with("<!doctype html>"));
}

#[test]
fn mail_configuration_is_checked() {
    let err = |vars: &[(&str, &str)]| {
        let vars = support::vars(vars);
        portcullis::config::Config::from_lookup(|n| {
            vars.iter().find(|(k, _)| k == n).map(|(_, v)| v.clone())
        })
        .expect_err("refused")
        .to_string()
    };
    assert!(err(&[
        ("MAIL_PROVIDER", "log"),
        ("BETTER_AUTH_URL", "https://auth.example.com")
    ])
    .contains("loopback"));
    assert!(err(&[("REQUIRE_EMAIL_VERIFICATION", "true")]).contains("MAIL_PROVIDER"));
    assert!(err(&[("MAIL_PROVIDER", "resend"), ("MAIL_FROM", "a@b.c")]).contains("RESEND_API_KEY"));
    assert!(err(&[
        ("MAIL_PROVIDER", "webhook"),
        ("MAIL_WEBHOOK_URL", "http://mail.example.com/x"),
        ("MAIL_WEBHOOK_SECRET", "0123456789abcdef0123456789abcdef"),
        ("BETTER_AUTH_URL", "https://auth.example.com")
    ])
    .contains("https"));
    assert!(err(&[("MAIL_PROVIDER", "smtp")]).contains("expected resend, webhook or log"));
}

#[test]
fn answers_that_must_not_reveal_an_address_take_at_least_the_floor() {
    let t = mail_app(&[("MAIL_ANSWER_FLOOR_MS", "450")]);
    t.client().sign_up("floor@example.com", PASSWORD);
    assert!(
        t.timer.sleeps.borrow().is_empty(),
        "a sign-up that opens a session is not padded"
    );
    for email in ["floor@example.com", "nofloor@example.com"] {
        let start = t.clock.get();
        t.client()
            .post("/api/auth/request-password-reset", json!({"email": email}));
        t.client()
            .post("/api/auth/send-verification-email", json!({"email": email}));
        assert_eq!(
            t.clock.get() - start,
            900,
            "{email}: two answers of 450 ms each"
        );
    }
    let mut c = t.client();
    c.sign_in("floor@example.com", PASSWORD);
    let start = t.clock.get();
    c.post(
        "/api/auth/change-email",
        json!({"newEmail": "floor-new@example.com"}),
    );
    assert_eq!(t.clock.get() - start, 450);
}
