#![cfg(not(target_arch = "wasm32"))]
//! Mail nobody can turn against a stranger: no messages for addresses that need none, no
//! attacker-chosen text in them, no oracle in the change-email flow, and reset links that die
//! with the address or password they were sent for.

mod support;

use serde_json::json;
use support::*;

const PASSWORD: &str = "correct horse battery";

fn mail_app(extra: &[(&str, &str)]) -> TestApp {
    let mut vars = vec![("MAIL_PROVIDER", "log")];
    vars.extend_from_slice(extra);
    TestApp::with_vars(&vars)
}

fn queued(t: &TestApp) -> i64 {
    t.sql.count(r#"select count(*) from "mail_outbox""#)
}

fn verify_address(t: &TestApp, email: &str) {
    t.sql.exec(&format!(
        r#"update "user" set "emailVerified" = 1 where "email" = '{email}'"#
    ));
}

#[test]
fn anonymous_verification_requests_for_a_verified_address_send_nothing() {
    let t = mail_app(&[]);
    t.client().sign_up("done@example.com", PASSWORD);
    verify_address(&t, "done@example.com");
    let res = t.client().post(
        "/api/auth/send-verification-email",
        json!({"email": "done@example.com"}),
    );
    assert_eq!((res.status(), res.json()), (200, json!({"status": true})));
    assert_eq!(queued(&t), 0, "nothing queued for the cron to send later");
    assert_eq!(t.sql.count(r#"select count(*) from "verification""#), 0);
    assert!(t.mailbox("done@example.com").is_empty());
}

#[test]
fn a_sign_up_cannot_mail_a_strangers_text_to_an_unproven_address() {
    let t = mail_app(&[("SEND_VERIFICATION_ON_SIGN_UP", "true")]);
    t.client().post(
        "/api/auth/sign-up/email",
        json!({"name": "Urgent: call 555 0100 or visit evil.test", "email": "victim@example.com", "password": PASSWORD}),
    );
    let message = &t.mailbox("victim@example.com")[0];
    for body in ["text", "html", "subject"] {
        let body = message[body].as_str().unwrap();
        assert!(
            !body.contains("555") && !body.contains("evil.test") && !body.contains("Urgent"),
            "{body}"
        );
    }
    assert!(message["text"].as_str().unwrap().starts_with("Hello,\n"));
}

#[test]
fn a_verified_users_change_email_always_confirms_to_the_current_address() {
    let t = mail_app(&[]);
    t.client().sign_up("owner@example.com", PASSWORD);
    let mut c = t.client();
    c.sign_up("prober@example.com", PASSWORD);
    verify_address(&t, "prober@example.com");
    // Taken or free, the prober's own mailbox gets the same confirmation.
    for target in ["owner@example.com", "free@example.com"] {
        let res = c.post("/api/auth/change-email", json!({"newEmail": target}));
        assert_eq!((res.status(), res.json()), (200, json!({"status": true})));
    }
    let confirmations = t.mailbox("prober@example.com");
    assert_eq!(confirmations.len(), 2);
    assert!(confirmations
        .iter()
        .all(|m| m["kind"] == "change-email-confirmation"));
    // Following the one for the taken address answers like the other, and sends nothing there.
    let link = |m: &serde_json::Value| {
        m["url"]
            .as_str()
            .unwrap()
            .strip_prefix(BASE)
            .unwrap()
            .to_string()
    };
    let (free, taken) = (link(&confirmations[0]), link(&confirmations[1]));
    let res = c.get(&taken);
    assert_eq!(
        (res.status(), res.header("location").as_deref()),
        (302, Some("/"))
    );
    assert!(t.mailbox("owner@example.com").is_empty());
    let res = c.get(&free);
    assert_eq!(
        (res.status(), res.header("location").as_deref()),
        (302, Some("/"))
    );
    assert_eq!(
        t.mailbox("free@example.com")[0]["kind"],
        "change-email-verification"
    );
}

fn reset_link(t: &TestApp, email: &str) -> String {
    t.client()
        .post("/api/auth/request-password-reset", json!({"email": email}));
    let link = t.latest_link(email);
    link.split("/reset-password/")
        .nth(1)
        .and_then(|rest| rest.split('?').next())
        .unwrap()
        .to_string()
}

fn reset(t: &TestApp, token: &str) -> Response {
    t.client().post(
        "/api/auth/reset-password",
        json!({"newPassword": "another long password", "token": token}),
    )
}

#[test]
fn a_reset_link_dies_when_the_address_changes() {
    let t = mail_app(&[]);
    let mut c = t.client();
    c.sign_up("moving@example.com", PASSWORD);
    let token = reset_link(&t, "moving@example.com");
    c.post(
        "/api/auth/change-email",
        json!({"newEmail": "moved@example.com"}),
    );
    let link = t.latest_link("moved@example.com");
    assert_eq!(c.get(&link).header("location").as_deref(), Some("/"));
    assert_eq!(c.session()["user"]["email"], "moved@example.com");
    reset(&t, &token).assert_error(400, "INVALID_TOKEN");
}

#[test]
fn a_reset_link_sent_to_an_earlier_address_is_refused() {
    let t = mail_app(&[]);
    t.client().sign_up("before@example.com", PASSWORD);
    let token = reset_link(&t, "before@example.com");
    // The address changed by other means (an operator, an import): the link is not for it.
    t.sql
        .exec(r#"update "user" set "email" = 'after@example.com'"#);
    reset(&t, &token).assert_error(400, "INVALID_TOKEN");
}

#[test]
fn a_password_change_kills_outstanding_reset_links() {
    let t = mail_app(&[]);
    let mut c = t.client();
    c.sign_up("changer@example.com", PASSWORD);
    let token = reset_link(&t, "changer@example.com");
    let res = c.post(
        "/api/auth/change-password",
        json!({"currentPassword": PASSWORD, "newPassword": "a changed password"}),
    );
    assert_eq!(res.status(), 200);
    reset(&t, &token).assert_error(400, "INVALID_TOKEN");
    assert_eq!(
        t.client()
            .sign_in("changer@example.com", "a changed password")
            .status(),
        200
    );
}

#[test]
fn the_mail_outbox_is_sealed_under_its_own_key_not_the_jwks_one() {
    use portcullis::crypto::symmetric;
    use portcullis::mail::queue;
    let t = mail_app(&[]);
    t.client().sign_up("sealed@example.com", PASSWORD);
    t.client().post(
        "/api/auth/request-password-reset",
        json!({"email": "sealed@example.com"}),
    );
    let payload: String = t
        .sql
        .0
        .borrow()
        .query_row(r#"select "payload" from "mail_outbox""#, [], |r| r.get(0))
        .unwrap();
    let secret = SECRET.as_bytes();
    assert!(
        symmetric::decrypt(secret, &payload).is_err(),
        "not under SHA-256(secret)"
    );
    assert_eq!(
        queue::open(secret, &payload).unwrap().to,
        "sealed@example.com"
    );
    // A row queued under the older key is still delivered.
    let legacy = symmetric::encrypt(
        secret,
        &serde_json::to_string(&queue::open(secret, &payload).unwrap()).unwrap(),
    )
    .unwrap();
    assert_eq!(
        queue::open(secret, &legacy).unwrap().to,
        "sealed@example.com"
    );
}
