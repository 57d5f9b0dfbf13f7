//! Sessions: cookies and bearer tokens, sliding refresh, expiry, the KV fast path over the D1
//! record, listing and revocation.
#![cfg(not(target_arch = "wasm32"))]

mod support;

use portcullis::crypto::sha256_hex;
use serde_json::{json, Value};
use support::*;

const PASSWORD: &str = "correct horse battery";
const DAY: i64 = 86_400_000;

fn signed_up<'a>(t: &'a TestApp, email: &str) -> (Client<'a>, String) {
    let mut c = t.client();
    let token = c.sign_up(email, PASSWORD).json()["token"]
        .as_str()
        .unwrap()
        .to_string();
    (c, token)
}

fn get_session_with(t: &TestApp, headers: &[(&str, &str)]) -> Response {
    t.send(raw("GET", "/api/auth/get-session", headers, b""))
}

#[test]
fn get_session_without_credentials_is_a_literal_null_that_is_not_cached() {
    let t = TestApp::new();
    let res = t.client().get("/api/auth/get-session");
    assert_eq!(res.status(), 200);
    assert_eq!(res.0.body(), b"null");
    assert_eq!(res.header("cache-control").as_deref(), Some("no-store"));
    assert_eq!(res.header("pragma").as_deref(), Some("no-cache"));
}

#[test]
fn tampered_truncated_or_garbage_cookies_mean_no_session() {
    let t = TestApp::new();
    let (c, _) = signed_up(&t, "tamper@example.com");
    let good = c.cookie("better-auth.session_token").unwrap();
    let flip = |s: &str, i: usize| {
        let mut b = s.as_bytes().to_vec();
        b[i] = if b[i] == b'A' { b'B' } else { b'A' };
        String::from_utf8(b).unwrap()
    };
    let variants = [
        flip(&good, 0),
        flip(&good, good.len() - 5),
        good[..good.len() - 3].to_string(),
        "garbage".into(),
        "%E0%A4%A".into(),
        String::new(),
    ];
    for v in variants {
        let res = get_session_with(&t, &[("cookie", &format!("better-auth.session_token={v}"))]);
        assert_eq!(res.status(), 200, "{v}");
        assert_eq!(res.0.body(), b"null", "{v}");
    }
    let res = get_session_with(
        &t,
        &[("cookie", &format!("better-auth.session_token={good}"))],
    );
    assert_eq!(res.json()["user"]["email"], "tamper@example.com");
}

#[test]
fn bearer_tokens_work_signed_encoded_bare_and_in_any_case() {
    let t = TestApp::new();
    let mut c = t.client();
    let res = c.sign_up("bearer@example.com", PASSWORD);
    let signed = res.header("set-auth-token").unwrap();
    let token = res.json()["token"].as_str().unwrap().to_string();
    let encoded = portcullis::kernel::cookies::encode_uri_component(&signed);
    for auth in [
        format!("Bearer {signed}"),
        format!("bearer {encoded}"),
        format!("BEARER {token}"),
    ] {
        let res = get_session_with(&t, &[("authorization", &auth)]);
        assert_eq!(res.json()["user"]["email"], "bearer@example.com", "{auth}");
    }
    let forged = format!("Bearer {token}.{}", "A".repeat(43) + "=");
    assert_eq!(
        get_session_with(&t, &[("authorization", &forged)]).0.body(),
        b"null"
    );
    assert_eq!(
        get_session_with(&t, &[("authorization", "Basic abc")])
            .0
            .body(),
        b"null"
    );
}

