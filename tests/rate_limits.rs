//! Rate limits through `App`: better-auth's per-client rules on each endpoint, the client key, the
//! 429 answer, custom rules, and the per-address limits (failed sign-ins, messages per recipient).
#![cfg(not(target_arch = "wasm32"))]

mod support;

use serde_json::json;
use support::*;

const PASSWORD: &str = "correct horse battery";
const SECOND: i64 = 1000;

fn from(ip: &str, method: &str, path: &str, body: serde_json::Value) -> http::Request<Vec<u8>> {
    let bytes = if method == "GET" {
        Vec::new()
    } else {
        body.to_string().into_bytes()
    };
    raw(
        method,
        path,
        &[
            ("content-type", "application/json"),
            ("cf-connecting-ip", ip),
        ],
        &bytes,
    )
}

fn sign_in_from(t: &TestApp, ip: &str, email: &str, password: &str) -> Response {
    t.send(from(
        ip,
        "POST",
        "/api/auth/sign-in/email",
        json!({"email": email, "password": password}),
    ))
}

#[track_caller]
fn assert_too_many(res: &Response, retry_after: &str) {
    assert_eq!(res.status(), 429);
    assert_eq!(
        res.json(),
        json!({"message": "Too many requests. Please try again later."})
    );
    assert_eq!(res.header("x-retry-after").as_deref(), Some(retry_after));
    assert_eq!(res.header("retry-after").as_deref(), Some(retry_after));
}

#[test]
fn a_fourth_sign_in_within_ten_seconds_from_one_address_is_refused_while_others_sign_in() {
    let t = TestApp::new();
    t.client().sign_up("limited@example.com", PASSWORD);
    for _ in 0..3 {
        assert_eq!(
            sign_in_from(&t, "203.0.113.5", "limited@example.com", PASSWORD).status(),
            200
        );
    }
    assert_too_many(
        &sign_in_from(&t, "203.0.113.5", "limited@example.com", PASSWORD),
        "10",
    );
    assert_eq!(
        sign_in_from(&t, "203.0.113.6", "limited@example.com", PASSWORD).status(),
        200
    );
    // Other endpoints keep their own count.
    assert_eq!(
        t.send(from(
            "203.0.113.5",
            "GET",
            "/api/auth/get-session",
            json!(null)
        ))
        .status(),
        200
    );
    t.advance(10 * SECOND);
    assert_eq!(
        sign_in_from(&t, "203.0.113.5", "limited@example.com", PASSWORD).status(),
        200
    );
}

#[test]
fn mail_endpoints_allow_three_per_minute_and_the_default_is_a_hundred_per_ten_seconds() {
    let t = TestApp::with_vars(&[("MAIL_PROVIDER", "log")]);
    let reset = || {
        t.send(from(
            "203.0.113.9",
            "POST",
            "/api/auth/request-password-reset",
            json!({"email": "x@example.com"}),
        ))
    };
    for _ in 0..3 {
        assert_eq!(reset().status(), 200);
    }
    assert_too_many(&reset(), "60");
    for _ in 0..100 {
        assert_eq!(
            t.send(from(
                "203.0.113.9",
                "GET",
                "/api/auth/get-session",
                json!(null)
            ))
            .status(),
            200
        );
    }
    assert_too_many(
        &t.send(from(
            "203.0.113.9",
            "GET",
            "/api/auth/get-session",
            json!(null),
        )),
        "10",
    );
    assert_eq!(
        t.send(from("203.0.113.9", "GET", "/api/auth/ok", json!(null)))
            .status(),
        200,
        "the health check is not limited"
    );
}

#[test]
fn spoofed_forwarding_headers_do_not_buy_a_fresh_limit() {
    let t = TestApp::new();
    for i in 0..4 {
        let res = t.send(raw(
            "POST",
            "/api/auth/sign-in/email",
            &[
                ("content-type", "application/json"),
                ("cf-connecting-ip", "203.0.113.20"),
                ("x-forwarded-for", &format!("10.0.0.{i}")),
                ("x-real-ip", &format!("10.0.1.{i}")),
            ],
            json!({"email": "nobody@example.com", "password": PASSWORD})
                .to_string()
                .as_bytes(),
        ));
        assert_eq!(res.status(), if i < 3 { 401 } else { 429 });
    }
}

#[test]
fn x_forwarded_for_counts_only_when_configured_and_then_by_its_last_entry() {
    let t = TestApp::with_vars(&[("IP_ADDRESS_HEADERS", "x-forwarded-for")]);
    let attempt = |xff: &str| {
        t.send(raw(
            "POST",
            "/api/auth/sign-in/email",
            &[
                ("content-type", "application/json"),
                ("x-forwarded-for", xff),
            ],
            json!({"email": "nobody@example.com", "password": PASSWORD})
                .to_string()
                .as_bytes(),
        ))
        .status()
    };
    // The client chooses what comes before the proxy's entry; it still counts as one client.
    let statuses: Vec<u16> = (0..4)
        .map(|i| attempt(&format!("10.9.9.{i}, 198.51.100.7")))
        .collect();
    assert_eq!(statuses, vec![401, 401, 401, 429]);
    assert_eq!(attempt("198.51.100.8"), 401);
}

