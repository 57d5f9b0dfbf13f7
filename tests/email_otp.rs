//! better-auth's email codes: no enumeration, five minutes, three wrong tries, single use, racing
//! tries counted, sign-in (and up) with the pre-hijack protection, address verification and
//! password reset.
#![cfg(not(target_arch = "wasm32"))]

mod support;

use serde_json::json;
use support::*;

const PASSWORD: &str = "correct horse battery";

fn app(extra: &[(&str, &str)]) -> TestApp {
    let mut vars = vec![("MAIL_PROVIDER", "log"), ("EMAIL_OTP_ENABLED", "true")];
    vars.extend_from_slice(extra);
    TestApp::with_vars(&vars)
}

fn send(t: &TestApp, email: &str, kind: &str) {
    let res = t.client().post(
        "/api/auth/email-otp/send-verification-otp",
        json!({"email": email, "type": kind}),
    );
    assert_eq!(res.status(), 200, "{}", res.json());
    assert_eq!(res.json(), json!({"success": true}));
}

/// The code in the newest message to `email`.
fn code(t: &TestApp, email: &str) -> String {
    let messages = t.mailbox(email);
    let text = messages
        .first()
        .unwrap_or_else(|| panic!("a message to {email}"))["text"]
        .as_str()
        .unwrap()
        .to_string();
    text.split("Code: ").nth(1).unwrap()[..6].to_string()
}

