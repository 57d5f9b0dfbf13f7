//! `update-user`, `change-password`, `delete-user`, `list-accounts` and `ok`.
#![cfg(not(target_arch = "wasm32"))]

mod support;

use serde_json::{json, Value};
use support::*;

const PASSWORD: &str = "correct horse battery";

#[test]
fn update_user_changes_the_profile_everywhere_and_resends_the_cookie() {
    let t = TestApp::new();
    let mut a = t.client();
    a.sign_up("profile@example.com", PASSWORD);
    let mut b = t.client();
    b.sign_in("profile@example.com", PASSWORD);
    t.advance(5000);
    let res = a.post(
        "/api/auth/update-user",
        json!({"name": "New Name", "image": "https://img.example.com/a.png"}),
    );
    assert_eq!(res.json(), json!({"status": true}));
    assert!(res.set_cookies()[0].starts_with("better-auth.session_token="));
    assert!(res.header("set-auth-token").is_some());
    let user = b.session()["user"].clone();
    assert_eq!(
        (user["name"].as_str(), user["image"].as_str()),
        (Some("New Name"), Some("https://img.example.com/a.png"))
    );
    assert_eq!(user["updatedAt"], "2026-01-01T00:00:05.000Z");
    a.post("/api/auth/update-user", json!({"image": null}));
    assert_eq!(b.session()["user"]["image"], Value::Null);
}

#[test]
fn update_user_input_errors() {
    let t = TestApp::new();
    let mut c = t.client();
    c.sign_up("upd@example.com", PASSWORD);
    c.post("/api/auth/update-user", json!({"email": "x@example.com"}))
        .assert_error(400, "EMAIL_CAN_NOT_BE_UPDATED");
    let res = c.post("/api/auth/update-user", json!({}));
    assert_eq!(
        (res.status(), res.json()),
        (400, json!({"message": "No fields to update"}))
    );
    let res = c.post("/api/auth/update-user", json!([1]));
    res.assert_error(400, "VALIDATION_ERROR");
    assert_eq!(
        res.json()["message"],
        "[body] Invalid input: expected record, received array"
    );
    c.post("/api/auth/update-user", json!({"name": 7}))
        .assert_error(400, "VALIDATION_ERROR");
    t.client()
        .post("/api/auth/update-user", json!({"name": "x"}))
        .assert_error(401, "UNAUTHORIZED");
}

#[test]
fn change_password_checks_the_current_password_and_the_new_one() {
    let t = TestApp::new();
    let mut c = t.client();
    c.sign_up("pw@example.com", PASSWORD);
    let change = |c: &mut Client<'_>, current: &str, new: &str| {
        c.new_address(); // three changes per 10 s from one address
        c.post(
            "/api/auth/change-password",
            json!({"currentPassword": current, "newPassword": new}),
        )
    };
    change(&mut c, "wrong password", "brand new password").assert_error(400, "INVALID_PASSWORD");
    change(&mut c, PASSWORD, "short").assert_error(400, "PASSWORD_TOO_SHORT");
    change(&mut c, PASSWORD, &"x".repeat(129)).assert_error(400, "PASSWORD_TOO_LONG");
    change(&mut c, &"x".repeat(129), "brand new password").assert_error(400, "PASSWORD_TOO_LONG");
    c.post(
        "/api/auth/change-password",
        json!({"newPassword": "brand new password"}),
    )
    .assert_error(400, "VALIDATION_ERROR");

    let res = change(&mut c, PASSWORD, "brand new password");
    assert_eq!(res.json()["token"], Value::Null);
    assert_eq!(res.json()["user"]["email"], "pw@example.com");
    t.client()
        .sign_in("pw@example.com", PASSWORD)
        .assert_error(401, "INVALID_EMAIL_OR_PASSWORD");
    assert_eq!(
        t.client()
            .sign_in("pw@example.com", "brand new password")
            .status(),
        200
    );
    assert_eq!(c.session()["user"]["email"], "pw@example.com");
}

