//! Sessions that stay dead: the KV copy never outlives its D1 row for long, a refresh cannot
//! revive a revoked session, sign-ins racing a password change leave nothing behind, and bulk
//! revocations drop exactly the sessions their own batch deleted.
#![cfg(not(target_arch = "wasm32"))]

mod support;

use futures::FutureExt;
use portcullis::crypto::sha256_hex;
use portcullis::storage::Kv;
use serde_json::{json, Value};
use support::*;

const PASSWORD: &str = "correct horse battery";
const SECOND: i64 = 1000;
const DAY: i64 = 86_400 * SECOND;

fn session_count(t: &TestApp) -> i64 {
    t.sql.count(r#"select count(*) from "session""#)
}

#[test]
fn kv_keeps_a_session_for_at_most_the_cache_ttl_so_a_lost_delete_heals() {
    let t = TestApp::new();
    let mut c = t.client();
    c.sign_up("cachettl@example.com", PASSWORD);
    // Revoked in D1 while this location's KV delete was lost.
    t.sql.exec(r#"delete from "session""#);
    assert_eq!(c.session()["user"]["email"], "cachettl@example.com");
    t.advance(300 * SECOND - 1);
    assert_eq!(c.session()["user"]["email"], "cachettl@example.com");
    t.advance(2);
    assert_eq!(
        c.session(),
        Value::Null,
        "the default SESSION_CACHE_TTL is 300 s"
    );
    assert!(t.kv.is_empty());
}

#[test]
fn the_cache_ttl_is_configurable_and_never_below_kvs_minimum() {
    let t = TestApp::with_vars(&[("SESSION_CACHE_TTL", "120")]);
    let mut c = t.client();
    c.sign_up("ttl120@example.com", PASSWORD);
    t.advance(119 * SECOND);
    assert_eq!(t.kv.len(), 1);
    t.advance(2 * SECOND);
    assert!(t.kv.is_empty());
    for bad in ["59", "0", "abc"] {
        let bad = TestApp::with_vars(&[("SESSION_CACHE_TTL", bad)]);
        bad.client()
            .get("/api/auth/ok")
            .assert_error(500, "INTERNAL_SERVER_ERROR");
    }
}

#[test]
fn a_sliding_refresh_does_not_revive_a_session_revoked_elsewhere() {
    let t = TestApp::with_vars(&[("SESSION_UPDATE_AGE", "60"), ("SESSION_CACHE_TTL", "3600")]);
    let mut c = t.client();
    c.sign_up("revived@example.com", PASSWORD);
    t.advance(61 * SECOND);
    // Another location revoked it: the D1 row is gone, this location's KV copy is not.
    t.sql.exec(r#"delete from "session""#);
    assert_eq!(t.kv.len(), 1);
    let res = c.get("/api/auth/get-session");
    assert_eq!(res.0.body(), b"null");
    assert!(res
        .set_cookies()
        .iter()
        .any(|l| l.starts_with("better-auth.session_token=;") && l.contains("Max-Age=0")));
    assert!(
        t.kv.is_empty(),
        "the cache entry is dropped, not written back"
    );
    assert_eq!(session_count(&t), 0);
    assert!(c.get("/api/auth/token").status() == 401);
}

#[test]
fn a_sign_in_that_races_a_password_reset_opens_no_session() {
    let t = TestApp::new();
    t.client().sign_up("race@example.com", PASSWORD);
    t.sql.exec(r#"delete from "session""#);
    let cached = t.kv.keys();
    // The reset commits after the sign-in verified the old password, before its insert.
    t.sql.before_write(r#"insert into "session""#, |conn| {
        conn.execute_batch(
            r#"update "account" set "password" = '0123456789abcdef0123456789abcdef:00' where "providerId" = 'credential'"#,
        )
        .unwrap();
    });
    let mut c = t.client();
    c.sign_in("race@example.com", PASSWORD)
        .assert_error(401, "INVALID_EMAIL_OR_PASSWORD");
    assert_eq!(session_count(&t), 0);
    assert_eq!(t.kv.keys(), cached);
    assert!(c.cookie("better-auth.session_token").is_none());
}

/// A session another request creates for `email` while a revocation is under way: its D1 row and
/// its KV entry, written between the revocation's reads and its batch.
fn sneak_in_a_session(t: &TestApp, email: &'static str, before: &'static str) -> String {
    let token = format!("sneaky{email}").replace(['@', '.'], "");
    let digest = sha256_hex(token.as_bytes());
    let (kv, key) = (t.kv.clone(), format!("session:{digest}"));
    t.sql.before_write(before, move |conn| {
        conn.execute(
            r#"insert into "session" ("id", "expiresAt", "token", "createdAt", "updatedAt", "userId")
               select 'sneaky', '2030-01-01T00:00:00.000Z', ?1, '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z', "id" from "user" where "email" = ?2"#,
            rusqlite::params![digest, email],
        )
        .unwrap();
        kv.put(&key, "{}", 3600).now_or_never().unwrap().unwrap();
    });
    format!("session:{}", sha256_hex(token.as_bytes()))
}

#[test]
fn bulk_revocations_drop_from_kv_exactly_what_their_batch_deleted() {
    let t = TestApp::with_vars(&[("MAIL_PROVIDER", "log")]);
    let cases: [(&str, &str, Value, &str); 4] = [
        (
            "bulk1@example.com",
            "/api/auth/revoke-sessions",
            json!({}),
            r#"delete from "session""#,
        ),
        (
            "bulk2@example.com",
            "/api/auth/revoke-other-sessions",
            json!({}),
            r#"delete from "session""#,
        ),
        (
            "bulk3@example.com",
            "/api/auth/change-password",
            json!({"currentPassword": PASSWORD, "newPassword": "a new password", "revokeOtherSessions": true}),
            r#"delete from "session""#,
        ),
        (
            "bulk4@example.com",
            "/api/auth/delete-user",
            json!({"password": PASSWORD}),
            r#"delete from "user""#,
        ),
    ];
    for (email, path, body, before) in cases {
        let mut c = t.client();
        c.sign_up(email, PASSWORD);
        let sneaky = sneak_in_a_session(&t, email, before);
        assert_eq!(c.post(path, body).status(), 200, "{path}");
        assert!(
            !t.kv.keys().contains(&sneaky),
            "{path} left a live KV entry"
        );
        assert_eq!(
            t.sql
                .count(r#"select count(*) from "session" where "id" = 'sneaky'"#),
            0,
            "{path}"
        );
    }
}

#[test]
fn a_password_reset_drops_sessions_created_while_it_ran() {
    let t = TestApp::with_vars(&[("MAIL_PROVIDER", "log")]);
    t.client().sign_up("resetbulk@example.com", PASSWORD);
    t.client().post(
        "/api/auth/request-password-reset",
        json!({"email": "resetbulk@example.com"}),
    );
    let link = t.latest_link("resetbulk@example.com");
    let token = link
        .split("/reset-password/")
        .nth(1)
        .unwrap()
        .split('?')
        .next()
        .unwrap()
        .to_string();
    let sneaky = sneak_in_a_session(&t, "resetbulk@example.com", r#"delete from "session""#);
    let res = t.client().post(
        "/api/auth/reset-password",
        json!({"newPassword": "a brand new password", "token": token}),
    );
    assert_eq!(res.json(), json!({"status": true}));
    assert!(!t.kv.keys().contains(&sneaky));
    assert_eq!(session_count(&t), 0);
}

#[test]
fn a_fresh_age_of_zero_turns_off_the_freshness_check_on_delete_user_too() {
    let t = TestApp::with_vars(&[("SESSION_FRESH_AGE", "0")]);
    let mut c = t.client();
    c.sign_up("nopass@example.com", PASSWORD);
    // A user without a password (signed up elsewhere, say with a social provider).
    t.sql.exec(r#"update "account" set "password" = null"#);
    t.advance(5 * DAY);
    let res = c.post("/api/auth/delete-user", json!({}));
    assert_eq!(
        res.json(),
        json!({"success": true, "message": "User deleted"})
    );
}

#[test]
fn an_absolute_lifetime_ends_a_session_however_often_it_slides() {
    let t = TestApp::with_vars(&[("SESSION_ABSOLUTE_LIFETIME", "864000")]); // 10 days
    let mut c = t.client();
    c.sign_up("absolute@example.com", PASSWORD);
    for _ in 0..9 {
        t.advance(DAY + SECOND);
        assert_eq!(c.session()["user"]["email"], "absolute@example.com");
    }
    let res = c.get("/api/auth/get-session");
    assert_eq!(
        res.json()["session"]["expiresAt"],
        "2026-01-11T00:00:00.000Z",
        "the expiry stops at the absolute limit"
    );
    t.advance(DAY);
    assert_eq!(c.session(), Value::Null);
    assert_eq!(session_count(&t), 0);
}

#[test]
fn an_absolute_lifetime_set_later_also_ends_older_sessions() {
    let t = TestApp::new();
    let mut c = t.client();
    c.sign_up("later@example.com", PASSWORD);
    t.advance(3 * DAY);
    let token = c.session()["session"]["token"]
        .as_str()
        .unwrap()
        .to_string();
    let strict = TestApp::with_vars(&[("SESSION_ABSOLUTE_LIFETIME", "86400")]);
    strict.sql.exec(&format!(
        r#"insert into "user" ("id", "name", "email", "emailVerified", "image", "createdAt", "updatedAt") values ('u1', 'n', 'later@example.com', 0, null, '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z');
           insert into "session" ("id", "expiresAt", "token", "createdAt", "updatedAt", "userId") values ('s1', '2026-01-10T00:00:00.000Z', '{}', '2026-01-01T00:00:00.000Z', '2026-01-03T00:00:00.000Z', 'u1');"#,
        sha256_hex(token.as_bytes())
    ));
    strict.advance(3 * DAY);
    let res = strict.send(raw(
        "GET",
        "/api/auth/get-session",
        &[("authorization", &format!("Bearer {token}"))],
        b"",
    ));
    assert_eq!(res.0.body(), b"null");
    assert_eq!(strict.sql.count(r#"select count(*) from "session""#), 0);
}