#[test]
fn a_code_signs_a_new_address_up_once() {
    let t = app(&[]);
    send(&t, "new@example.com", "sign-in");
    let otp = code(&t, "new@example.com");
    assert!(otp.bytes().all(|b| b.is_ascii_digit()));
    let stored = t.sql.text(r#"select "value" from "verification""#).unwrap();
    assert!(!stored.contains(&otp), "the code is kept as an HMAC");
    let mut c = t.client();
    let res = c.post(
        "/api/auth/sign-in/email-otp",
        json!({"email": "New@Example.com", "otp": otp, "name": "New"}),
    );
    assert_eq!(res.status(), 200, "{}", res.json());
    assert_eq!(res.json()["user"]["emailVerified"], true);
    assert_eq!(c.session()["user"]["email"], "new@example.com");
    t.client()
        .post(
            "/api/auth/sign-in/email-otp",
            json!({"email": "new@example.com", "otp": otp}),
        )
        .assert_error(400, "INVALID_OTP");
}

#[test]
fn unknown_addresses_get_the_same_answer_and_no_message() {
    let t = app(&[]);
    send(&t, "nobody@example.com", "email-verification");
    send(&t, "nobody@example.com", "forget-password");
    let res = t.client().post(
        "/api/auth/email-otp/request-password-reset",
        json!({"email": "nobody@example.com"}),
    );
    assert_eq!(res.json(), json!({"success": true}));
    assert!(t.mailbox("nobody@example.com").is_empty());
    t.client()
        .post(
            "/api/auth/email-otp/send-verification-otp",
            json!({"email": "a@example.com", "type": "change-email"}),
        )
        .assert_error_message(400, "Invalid OTP type");
    t.client()
        .post(
            "/api/auth/email-otp/send-verification-otp",
            json!({"email": "not an address", "type": "sign-in"}),
        )
        .assert_error(400, "INVALID_EMAIL");
}

#[test]
fn three_wrong_tries_then_the_code_is_gone() {
    let t = app(&[]);
    send(&t, "ada@example.com", "sign-in");
    let otp = code(&t, "ada@example.com");
    let wrong = if otp == "000000" { "111111" } else { "000000" };
    for _ in 0..3 {
        t.client()
            .post(
                "/api/auth/sign-in/email-otp",
                json!({"email": "ada@example.com", "otp": wrong}),
            )
            .assert_error(400, "INVALID_OTP");
    }
    t.client()
        .post(
            "/api/auth/sign-in/email-otp",
            json!({"email": "ada@example.com", "otp": otp}),
        )
        .assert_error(403, "TOO_MANY_ATTEMPTS");
    t.client()
        .post(
            "/api/auth/sign-in/email-otp",
            json!({"email": "ada@example.com", "otp": otp}),
        )
        .assert_error(400, "INVALID_OTP");
}

#[test]
fn a_code_expires_after_five_minutes() {
    let t = app(&[]);
    send(&t, "late@example.com", "sign-in");
    let otp = code(&t, "late@example.com");
    t.advance(5 * 60 * 1000 + 1);
    t.client()
        .post(
            "/api/auth/sign-in/email-otp",
            json!({"email": "late@example.com", "otp": otp}),
        )
        .assert_error(400, "OTP_EXPIRED");
}

#[test]
fn a_try_racing_another_gets_no_extra_guess() {
    let t = app(&[("EMAIL_OTP_ALLOWED_ATTEMPTS", "1")]);
    send(&t, "race@example.com", "sign-in");
    let otp = code(&t, "race@example.com");
    // Another (wrong) try takes the code's only try between this try's read and its own.
    t.sql
        .before_write(r#"update "verification" set "value""#, |db| {
            db.execute_batch(
                r#"update "verification" set "value" = substr("value", 1, 64) || ':1'"#,
            )
            .unwrap();
        });
    t.client()
        .post(
            "/api/auth/sign-in/email-otp",
            json!({"email": "race@example.com", "otp": otp}),
        )
        .assert_error(403, "TOO_MANY_ATTEMPTS");
    assert_eq!(
        t.sql.count(r#"select count(*) from "verification""#),
        0,
        "the code is gone"
    );
}

#[test]
fn signing_in_by_code_shuts_the_doors_an_unproven_address_left_open() {
    let t = app(&[]);
    let mut squatter = t.client();
    squatter.sign_up("victim@example.com", PASSWORD);
    send(&t, "victim@example.com", "sign-in");
    let otp = code(&t, "victim@example.com");
    let res = t.client().post(
        "/api/auth/sign-in/email-otp",
        json!({"email": "victim@example.com", "otp": otp}),
    );
    assert_eq!(res.status(), 200);
    assert_eq!(squatter.session(), serde_json::Value::Null);
    t.client()
        .sign_in("victim@example.com", PASSWORD)
        .assert_error(401, "INVALID_EMAIL_OR_PASSWORD");
}

#[test]
fn a_code_verifies_the_address_and_check_does_not_spend_it() {
    let t = app(&[]);
    let mut c = t.client();
    c.sign_up("ada@example.com", PASSWORD);
    send(&t, "ada@example.com", "email-verification");
    let otp = code(&t, "ada@example.com");
    let check = t.client().post(
        "/api/auth/email-otp/check-verification-otp",
        json!({"email": "ada@example.com", "type": "email-verification", "otp": otp}),
    );
    assert_eq!(check.json(), json!({"success": true}));
    let res = t.client().post(
        "/api/auth/email-otp/verify-email",
        json!({"email": "ada@example.com", "otp": otp}),
    );
    assert_eq!(res.status(), 200, "{}", res.json());
    assert_eq!(res.json()["user"]["emailVerified"], true);
    assert_eq!(res.json()["token"], serde_json::Value::Null);
    assert_eq!(
        c.session()["user"]["emailVerified"],
        true,
        "the open session sees it"
    );
}

#[test]
fn a_reset_code_sets_a_new_password_and_ends_the_sessions() {
    let t = app(&[]);
    let mut c = t.client();
    c.sign_up("ada@example.com", PASSWORD);
    let res = t.client().post(
        "/api/auth/forget-password/email-otp",
        json!({"email": "ada@example.com"}),
    );
    assert_eq!(res.json(), json!({"success": true}));
    let otp = code(&t, "ada@example.com");
    t.client()
        .post(
            "/api/auth/email-otp/reset-password",
            json!({"email": "ada@example.com", "otp": otp, "password": "short"}),
        )
        .assert_error(400, "PASSWORD_TOO_SHORT");
    let res = t.client().post(
        "/api/auth/email-otp/reset-password",
        json!({"email": "ada@example.com", "otp": otp, "password": "a brand new passphrase"}),
    );
    assert_eq!(res.status(), 200, "{}", res.json());
    assert_eq!(
        c.session(),
        serde_json::Value::Null,
        "REVOKE_SESSIONS_ON_PASSWORD_RESET is on by default"
    );
    assert_eq!(
        t.client()
            .sign_in("ada@example.com", "a brand new passphrase")
            .status(),
        200
    );
}

#[test]
fn codes_are_off_unless_enabled() {
    let off = TestApp::with_vars(&[("MAIL_PROVIDER", "log")]);
    let res = off.client().post(
        "/api/auth/email-otp/send-verification-otp",
        json!({"email": "a@example.com", "type": "sign-in"}),
    );
    assert_eq!(res.status(), 404);
}