#[test]
fn ipv6_clients_count_per_64_and_mapped_ipv4_as_ipv4() {
    let t = TestApp::new();
    for ip in ["2001:db8:5:6::1", "2001:db8:5:6::2", "2001:db8:5:6:ffff::3"] {
        assert_eq!(
            sign_in_from(&t, ip, "nobody@example.com", PASSWORD).status(),
            401
        );
    }
    assert_eq!(
        sign_in_from(&t, "2001:db8:5:6:1:2:3:4", "nobody@example.com", PASSWORD).status(),
        429
    );
    assert_eq!(
        sign_in_from(&t, "2001:db8:5:7::1", "nobody@example.com", PASSWORD).status(),
        401
    );
    for _ in 0..3 {
        sign_in_from(&t, "192.0.2.44", "nobody@example.com", PASSWORD);
    }
    assert_eq!(
        sign_in_from(&t, "::ffff:192.0.2.44", "nobody@example.com", PASSWORD).status(),
        429
    );
}

#[test]
fn requests_without_an_address_share_one_limit_per_path_and_say_so_once() {
    let t = TestApp::new();
    let anonymous = || {
        let mut req = from(
            "0.0.0.0",
            "POST",
            "/api/auth/sign-in/email",
            json!({"email": "nobody@example.com", "password": PASSWORD}),
        );
        req.headers_mut().remove("cf-connecting-ip");
        t.send(req).status()
    };
    let statuses: Vec<u16> = (0..4).map(|_| anonymous()).collect();
    assert_eq!(statuses, vec![401, 401, 401, 429]);
    let warnings = t
        .logs
        .0
        .borrow()
        .iter()
        .filter(|(_, m)| m.contains("no client address"))
        .count();
    assert_eq!(warnings, 1);
}

#[test]
fn a_429_reaches_browsers_on_trusted_origins() {
    let t = TestApp::new();
    let mut last = None;
    for _ in 0..4 {
        last = Some(
            t.send(raw(
                "POST",
                "/api/auth/sign-in/email",
                &[
                    ("content-type", "application/json"),
                    ("cf-connecting-ip", "203.0.113.30"),
                    ("origin", SPA),
                ],
                json!({"email": "nobody@example.com", "password": PASSWORD})
                    .to_string()
                    .as_bytes(),
            )),
        );
    }
    let res = last.unwrap();
    assert_eq!(res.status(), 429);
    assert_eq!(
        res.header("access-control-allow-origin").as_deref(),
        Some(SPA)
    );
    assert!(res
        .header("access-control-expose-headers")
        .unwrap()
        .contains("x-retry-after"));
}

#[test]
fn custom_rules_change_or_lift_limits_and_the_switch_turns_them_off() {
    let t = TestApp::with_vars(&[(
        "RATE_LIMIT_RULES",
        r#"{"/sign-in/*": {"window": 60, "max": 1}, "/get-session": false}"#,
    )]);
    assert_eq!(
        sign_in_from(&t, "203.0.113.40", "nobody@example.com", PASSWORD).status(),
        401
    );
    assert_too_many(
        &sign_in_from(&t, "203.0.113.40", "nobody@example.com", PASSWORD),
        "60",
    );
    for _ in 0..150 {
        assert_eq!(
            t.send(from(
                "203.0.113.40",
                "GET",
                "/api/auth/get-session",
                json!(null)
            ))
            .status(),
            200
        );
    }
    let off = TestApp::with_vars(&[
        ("RATE_LIMIT_ENABLED", "false"),
        ("SIGN_IN_MAX_FAILURES", "0"),
    ]);
    for _ in 0..20 {
        assert_eq!(
            sign_in_from(&off, "203.0.113.41", "nobody@example.com", PASSWORD).status(),
            401
        );
    }
}

#[test]
fn wrong_operator_tokens_are_rate_limited() {
    let t = TestApp::with_vars(&[
        ("PAYLOAD_SYNC_URL", "http://127.0.0.1:3000"),
        (
            "BA_TO_PAYLOAD_SECRET",
            "sync-secret-for-native-tests-0123456789",
        ),
        ("RECONCILE_TOKEN", "operator-token-for-tests-0123456789"),
    ]);
    let guess = |token: &str| {
        t.send(raw(
            "GET",
            "/api/auth/reconcile/status",
            &[
                ("cf-connecting-ip", "203.0.113.50"),
                ("x-reconcile-token", token),
            ],
            b"",
        ))
    };
    for i in 0..3 {
        guess(&format!("guess-{i}")).assert_error(401, "UNAUTHORIZED");
    }
    assert_too_many(&guess("operator-token-for-tests-0123456789"), "10");
}

