//! The HTTP surface: routing, bad input, CORS, origin and CSRF checks, configuration failures.
#![cfg(not(target_arch = "wasm32"))]

mod support;

use portcullis::config::ConfigError;
use serde_json::json;
use support::*;

const PASSWORD: &str = "correct horse battery";
const JSON: (&str, &str) = ("content-type", "application/json");

#[test]
fn unknown_paths_and_wrong_methods_are_bodiless_404s() {
    let t = TestApp::new();
    for (method, path) in [
        ("GET", "/api/auth/nope"),
        ("GET", "/api/auth/sign-in/email"),
        ("POST", "/api/auth/ok"),
        ("GET", "/api/auth/ok/"),
        ("GET", "/elsewhere"),
        ("GET", "/api/authx/ok"),
        ("DELETE", "/api/auth/get-session"),
    ] {
        let res = t.send(raw(method, path, &[], b""));
        assert_eq!(res.status(), 404, "{method} {path}");
        assert!(res.body_is_empty());
    }
}

#[test]
fn health_reports_the_version() {
    let t = TestApp::new();
    let body = t.send(raw("GET", "/health", &[], b"")).json();
    assert_eq!(body["status"], "ok");
    assert!(body["version"]
        .as_str()
        .unwrap()
        .starts_with(env!("CARGO_PKG_VERSION")));
}