#[test]
fn raw_tokens_are_never_stored() {
    let t = TestApp::new();
    let (_, token) = signed_up(&t, "digest@example.com");
    let stored: String = t
        .sql
        .0
        .borrow()
        .query_row(r#"select "token" from "session""#, [], |r| r.get(0))
        .unwrap();
    assert_eq!(stored, sha256_hex(token.as_bytes()));
    assert_eq!(t.kv.keys(), vec![format!("session:{stored}")]);
    let cached = futures::executor::block_on(portcullis::storage::Kv::get(&t.kv, &t.kv.keys()[0]))
        .unwrap()
        .unwrap();
    assert!(!cached.contains(&token));
}

#[test]
fn a_kv_miss_falls_back_to_d1_and_refills_the_cache() {
    let t = TestApp::new();
    let (mut c, _) = signed_up(&t, "fallback@example.com");
    let key = t.kv.keys()[0].clone();
    futures::executor::block_on(portcullis::storage::Kv::delete(&t.kv, &key)).unwrap();
    assert!(t.kv.is_empty());
    assert_eq!(c.session()["user"]["email"], "fallback@example.com");
    assert_eq!(t.kv.keys(), vec![key]);
}

#[test]
fn the_kv_entry_lives_as_long_as_the_session_when_the_cache_ttl_allows() {
    let t = TestApp::with_vars(&[
        ("SESSION_CACHE_TTL", "86400"),
        ("SESSION_EXPIRES_IN", "3600"),
        ("SESSION_UPDATE_AGE", "3600"),
    ]);
    let (mut c, _) = signed_up(&t, "ttl@example.com");
    t.advance(3_600_000 - 1000);
    assert_eq!(t.kv.len(), 1);
    t.advance(61_000);
    assert!(t.kv.is_empty());
    assert_eq!(c.session(), Value::Null);
}

#[test]
fn sessions_slide_after_the_update_age_and_not_before() {
    let t = TestApp::new();
    let (mut c, token) = signed_up(&t, "slide@example.com");
    t.advance(DAY - 1000);
    let res = c.get("/api/auth/get-session");
    assert!(res.set_cookies().is_empty());
    assert_eq!(
        res.json()["session"]["expiresAt"],
        "2026-01-08T00:00:00.000Z"
    );
    t.advance(2000);
    let res = c.get("/api/auth/get-session");
    let cookie = res
        .set_cookies()
        .into_iter()
        .find(|c| c.starts_with("better-auth.session_token="))
        .unwrap();
    assert!(cookie.contains("Max-Age=604800"));
    assert_eq!(
        res.json()["session"]["expiresAt"],
        "2026-01-09T00:00:01.000Z"
    );
    let stored: String = t
        .sql
        .0
        .borrow()
        .query_row(r#"select "expiresAt" from "session""#, [], |r| r.get(0))
        .unwrap();
    assert_eq!(stored, "2026-01-09T00:00:01.000Z");
    assert_eq!(res.json()["session"]["token"], token.as_str());
}

#[test]
fn disable_refresh_and_dont_remember_sessions_never_slide() {
    let t = TestApp::new();
    t.client().sign_up("frozen@example.com", PASSWORD);
    let mut c = t.client();
    c.post(
        "/api/auth/sign-in/email",
        json!({"email": "frozen@example.com", "password": PASSWORD, "rememberMe": false}),
    );
    t.advance(DAY / 2);
    assert!(c.get("/api/auth/get-session").set_cookies().is_empty());
    let (mut d, _) = signed_up(&t, "query@example.com");
    t.advance(DAY + 1);
    assert!(d
        .get("/api/auth/get-session?disableRefresh=true")
        .set_cookies()
        .is_empty());
}

#[test]
fn an_expired_session_is_gone_everywhere() {
    let t = TestApp::new();
    let (mut c, _) = signed_up(&t, "expire@example.com");
    t.advance(8 * DAY);
    let res = c.get("/api/auth/get-session");
    assert_eq!(res.0.body(), b"null");
    assert!(res
        .set_cookies()
        .iter()
        .any(|c| c.starts_with("better-auth.session_token=;") && c.contains("Max-Age=0")));
    assert_eq!(t.sql.count(r#"select count(*) from "session""#), 0);
}

#[test]
fn sign_out_revokes_in_d1_and_kv_and_expires_cookies() {
    let t = TestApp::new();
    let (mut c, token) = signed_up(&t, "out@example.com");
    let res = c.post("/api/auth/sign-out", json!({}));
    assert_eq!(res.json(), json!({"success": true}));
    for name in [
        "better-auth.session_token",
        "better-auth.session_data",
        "better-auth.dont_remember",
    ] {
        assert!(
            res.set_cookies()
                .iter()
                .any(|c| c.starts_with(&format!("{name}=; Max-Age=0"))),
            "{name}"
        );
    }
    assert_eq!(t.sql.count(r#"select count(*) from "session""#), 0);
    assert!(t.kv.is_empty());
    assert_eq!(
        get_session_with(&t, &[("authorization", &format!("Bearer {token}"))])
            .0
            .body(),
        b"null"
    );
    assert_eq!(
        t.client().post("/api/auth/sign-out", json!({})).status(),
        200
    );
    assert_eq!(
        t.send(raw("POST", "/api/auth/sign-out", &[], b"")).status(),
        200
    );
}

#[test]
fn list_sessions_shows_the_own_token_and_revocable_handles_for_the_others() {
    let t = TestApp::new();
    let (mut phone, phone_token) = signed_up(&t, "list@example.com");
    t.advance(1000);
    let mut laptop = t.client();
    let laptop_token = laptop.sign_in("list@example.com", PASSWORD).json()["token"]
        .as_str()
        .unwrap()
        .to_string();
    let list = laptop.get("/api/auth/list-sessions").json();
    let tokens: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["token"].as_str().unwrap())
        .collect();
    assert_eq!(
        tokens,
        vec![
            sha256_hex(phone_token.as_bytes()).as_str(),
            laptop_token.as_str()
        ]
    );
    assert!(list[0]["userId"].is_string() && list[0]["expiresAt"].is_string());

    let res = laptop.post("/api/auth/revoke-session", json!({"token": tokens[0]}));
    assert_eq!(res.json(), json!({"status": true}));
    assert_eq!(phone.session(), Value::Null);
    assert_eq!(laptop.session()["session"]["token"], laptop_token.as_str());
}

#[test]
fn list_sessions_needs_a_fresh_session() {
    let t = TestApp::new();
    let (mut c, _) = signed_up(&t, "stale@example.com");
    t.advance(DAY);
    c.get("/api/auth/list-sessions")
        .assert_error(403, "SESSION_NOT_FRESH");
    let t = TestApp::with_vars(&[("SESSION_FRESH_AGE", "0")]);
    let (mut c, _) = signed_up(&t, "nofresh@example.com");
    t.advance(3 * DAY);
    assert_eq!(c.get("/api/auth/list-sessions").status(), 200);
}

#[test]
fn revoke_session_leaves_other_users_and_unknown_tokens_alone() {
    let t = TestApp::new();
    let (mut alice, _) = signed_up(&t, "alice@example.com");
    let (mut bob, bob_token) = signed_up(&t, "bob@example.com");
    for handle in [
        bob_token.clone(),
        sha256_hex(bob_token.as_bytes()),
        "unknown".into(),
    ] {
        assert_eq!(
            alice
                .post("/api/auth/revoke-session", json!({"token": handle}))
                .json(),
            json!({"status": true})
        );
    }
    assert_eq!(bob.session()["user"]["email"], "bob@example.com");
    alice
        .post("/api/auth/revoke-session", json!({}))
        .assert_error(400, "VALIDATION_ERROR");
    t.client()
        .post("/api/auth/revoke-session", json!({"token": bob_token}))
        .assert_error(401, "UNAUTHORIZED");
}

#[test]
fn revoking_the_current_session_by_its_token_clears_the_cookie() {
    let t = TestApp::new();
    let (mut c, token) = signed_up(&t, "self@example.com");
    let res = c.post("/api/auth/revoke-session", json!({"token": token}));
    assert!(res
        .set_cookies()
        .iter()
        .any(|c| c.starts_with("better-auth.session_token=; Max-Age=0")));
    assert_eq!(c.session(), Value::Null);
}

#[test]
fn revoke_sessions_ends_every_session_and_revoke_other_sessions_keeps_the_current() {
    let t = TestApp::new();
    let (mut a, _) = signed_up(&t, "many@example.com");
    let mut b = t.client();
    b.sign_in("many@example.com", PASSWORD);
    let mut c = t.client();
    c.sign_in("many@example.com", PASSWORD);
    assert_eq!(
        c.post("/api/auth/revoke-other-sessions", json!({})).json(),
        json!({"status": true})
    );
    assert_eq!((a.session(), b.session()), (Value::Null, Value::Null));
    assert_eq!(c.session()["user"]["email"], "many@example.com");
    b.sign_in("many@example.com", PASSWORD);
    let res = c.post("/api/auth/revoke-sessions", json!({}));
    assert!(res
        .set_cookies()
        .iter()
        .any(|x| x.starts_with("better-auth.session_token=; Max-Age=0")));
    assert_eq!(b.session(), Value::Null);
    assert_eq!(t.sql.count(r#"select count(*) from "session""#), 0);
    assert!(t.kv.is_empty());
}

#[test]
fn sensitive_operations_decide_from_d1_not_from_the_cache() {
    let t = TestApp::new();
    let (mut c, _) = signed_up(&t, "durable@example.com");
    // The D1 row disappears (revoked elsewhere) while this location's KV copy lingers.
    t.sql.exec(r#"delete from "session""#);
    assert_eq!(c.session()["user"]["email"], "durable@example.com");
    c.post("/api/auth/revoke-other-sessions", json!({}))
        .assert_error(401, "UNAUTHORIZED");
    c.post(
        "/api/auth/change-password",
        json!({"currentPassword": PASSWORD, "newPassword": "another password"}),
    )
    .assert_error(401, "UNAUTHORIZED");
}

#[test]
fn post_get_session_needs_deferred_refresh() {
    let t = TestApp::new();
    t.client()
        .post("/api/auth/get-session", json!({}))
        .assert_error(405, "METHOD_NOT_ALLOWED_DEFER_SESSION_REQUIRED");
}

#[test]
fn the_cron_sweeps_expired_session_rows() {
    let t = TestApp::new();
    signed_up(&t, "sweep1@example.com");
    t.advance(8 * DAY);
    signed_up(&t, "sweep2@example.com");
    futures::executor::block_on(t.app.scheduled("* * * * *", t.clock.get()));
    assert_eq!(t.sql.count(r#"select count(*) from "session""#), 1);
    assert!(t
        .logs
        .0
        .borrow()
        .iter()
        .any(|(_, m)| m.contains("removed expired: 1 sessions")));
}

#[test]
fn a_token_in_the_query_or_the_body_is_never_taken_as_the_session() {
    let t = TestApp::new();
    let mut c = t.client();
    let res = c.sign_up("fixation@example.com", PASSWORD);
    let token = res.json()["token"].as_str().unwrap().to_string();
    let signed = res.header("set-auth-token").unwrap();
    for path in [
        format!("/api/auth/get-session?token={token}"),
        format!(
            "/api/auth/get-session?better-auth.session_token={}",
            encode(&signed)
        ),
    ] {
        assert_eq!(
            t.send(raw("GET", &path, &[], b"")).0.body(),
            b"null",
            "{path}"
        );
    }
    let res = t.send(raw(
        "POST",
        "/api/auth/update-user",
        &[("content-type", "application/json")],
        json!({"name": "Hijacked", "token": token, "sessionToken": signed})
            .to_string()
            .as_bytes(),
    ));
    res.assert_error(401, "UNAUTHORIZED");
}

fn encode(s: &str) -> String {
    portcullis::kernel::cookies::encode_uri_component(s)
}