#[test]
fn change_password_can_revoke_every_session_and_issue_a_new_one() {
    let t = TestApp::new();
    let mut c = t.client();
    let old_token = c.sign_up("revoke@example.com", PASSWORD).json()["token"].clone();
    let mut other = t.client();
    other.sign_in("revoke@example.com", PASSWORD);
    let res = c.post("/api/auth/change-password", json!({"currentPassword": PASSWORD, "newPassword": "brand new password", "revokeOtherSessions": true}));
    let new_token = res.json()["token"].clone();
    assert!(new_token.is_string() && new_token != old_token);
    assert!(res.set_cookies()[0].starts_with(&format!(
        "better-auth.session_token={}.",
        new_token.as_str().unwrap()
    )));
    assert_eq!(other.session(), Value::Null);
    assert_eq!(c.session()["session"]["token"], new_token);
    assert_eq!(t.sql.count(r#"select count(*) from "session""#), 1);
    assert_eq!(t.kv.len(), 1);
}

#[test]
fn change_password_without_a_credential_account_says_so() {
    let t = TestApp::new();
    let mut c = t.client();
    c.sign_up("nocred@example.com", PASSWORD);
    t.sql.exec(r#"delete from "account""#);
    c.post(
        "/api/auth/change-password",
        json!({"currentPassword": PASSWORD, "newPassword": "brand new password"}),
    )
    .assert_error(400, "CREDENTIAL_ACCOUNT_NOT_FOUND");
}

#[test]
fn delete_user_requires_the_password_and_removes_everything() {
    let t = TestApp::new();
    let mut c = t.client();
    c.sign_up("delete@example.com", PASSWORD);
    let mut other = t.client();
    other.sign_in("delete@example.com", PASSWORD);
    c.post("/api/auth/delete-user", json!({}))
        .assert_error(400, "USER_ALREADY_HAS_PASSWORD");
    c.post(
        "/api/auth/delete-user",
        json!({"password": "wrong password"}),
    )
    .assert_error(400, "INVALID_PASSWORD");
    let res = c.post("/api/auth/delete-user", json!({"password": PASSWORD}));
    assert_eq!(
        res.json(),
        json!({"success": true, "message": "User deleted"})
    );
    assert!(res
        .set_cookies()
        .iter()
        .any(|x| x.starts_with("better-auth.session_token=; Max-Age=0")));
    for table in ["user", "account", "session"] {
        assert_eq!(
            t.sql.count(&format!(r#"select count(*) from "{table}""#)),
            0,
            "{table}"
        );
    }
    assert!(t.kv.is_empty());
    assert_eq!(other.session(), Value::Null);
    t.client()
        .sign_in("delete@example.com", PASSWORD)
        .assert_error(401, "INVALID_EMAIL_OR_PASSWORD");
}

#[test]
fn a_user_without_a_password_deletes_from_a_fresh_session_only() {
    let t = TestApp::new();
    let mut c = t.client();
    c.sign_up("social@example.com", PASSWORD);
    t.sql.exec(r#"update "account" set "password" = null"#);
    t.advance(86_400_000);
    c.post("/api/auth/delete-user", json!({}))
        .assert_error(400, "SESSION_EXPIRED");
    let t = TestApp::new();
    let mut c = t.client();
    c.sign_up("social2@example.com", PASSWORD);
    t.sql.exec(r#"delete from "account""#);
    assert_eq!(c.post("/api/auth/delete-user", json!({})).status(), 200);
    assert_eq!(t.sql.count(r#"select count(*) from "user""#), 0);
}

#[test]
fn delete_user_can_be_disabled() {
    let t = TestApp::with_vars(&[("DELETE_USER_ENABLED", "false")]);
    let mut c = t.client();
    c.sign_up("keep@example.com", PASSWORD);
    let res = c.post("/api/auth/delete-user", json!({"password": PASSWORD}));
    assert_eq!(res.status(), 404);
    assert!(res.body_is_empty());
}

#[test]
fn list_accounts_shows_the_credential_account_without_secrets() {
    let t = TestApp::new();
    let mut c = t.client();
    let user_id = c.sign_up("acc@example.com", PASSWORD).json()["user"]["id"].clone();
    let list = c.get("/api/auth/list-accounts").json();
    assert_eq!(list.as_array().unwrap().len(), 1);
    let account = list[0].as_object().unwrap();
    let keys: Vec<&str> = account.keys().map(String::as_str).collect();
    assert_eq!(
        keys,
        [
            "id",
            "providerId",
            "accountId",
            "userId",
            "createdAt",
            "updatedAt",
            "scopes"
        ]
    );
    assert_eq!(
        (
            account["providerId"].as_str(),
            &account["accountId"],
            &account["userId"]
        ),
        (Some("credential"), &user_id, &user_id)
    );
    assert_eq!(account["scopes"], json!([]));
    t.client()
        .get("/api/auth/list-accounts")
        .assert_error(401, "UNAUTHORIZED");
}

#[test]
fn ok_answers() {
    let t = TestApp::new();
    assert_eq!(t.client().get("/api/auth/ok").json(), json!({"ok": true}));
}

#[test]
fn images_over_2048_characters_are_refused_as_better_auth_refuses_long_fields() {
    let t = TestApp::new();
    let long = format!("https://img.example.com/{}", "a".repeat(2048));
    let res = t.client().post(
        "/api/auth/sign-up/email",
        json!({"name": "Pic", "email": "pic@example.com", "password": "correct horse battery", "image": long}),
    );
    res.assert_error(400, "VALIDATION_ERROR");
    assert_eq!(
        res.json()["message"],
        "[body.image] Too big: expected string to have <=2048 characters"
    );
    let mut c = t.client();
    c.sign_up("pic@example.com", "correct horse battery");
    c.post("/api/auth/update-user", json!({"image": long}))
        .assert_error(400, "VALIDATION_ERROR");
    let fits = "x".repeat(2048);
    assert_eq!(
        c.post("/api/auth/update-user", json!({"image": fits}))
            .status(),
        200
    );
    assert_eq!(
        c.session()["user"]["image"].as_str().map(str::len),
        Some(2048)
    );
}