#[test]
fn bodies_over_the_cap_are_413() {
    let t = TestApp::with_vars(&[("MAX_BODY_BYTES", "2048")]);
    let big = format!(
        r#"{{"name":"{}","email":"a@b.co","password":"{PASSWORD}"}}"#,
        "x".repeat(3000)
    );
    t.send(raw(
        "POST",
        "/api/auth/sign-up/email",
        &[JSON],
        big.as_bytes(),
    ))
    .assert_error(413, "PAYLOAD_TOO_LARGE");
    assert_eq!(t.sql.count(r#"select count(*) from "user""#), 0);
}

#[test]
fn wrong_or_missing_content_types_are_415() {
    let t = TestApp::new();
    let res = t.send(raw(
        "POST",
        "/api/auth/sign-in/email",
        &[("content-type", "text/plain")],
        b"{}",
    ));
    res.assert_error(415, "UNSUPPORTED_MEDIA_TYPE");
    assert_eq!(res.json()["message"], "Content-Type \"text/plain\" is not allowed. Allowed types: application/x-www-form-urlencoded, application/json");
    let res = t.send(raw("POST", "/api/auth/update-user", &[], b"{}"));
    res.assert_error(415, "UNSUPPORTED_MEDIA_TYPE");
    assert_eq!(
        res.json()["message"],
        "Content-Type is required. Allowed types: application/json"
    );
    t.send(raw(
        "POST",
        "/api/auth/update-user",
        &[("content-type", "application/x-www-form-urlencoded")],
        b"name=x",
    ))
    .assert_error(415, "UNSUPPORTED_MEDIA_TYPE");
    assert_eq!(
        t.send(raw(
            "POST",
            "/api/auth/sign-out",
            &[("content-type", "application/json; charset=utf-8")],
            b"{}"
        ))
        .status(),
        200
    );
}

#[test]
fn malformed_bodies_are_clean_400s() {
    let t = TestApp::new();
    let deep = "[".repeat(5000) + &"]".repeat(5000);
    let cases: [&[u8]; 6] = [
        b"{",
        b"{\"email\":",
        b"\xff\xfe{}",
        deep.as_bytes(),
        b"nul\0l",
        b"{\"a\":1,}",
    ];
    for body in cases {
        let res = t.send(raw("POST", "/api/auth/sign-in/email", &[JSON], body));
        res.assert_error(400, "BAD_REQUEST");
    }
    let res = t.send(raw("POST", "/api/auth/sign-in/email", &[JSON], b"{"));
    assert_eq!(res.json()["message"], "Invalid JSON in request body");
    for body in ["null", "\"text\"", "42", "[]"] {
        t.send(raw(
            "POST",
            "/api/auth/sign-in/email",
            &[JSON],
            body.as_bytes(),
        ))
        .assert_error(400, "VALIDATION_ERROR");
    }
    let res = t.send(raw(
        "POST",
        "/api/auth/sign-in/email",
        &[JSON],
        br#"{"email":null,"password":["x"]}"#,
    ));
    assert_eq!(res.json()["message"], "[body.email] Invalid input: expected string, received null; [body.password] Invalid input: expected string, received array");
}

#[test]
fn oversized_header_sections_are_431() {
    let t = TestApp::new();
    let filler = "a".repeat(40 * 1024);
    let res = t.send(raw(
        "GET",
        "/api/auth/get-session",
        &[("x-filler", &filler)],
        b"",
    ));
    res.assert_error(431, "REQUEST_HEADER_FIELDS_TOO_LARGE");
    let cookie = format!("better-auth.session_token={}", "b".repeat(8 * 1024));
    assert_eq!(
        t.send(raw(
            "GET",
            "/api/auth/get-session",
            &[("cookie", &cookie)],
            b""
        ))
        .status(),
        200
    );
}

#[track_caller]
fn assert_cors_allowed(res: &Response, origin: &str) {
    assert_eq!(
        res.header("access-control-allow-origin").as_deref(),
        Some(origin)
    );
    assert_eq!(
        res.header("access-control-allow-credentials").as_deref(),
        Some("true")
    );
}

#[test]
fn preflight_from_a_trusted_origin_is_allowed() {
    let t = TestApp::new();
    let res = t.send(raw(
        "OPTIONS",
        "/api/auth/sign-in/email",
        &[
            ("origin", SPA),
            ("access-control-request-method", "POST"),
            ("access-control-request-headers", "content-type"),
        ],
        b"",
    ));
    assert_eq!(res.status(), 204);
    assert_cors_allowed(&res, SPA);
    let headers = res
        .header("access-control-allow-headers")
        .unwrap()
        .to_ascii_lowercase();
    assert!(headers.contains("content-type") && headers.contains("authorization"));
    assert_eq!(
        res.header("access-control-allow-methods").as_deref(),
        Some("GET, POST, OPTIONS")
    );
    assert_eq!(res.header("access-control-max-age").as_deref(), Some("600"));
    assert_eq!(res.header("vary").as_deref(), Some("Origin"));
}

#[test]
fn untrusted_null_and_lookalike_origins_get_no_cors_headers() {
    let t = TestApp::new();
    for origin in [
        "https://evil.test",
        "null",
        "http://127.0.0.1:5173.evil.test",
        "http://127.0.0.1:51733",
        "https://127.0.0.1:5173",
        "http://localhost:5173",
    ] {
        let res = t.send(raw(
            "OPTIONS",
            "/api/auth/get-session",
            &[("origin", origin), ("access-control-request-method", "GET")],
            b"",
        ));
        res.assert_error(403, "INVALID_ORIGIN");
        assert_eq!(res.header("access-control-allow-origin"), None, "{origin}");
        let res = t.send(raw(
            "GET",
            "/api/auth/get-session",
            &[("origin", origin)],
            b"",
        ));
        assert_eq!(res.header("access-control-allow-origin"), None, "{origin}");
        assert_eq!(res.header("vary").as_deref(), Some("Origin"));
    }
    let res = t.send(raw("GET", "/api/auth/get-session", &[], b""));
    assert_eq!(res.header("access-control-allow-origin"), None);
}

#[test]
fn actual_responses_to_trusted_origins_carry_credentials_and_exposed_headers() {
    let t = TestApp::new();
    let res = t.send(raw(
        "POST",
        "/api/auth/sign-up/email",
        &[JSON, ("origin", SPA)],
        json!({"name": "n", "email": "cors@example.com", "password": PASSWORD})
            .to_string()
            .as_bytes(),
    ));
    assert_eq!(res.status(), 200);
    assert_cors_allowed(&res, SPA);
    assert_eq!(
        res.header("access-control-expose-headers").as_deref(),
        Some("set-auth-token, set-auth-jwt, x-retry-after, retry-after")
    );
    assert_eq!(res.header("vary").as_deref(), Some("Origin"));
    let res = t.send(raw(
        "POST",
        "/api/auth/sign-in/email",
        &[JSON, ("origin", SPA)],
        br#"{"email":"cors@example.com","password":"nope nope nope"}"#,
    ));
    assert_eq!(
        res.header("access-control-allow-origin").as_deref(),
        Some(SPA),
        "errors carry CORS headers too"
    );
}

fn with_cookie(t: &TestApp) -> String {
    let mut c = t.client();
    c.sign_up("origin@example.com", PASSWORD);
    format!(
        "better-auth.session_token={}",
        c.cookie("better-auth.session_token").unwrap()
    )
}

#[test]
fn cookie_bearing_posts_must_come_from_a_trusted_origin() {
    let t = TestApp::new();
    let cookie = with_cookie(&t);
    let body = br#"{"name":"x"}"#;
    let post = |headers: &[(&str, &str)]| {
        let mut all = vec![JSON, ("cookie", cookie.as_str())];
        all.extend_from_slice(headers);
        t.send(raw("POST", "/api/auth/update-user", &all, body))
    };
    post(&[("origin", "https://evil.test")]).assert_error(403, "INVALID_ORIGIN");
    post(&[]).assert_error(403, "MISSING_OR_NULL_ORIGIN");
    post(&[("origin", "null")]).assert_error(403, "MISSING_OR_NULL_ORIGIN");
    post(&[("referer", "https://evil.test/page")]).assert_error(403, "INVALID_ORIGIN");
    assert_eq!(
        post(&[("referer", "http://127.0.0.1:5173/settings")]).status(),
        200
    );
    assert_eq!(post(&[("origin", SPA)]).status(), 200);
    assert_eq!(
        post(&[("origin", "null"), ("sec-fetch-site", "same-origin")]).status(),
        200
    );
    t.send(raw(
        "POST",
        "/api/auth/sign-out",
        &[JSON, ("cookie", &cookie), ("origin", "https://evil.test")],
        b"{}",
    ))
    .assert_error(403, "INVALID_ORIGIN");
}

#[test]
fn bearer_requests_skip_the_origin_check() {
    let t = TestApp::new();
    let res = t.client().sign_up("bearer-origin@example.com", PASSWORD);
    let auth = format!("Bearer {}", res.header("set-auth-token").unwrap());
    let res = t.send(raw(
        "POST",
        "/api/auth/update-user",
        &[
            JSON,
            ("authorization", &auth),
            ("origin", "https://evil.test"),
        ],
        br#"{"name":"x"}"#,
    ));
    assert_eq!(res.status(), 200);
    assert_eq!(res.header("access-control-allow-origin"), None);
}

#[test]
fn login_endpoints_follow_the_fetch_metadata_rules() {
    let t = TestApp::new();
    t.client().sign_up("csrf@example.com", PASSWORD);
    let body = json!({"email": "csrf@example.com", "password": PASSWORD}).to_string();
    let sign_in = |headers: &[(&str, &str)]| {
        let mut all = vec![JSON];
        all.extend_from_slice(headers);
        t.send(raw(
            "POST",
            "/api/auth/sign-in/email",
            &all,
            body.as_bytes(),
        ))
    };
    sign_in(&[
        ("sec-fetch-site", "cross-site"),
        ("sec-fetch-mode", "navigate"),
        ("origin", SPA),
    ])
    .assert_error(403, "CROSS_SITE_NAVIGATION_LOGIN_BLOCKED");
    sign_in(&[("sec-fetch-mode", "cors")]).assert_error(403, "MISSING_OR_NULL_ORIGIN");
    sign_in(&[("sec-fetch-mode", "cors"), ("origin", "https://evil.test")])
        .assert_error(403, "INVALID_ORIGIN");
    sign_in(&[("origin", "https://evil.test")]).assert_error(403, "INVALID_ORIGIN");
    assert_eq!(
        sign_in(&[
            ("sec-fetch-mode", "cors"),
            ("sec-fetch-site", "same-site"),
            ("origin", SPA)
        ])
        .status(),
        200
    );
    assert_eq!(
        sign_in(&[]).status(),
        200,
        "server-to-server calls without browser headers are allowed"
    );
    let form = t.send(raw(
        "POST",
        "/api/auth/sign-up/email",
        &[
            ("content-type", "application/x-www-form-urlencoded"),
            ("origin", "https://evil.test"),
        ],
        b"name=a&email=f%40x.co&password=correct+horse",
    ));
    form.assert_error(403, "INVALID_ORIGIN");
}

#[test]
fn redirect_targets_in_bodies_and_queries_are_checked() {
    let t = TestApp::new();
    let cases = [
        ("callbackURL", "INVALID_CALLBACK_URL"),
        ("redirectTo", "INVALID_REDIRECT_URL"),
        ("errorCallbackURL", "INVALID_ERROR_CALLBACK_URL"),
        ("newUserCallbackURL", "INVALID_NEW_USER_CALLBACK_URL"),
    ];
    for (field, code) in cases {
        for bad in [
            "//evil.com",
            "/\\evil.com",
            "https://evil.com",
            "javascript:alert(1)",
            "/%2F%2Fevil.com",
            "https://127.0.0.1:5173@evil.com",
        ] {
            t.client()
                .post("/api/auth/sign-out", json!({ field: bad }))
                .assert_error(403, code);
        }
        t.client()
            .post("/api/auth/sign-out", json!({ field: 42 }))
            .assert_error(400, "VALIDATION_ERROR");
        assert_eq!(
            t.client()
                .post("/api/auth/sign-out", json!({ field: "/welcome?x=1" }))
                .status(),
            200
        );
    }
    t.client()
        .post(
            "/api/auth/sign-out?callbackURL=https%3A%2F%2Fevil.com",
            json!({}),
        )
        .assert_error(403, "INVALID_CALLBACK_URL");
}

#[test]
fn a_misconfigured_service_answers_500_and_logs_why_without_secrets() {
    let t = TestApp::with_config(Err(ConfigError::WeakSecret));
    let res = t.send(raw("GET", "/api/auth/ok", &[], b""));
    res.assert_error(500, "INTERNAL_SERVER_ERROR");
    let logs = t.logs.0.borrow();
    assert!(logs
        .iter()
        .any(|(_, m)| m.contains("BETTER_AUTH_SECRET must be at least 32 characters")));
    let t = TestApp::with_vars(&[("BETTER_AUTH_SECRET", "")]);
    t.send(raw("GET", "/api/auth/ok", &[], b""))
        .assert_error(500, "INTERNAL_SERVER_ERROR");
    assert!(t
        .logs
        .0
        .borrow()
        .iter()
        .any(|(_, m)| m.contains("BETTER_AUTH_SECRET is not set")));
}

#[test]
fn https_base_urls_use_secure_prefixed_cookies() {
    let t = TestApp::with_vars(&[("BETTER_AUTH_URL", "https://auth.example.com")]);
    let res = t.send(raw(
        "POST",
        "/api/auth/sign-up/email",
        &[JSON],
        json!({"name": "s", "email": "secure@example.com", "password": PASSWORD})
            .to_string()
            .as_bytes(),
    ));
    let cookie = &res.set_cookies()[0];
    assert!(
        cookie.starts_with("__Secure-better-auth.session_token="),
        "{cookie}"
    );
    assert!(
        cookie.ends_with("; Max-Age=604800; Path=/; HttpOnly; Secure; SameSite=Lax"),
        "{cookie}"
    );
    let value = cookie.split(';').next().unwrap();
    let res = t.send(raw(
        "GET",
        "/api/auth/get-session",
        &[("cookie", value)],
        b"",
    ));
    assert_eq!(res.json()["user"]["email"], "secure@example.com");
    let plain = value.replacen("__Secure-", "", 1);
    assert_eq!(
        t.send(raw(
            "GET",
            "/api/auth/get-session",
            &[("cookie", &plain)],
            b""
        ))
        .0
        .body(),
        b"null"
    );
}

#[test]
fn a_custom_base_path_is_honoured() {
    let t = TestApp::with_vars(&[("BETTER_AUTH_URL", "http://127.0.0.1:8787/auth")]);
    assert_eq!(t.send(raw("GET", "/auth/ok", &[], b"")).status(), 200);
    assert_eq!(t.send(raw("GET", "/api/auth/ok", &[], b"")).status(), 404);
}

#[test]
fn a_refused_origin_is_named_once_in_the_log_with_the_setting_that_admits_it() {
    let t = TestApp::new();
    let from = |origin: &str| {
        t.send(raw(
            "POST",
            "/api/auth/sign-in/email",
            &[("content-type", "application/json"), ("origin", origin)],
            br#"{"email":"a@example.com","password":"x"}"#,
        ))
    };
    for _ in 0..3 {
        assert_eq!(from("http://localhost:5174").status(), 403);
    }
    let refusals: Vec<String> = t
        .logs
        .0
        .borrow()
        .iter()
        .map(|(_, line)| line.clone())
        .filter(|line| line.starts_with("[cors] refused"))
        .collect();
    assert_eq!(refusals.len(), 1, "{refusals:?}");
    assert!(
        refusals[0].contains("http://localhost:5174") && refusals[0].contains("TRUSTED_ORIGINS")
    );
    // Requests from the service's own origin, or without one, log nothing.
    from(BASE);
    assert_eq!(
        t.logs
            .0
            .borrow()
            .iter()
            .filter(|(_, l)| l.starts_with("[cors]"))
            .count(),
        1
    );
}