#[test]
fn ten_failed_sign_ins_for_one_address_from_anywhere_lock_it_for_the_window() {
    let t = TestApp::new();
    t.client().sign_up("victim@example.com", PASSWORD);
    for i in 0..10 {
        let res = sign_in_from(
            &t,
            &format!("198.51.100.{i}"),
            "victim@example.com",
            "wrong password",
        );
        res.assert_error(401, "INVALID_EMAIL_OR_PASSWORD");
    }
    t.advance(60 * SECOND);
    // Even the right password, from a new address, waits: the lock reveals nothing either way.
    let res = sign_in_from(&t, "198.51.100.200", "victim@example.com", PASSWORD);
    assert_too_many(&res, "840");
    assert_eq!(
        t.sql.count(r#"select count(*) from "session""#),
        1,
        "only the sign-up's session"
    );
    t.advance(840 * SECOND);
    assert_eq!(
        sign_in_from(&t, "198.51.100.201", "victim@example.com", PASSWORD).status(),
        200
    );
}

#[test]
fn unknown_addresses_lock_exactly_like_known_ones() {
    let t = TestApp::new();
    t.client().sign_up("known@example.com", PASSWORD);
    let mut answers = Vec::new();
    for email in ["known@example.com", "unknown@example.com"] {
        let statuses: Vec<u16> = (0..11)
            .map(|i| {
                sign_in_from(
                    &t,
                    &format!("198.51.{}.{i}", email.len()),
                    email,
                    "wrong password",
                )
                .status()
            })
            .collect();
        answers.push(statuses);
    }
    assert_eq!(answers[0], answers[1]);
    assert_eq!(answers[0][10], 429);
    assert!(answers[0][..10].iter().all(|s| *s == 401));
}

#[test]
fn a_success_resets_the_count_and_the_counter_table_names_no_address() {
    let t = TestApp::new();
    t.client().sign_up("resets@example.com", PASSWORD);
    for i in 0..9 {
        sign_in_from(
            &t,
            &format!("198.51.100.{i}"),
            "resets@example.com",
            "wrong password",
        );
    }
    assert_eq!(
        sign_in_from(&t, "198.51.100.50", "resets@example.com", PASSWORD).status(),
        200
    );
    assert_eq!(
        t.sql.count(r#"select count(*) from "rate_limit_counter""#),
        0
    );
    for i in 0..9 {
        sign_in_from(
            &t,
            &format!("198.51.101.{i}"),
            "resets@example.com",
            "wrong password",
        );
    }
    assert_eq!(
        sign_in_from(&t, "198.51.100.51", "resets@example.com", PASSWORD).status(),
        200
    );
    sign_in_from(&t, "198.51.100.52", "resets@example.com", "wrong password");
    let key: String = t
        .sql
        .0
        .borrow()
        .query_row(r#"select "key" from "rate_limit_counter""#, [], |r| {
            r.get(0)
        })
        .unwrap();
    assert!(key.starts_with("sign-in:") && !key.contains("resets"));
}

#[test]
fn a_recipient_gets_at_most_five_messages_an_hour_and_the_answers_do_not_change() {
    let t = TestApp::with_vars(&[("MAIL_PROVIDER", "log")]);
    t.client().sign_up("bombed@example.com", PASSWORD);
    let ask = |i: i64| {
        t.send(from(
            &format!("198.51.100.{i}"),
            "POST",
            "/api/auth/request-password-reset",
            json!({"email": "bombed@example.com"}),
        ))
    };
    let first = ask(0).json();
    for i in 1..8 {
        assert_eq!(ask(i).json(), first);
    }
    assert_eq!(t.mailbox("bombed@example.com").len(), 5);
    assert_eq!(
        t.sql.count(r#"select count(*) from "verification""#),
        5,
        "no token without its message"
    );
    t.advance(3_600 * SECOND);
    ask(100);
    assert_eq!(t.mailbox("bombed@example.com").len(), 6);
    // The cron sweeps counters whose hour is over.
    t.advance(3_600 * SECOND);
    futures::executor::block_on(t.app.scheduled("* * * * *", t.clock.get()));
    assert_eq!(
        t.sql.count(r#"select count(*) from "rate_limit_counter""#),
        0
    );
}

#[test]
fn the_per_recipient_limit_is_configurable_and_covers_every_kind_of_message() {
    let t = TestApp::with_vars(&[
        ("MAIL_PROVIDER", "log"),
        ("MAIL_MAX_PER_ADDRESS_PER_HOUR", "2"),
        ("SEND_VERIFICATION_ON_SIGN_UP", "true"),
    ]);
    t.client().sign_up("few@example.com", PASSWORD); // one verification message
    t.send(from(
        "198.51.100.1",
        "POST",
        "/api/auth/send-verification-email",
        json!({"email": "few@example.com"}),
    ));
    t.send(from(
        "198.51.100.2",
        "POST",
        "/api/auth/request-password-reset",
        json!({"email": "few@example.com"}),
    ));
    assert_eq!(t.mailbox("few@example.com").len(), 2);
}
