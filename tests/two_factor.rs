//! better-auth's two-factor plugin: TOTP setup and sign-in (a code works once), the challenge's
//! tries and the lock after repeated failures, backup codes spent once, codes by email, trusted
//! devices that die with the sessions, a row better-auth wrote working here, and the ways in that
//! skip the second factor.
#![cfg(not(target_arch = "wasm32"))]

mod support;

use portcullis::crypto::totp::Generator;
use serde_json::{json, Value as Json};
use support::*;

const PASSWORD: &str = "correct horse battery";
const CHALLENGE: &str = "better-auth.two_factor";
const TRUST: &str = "better-auth.trust_device";
const SESSION: &str = "better-auth.session_token";
const STEP_MS: i64 = 30_000;

fn app(extra: &[(&str, &str)]) -> TestApp {
    let mut vars = vec![
        ("MAIL_PROVIDER", "log"),
        ("RATE_LIMIT_ENABLED", "false"),
        ("TWO_FACTOR_ISSUER", "Portcullis Tests"),
    ];
    vars.extend_from_slice(extra);
    TestApp::with_vars(&vars)
}

/// The key an `otpauth://` URI carries.
fn secret_of(uri: &str) -> Vec<u8> {
    let encoded = uri
        .split("secret=")
        .nth(1)
        .and_then(|rest| rest.split('&').next())
        .expect("a secret in the URI");
    totp_rs::Secret::try_from_base32(encoded)
        .expect("base32")
        .as_bytes()
        .to_vec()
}

/// The code `steps` steps from the tests' clock.
fn code_at(t: &TestApp, secret: &[u8], steps: i64) -> String {
    let seconds = (t.clock.get() + steps * STEP_MS) / 1000;
    Generator::new(secret, 6).unwrap().code_at(seconds as u64)
}

fn other_code(code: &str) -> String {
    if code == "000000" { "111111" } else { "000000" }.to_string()
}

struct Factors {
    secret: Vec<u8>,
    backup_codes: Vec<String>,
}

/// A signed-up user with TOTP set up and verified, signed in on the client returned.
fn with_totp<'a>(t: &'a TestApp, email: &str) -> (Client<'a>, Factors) {
    let mut c = t.client();
    assert_eq!(c.sign_up(email, PASSWORD).status(), 200);
    let res = c.post("/api/auth/two-factor/enable", json!({"password": PASSWORD}));
    assert_eq!(res.status(), 200, "{}", res.json());
    let body = res.json();
    let secret = secret_of(body["totpURI"].as_str().unwrap());
    let backup_codes: Vec<String> = serde_json::from_value(body["backupCodes"].clone()).unwrap();
    let res = c.post(
        "/api/auth/two-factor/verify-totp",
        json!({"code": code_at(t, &secret, 0)}),
    );
    assert_eq!(res.status(), 200, "{}", res.json());
    (
        c,
        Factors {
            secret,
            backup_codes,
        },
    )
}

/// A password sign-in that must end in a challenge.
fn challenged<'a>(t: &'a TestApp, email: &str) -> Client<'a> {
    let mut c = t.client();
    let res = c.sign_in(email, PASSWORD);
    assert_eq!(res.status(), 200, "{}", res.json());
    assert_eq!(res.json()["twoFactorRedirect"], true, "{}", res.json());
    c
}

fn user_id(t: &TestApp, email: &str) -> String {
    t.sql
        .text(&format!(
            r#"select "id" from "user" where "email" = '{email}'"#
        ))
        .unwrap()
}

#[test]
fn enabling_answers_better_auths_uri_and_codes_and_takes_effect_once_a_code_is_verified() {
    let t = app(&[]);
    let mut c = t.client();
    c.sign_up("ada@example.com", PASSWORD);
    c.post(
        "/api/auth/two-factor/enable",
        json!({"password": "wrong password"}),
    )
    .assert_error(400, "INVALID_PASSWORD");
    let res = c.post("/api/auth/two-factor/enable", json!({"password": PASSWORD}));
    assert_eq!(res.status(), 200);
    let body = res.json();
    assert_eq!(body["method"], "totp");
    let uri = body["totpURI"].as_str().unwrap();
    assert!(
        uri.starts_with("otpauth://totp/Portcullis%20Tests:ada%40example.com?secret="),
        "{uri}"
    );
    assert!(
        uri.ends_with("&issuer=Portcullis+Tests&digits=6&period=30"),
        "{uri}"
    );
    let secret = secret_of(uri);
    assert_eq!(secret.len(), 32);
    let codes = body["backupCodes"].as_array().unwrap();
    assert_eq!(codes.len(), 10);
    for code in codes {
        let code = code.as_str().unwrap();
        assert_eq!(code.len(), 11);
        assert_eq!(&code[5..6], "-");
    }

    // Both secrets are kept encrypted.
    let stored_secret = t.sql.text(r#"select "secret" from "twoFactor""#).unwrap();
    let stored_codes = t
        .sql
        .text(r#"select "backupCodes" from "twoFactor""#)
        .unwrap();
    assert!(!stored_secret.contains(std::str::from_utf8(&secret).unwrap()));
    assert!(!stored_codes.contains(codes[0].as_str().unwrap()));
    assert_eq!(
        t.sql
            .count(r#"select count(*) from "twoFactor" where "verified" = 0"#),
        1
    );

    // Not on until a code is verified: a password sign-in still opens a session.
    let mut other = t.client();
    assert!(other.sign_in("ada@example.com", PASSWORD).json()["token"].is_string());
    assert_eq!(c.session()["user"]["twoFactorEnabled"], false);

    let before = c.cookie(SESSION).unwrap();
    c.post(
        "/api/auth/two-factor/verify-totp",
        json!({"code": other_code(&code_at(&t, &secret, 0))}),
    )
    .assert_error(401, "INVALID_CODE");
    let res = c.post(
        "/api/auth/two-factor/verify-totp",
        json!({"code": code_at(&t, &secret, 0)}),
    );
    assert_eq!(res.status(), 200, "{}", res.json());
    assert_eq!(res.json()["user"]["twoFactorEnabled"], true);
    // The session is replaced by one that knows, as better-auth does.
    let after = c.cookie(SESSION).unwrap();
    assert_ne!(before, after);
    assert_eq!(res.json()["token"], after.split('.').next().unwrap());
    assert_eq!(c.session()["user"]["twoFactorEnabled"], true);
    assert_eq!(
        t.sql
            .count(r#"select count(*) from "twoFactor" where "verified" = 1"#),
        1
    );

    c.post("/api/auth/two-factor/enable", json!({"password": PASSWORD}))
        .assert_error(400, "TOTP_ALREADY_ENABLED");
}

#[test]
fn a_password_sign_in_gets_a_challenge_and_the_session_only_after_the_code() {
    let t = app(&[]);
    let (_, factors) = with_totp(&t, "ada@example.com");
    let mut c = t.client();
    let res = c.sign_in("ada@example.com", PASSWORD);
    assert_eq!(
        res.json(),
        json!({"twoFactorRedirect": true, "twoFactorMethods": ["totp", "otp"]})
    );
    assert!(c.cookie(SESSION).is_none(), "no session yet");
    let challenge_cookie = res
        .set_cookies()
        .into_iter()
        .find(|l| l.starts_with(CHALLENGE))
        .unwrap();
    assert!(
        challenge_cookie.contains("Max-Age=600"),
        "{challenge_cookie}"
    );
    assert_eq!(c.session(), Json::Null);
    assert_eq!(
        t.sql
            .count(r#"select count(*) from "verification" where "identifier" like '2fa-%'"#),
        0,
        "the challenge is kept only as a digest"
    );

    let res = c.post(
        "/api/auth/two-factor/verify-totp",
        json!({"code": code_at(&t, &factors.secret, 1)}),
    );
    assert_eq!(res.status(), 200, "{}", res.json());
    assert_eq!(res.json()["user"]["email"], "ada@example.com");
    assert!(
        c.cookie(CHALLENGE).is_none(),
        "the challenge cookie is expired"
    );
    assert_eq!(c.session()["user"]["email"], "ada@example.com");

    // The challenge was spent with its session.
    let mut replay = t.client();
    replay.cookies = vec![(CHALLENGE.into(), challenge_cookie_value(&challenge_cookie))];
    t.advance(STEP_MS);
    replay
        .post(
            "/api/auth/two-factor/verify-totp",
            json!({"code": code_at(&t, &factors.secret, 1)}),
        )
        .assert_error(401, "INVALID_TWO_FACTOR_COOKIE");
}

fn challenge_cookie_value(line: &str) -> String {
    line.split(';')
        .next()
        .unwrap()
        .split_once('=')
        .unwrap()
        .1
        .to_string()
}

#[test]
fn a_totp_code_works_once_and_no_earlier_code_after_it() {
    let t = app(&[]);
    let (_, factors) = with_totp(&t, "ada@example.com");
    // The code that enabled the factor cannot sign in.
    let mut c = challenged(&t, "ada@example.com");
    c.post(
        "/api/auth/two-factor/verify-totp",
        json!({"code": code_at(&t, &factors.secret, 0)}),
    )
    .assert_error(401, "INVALID_CODE");
    // The next step's code works, once.
    let next = code_at(&t, &factors.secret, 1);
    assert_eq!(
        c.post("/api/auth/two-factor/verify-totp", json!({"code": next}))
            .status(),
        200
    );
    let mut again = challenged(&t, "ada@example.com");
    again
        .post("/api/auth/two-factor/verify-totp", json!({"code": next}))
        .assert_error(401, "INVALID_CODE");
    // Once the step after it is used, the previous step's code (still in the window) is not.
    t.advance(STEP_MS);
    let previous = code_at(&t, &factors.secret, -1);
    again
        .post(
            "/api/auth/two-factor/verify-totp",
            json!({"code": previous}),
        )
        .assert_error(401, "INVALID_CODE");
    assert_eq!(
        again
            .post(
                "/api/auth/two-factor/verify-totp",
                json!({"code": code_at(&t, &factors.secret, 1)})
            )
            .status(),
        200
    );
}

#[test]
fn five_wrong_tries_end_the_challenge() {
    let t = app(&[]);
    let (_, factors) = with_totp(&t, "ada@example.com");
    let mut c = challenged(&t, "ada@example.com");
    let right = code_at(&t, &factors.secret, 1);
    for _ in 0..5 {
        c.post(
            "/api/auth/two-factor/verify-totp",
            json!({"code": other_code(&right)}),
        )
        .assert_error(401, "INVALID_CODE");
    }
    c.post("/api/auth/two-factor/verify-totp", json!({"code": right}))
        .assert_error(400, "TOO_MANY_ATTEMPTS_REQUEST_NEW_CODE");
    assert!(c.cookie(CHALLENGE).is_none());
    // A new sign-in gets a new challenge.
    let mut fresh = challenged(&t, "ada@example.com");
    assert_eq!(
        fresh
            .post("/api/auth/two-factor/verify-totp", json!({"code": right}))
            .status(),
        200
    );
}

#[test]
fn a_challenge_lasts_ten_minutes() {
    let t = app(&[]);
    let (_, factors) = with_totp(&t, "ada@example.com");
    let mut c = challenged(&t, "ada@example.com");
    t.advance(600_000);
    c.post(
        "/api/auth/two-factor/verify-totp",
        json!({"code": code_at(&t, &factors.secret, 0)}),
    )
    .assert_error(401, "INVALID_TWO_FACTOR_COOKIE");
    let mut none = t.client();
    none.post(
        "/api/auth/two-factor/verify-totp",
        json!({"code": "123456"}),
    )
    .assert_error(401, "INVALID_TWO_FACTOR_COOKIE");
}

#[test]
fn ten_failures_in_a_row_lock_the_second_factor_for_fifteen_minutes() {
    let t = app(&[]);
    let (_, factors) = with_totp(&t, "ada@example.com");
    let wrong = "999999x";
    for round in 0..2 {
        let mut c = challenged(&t, "ada@example.com");
        for _ in 0..5 {
            c.post("/api/auth/two-factor/verify-totp", json!({"code": wrong}))
                .assert_error(401, "INVALID_CODE");
        }
        assert_eq!(
            t.sql
                .count(r#"select "failedVerificationCount" from "twoFactor""#),
            5 * (round + 1)
        );
    }
    let mut c = challenged(&t, "ada@example.com");
    let right = code_at(&t, &factors.secret, 1);
    c.post("/api/auth/two-factor/verify-totp", json!({"code": right}))
        .assert_error(429, "ACCOUNT_TEMPORARILY_LOCKED");
    c.post(
        "/api/auth/two-factor/verify-backup-code",
        json!({"code": factors.backup_codes[0]}),
    )
    .assert_error(429, "ACCOUNT_TEMPORARILY_LOCKED");
    t.advance(900_000);
    let mut c = challenged(&t, "ada@example.com");
    let res = c.post(
        "/api/auth/two-factor/verify-totp",
        json!({"code": code_at(&t, &factors.secret, 0)}),
    );
    assert_eq!(res.status(), 200, "{}", res.json());
    assert_eq!(
        t.sql
            .count(r#"select "failedVerificationCount" from "twoFactor""#),
        0
    );
}

#[test]
fn a_backup_code_works_once_and_new_codes_replace_the_old() {
    let t = app(&[]);
    let (mut owner, factors) = with_totp(&t, "ada@example.com");
    let code = &factors.backup_codes[3];
    let mut c = challenged(&t, "ada@example.com");
    let res = c.post(
        "/api/auth/two-factor/verify-backup-code",
        json!({"code": code}),
    );
    assert_eq!(res.status(), 200, "{}", res.json());
    assert_eq!(c.session()["user"]["email"], "ada@example.com");
    let mut again = challenged(&t, "ada@example.com");
    again
        .post(
            "/api/auth/two-factor/verify-backup-code",
            json!({"code": code}),
        )
        .assert_error(401, "INVALID_BACKUP_CODE");

    owner
        .post(
            "/api/auth/two-factor/generate-backup-codes",
            json!({"password": "nope"}),
        )
        .assert_error(400, "INVALID_PASSWORD");
    let res = owner.post(
        "/api/auth/two-factor/generate-backup-codes",
        json!({"password": PASSWORD}),
    );
    assert_eq!(res.status(), 200);
    let fresh: Vec<String> = serde_json::from_value(res.json()["backupCodes"].clone()).unwrap();
    assert_eq!(fresh.len(), 10);
    again
        .post(
            "/api/auth/two-factor/verify-backup-code",
            json!({"code": factors.backup_codes[4]}),
        )
        .assert_error(401, "INVALID_BACKUP_CODE");
    assert_eq!(
        again
            .post(
                "/api/auth/two-factor/verify-backup-code",
                json!({"code": fresh[0]})
            )
            .status(),
        200
    );
}

#[test]
fn a_code_by_email_signs_in_after_the_password_and_is_hashed_with_limited_tries() {
    let t = app(&[]);
    with_totp(&t, "ada@example.com");
    let mut c = challenged(&t, "ada@example.com");
    assert_eq!(
        c.post("/api/auth/two-factor/send-otp", json!({})).json(),
        json!({"status": true})
    );
    let otp = mailed_code(&t, "ada@example.com");
    let stored = t
        .sql
        .text(r#"select group_concat("value") from "verification""#)
        .unwrap();
    assert!(!stored.contains(&otp), "the code is kept as an HMAC");
    for _ in 0..5 {
        c.post(
            "/api/auth/two-factor/verify-otp",
            json!({"code": other_code(&otp)}),
        )
        .assert_error(401, "INVALID_CODE");
    }
    c.post("/api/auth/two-factor/verify-otp", json!({"code": otp}))
        .assert_error(400, "TOO_MANY_ATTEMPTS_REQUEST_NEW_CODE");

    c.post("/api/auth/two-factor/send-otp", json!({}));
    let otp = mailed_code(&t, "ada@example.com");
    t.advance(181_000);
    c.post("/api/auth/two-factor/verify-otp", json!({"code": otp}))
        .assert_error(400, "OTP_HAS_EXPIRED");

    let mut c = challenged(&t, "ada@example.com");
    c.post("/api/auth/two-factor/send-otp", json!({}));
    let otp = mailed_code(&t, "ada@example.com");
    let res = c.post("/api/auth/two-factor/verify-otp", json!({"code": otp}));
    assert_eq!(res.status(), 200, "{}", res.json());
    assert_eq!(c.session()["user"]["email"], "ada@example.com");
}

/// The code in the newest message to `email`.
fn mailed_code(t: &TestApp, email: &str) -> String {
    let messages = t.mailbox(email);
    let text = messages[0]["text"].as_str().unwrap().to_string();
    text.split("Code: ").nth(1).expect("a code")[..6].to_string()
}

#[test]
fn codes_by_email_alone_turn_on_for_a_signed_in_user_and_need_mail() {
    let t = app(&[]);
    let mut c = t.client();
    c.sign_up("bo@example.com", PASSWORD);
    let res = c.post(
        "/api/auth/two-factor/enable",
        json!({"password": PASSWORD, "method": "otp"}),
    );
    assert_eq!(res.json(), json!({"method": "otp"}));
    assert_eq!(c.session()["user"]["twoFactorEnabled"], true);
    let res = t.client().sign_in("bo@example.com", PASSWORD);
    assert_eq!(
        res.json(),
        json!({"twoFactorRedirect": true, "twoFactorMethods": ["otp"]})
    );

    let quiet = TestApp::with_vars(&[("RATE_LIMIT_ENABLED", "false")]);
    let mut c = quiet.client();
    c.sign_up("cy@example.com", PASSWORD);
    c.post(
        "/api/auth/two-factor/enable",
        json!({"password": PASSWORD, "method": "otp"}),
    )
    .assert_error(400, "OTP_NOT_CONFIGURED");
    c.post("/api/auth/two-factor/send-otp", json!({}))
        .assert_error_message(400, "otp isn't configured");
    c.post(
        "/api/auth/two-factor/enable",
        json!({"password": PASSWORD, "method": "sms"}),
    )
    .assert_error(400, "VALIDATION_ERROR");
}

#[test]
fn a_trusted_device_skips_the_second_factor_until_the_sessions_end() {
    let t = app(&[]);
    let (_, factors) = with_totp(&t, "ada@example.com");
    let mut device = challenged(&t, "ada@example.com");
    let res = device.post(
        "/api/auth/two-factor/verify-totp",
        json!({"code": code_at(&t, &factors.secret, 1), "trustDevice": true}),
    );
    assert_eq!(res.status(), 200);
    let trust_line = res
        .set_cookies()
        .into_iter()
        .find(|l| l.starts_with(TRUST))
        .expect("the trust cookie");
    assert!(trust_line.contains("Max-Age=2592000"), "{trust_line}");
    let first = device.cookie(TRUST).unwrap();

    // The next password sign-in on the device opens a session at once, and renews the trust.
    let res = device.sign_in("ada@example.com", PASSWORD);
    assert!(res.json()["token"].is_string(), "{}", res.json());
    let renewed = device.cookie(TRUST).unwrap();
    assert_ne!(first, renewed);
    // The old cookie, copied elsewhere, is spent.
    let mut copy = t.client();
    copy.cookies = vec![(TRUST.into(), first)];
    assert_eq!(
        copy.sign_in("ada@example.com", PASSWORD).json()["twoFactorRedirect"],
        true
    );
    // Another device is still challenged.
    challenged(&t, "ada@example.com");

    // Signing out everywhere ends the trust.
    assert_eq!(
        device.post("/api/auth/revoke-sessions", json!({})).status(),
        200
    );
    let res = device.sign_in("ada@example.com", PASSWORD);
    assert_eq!(res.json()["twoFactorRedirect"], true, "{}", res.json());
    assert!(
        device.cookie(TRUST).is_none(),
        "the dead trust cookie is expired"
    );
}

#[test]
fn trust_is_for_one_user_and_a_forged_cookie_is_refused() {
    let t = app(&[]);
    let (_, ada) = with_totp(&t, "ada@example.com");
    with_totp(&t, "bo@example.com");
    let mut device = challenged(&t, "ada@example.com");
    device.post(
        "/api/auth/two-factor/verify-totp",
        json!({"code": code_at(&t, &ada.secret, 1), "trustDevice": true}),
    );
    let res = device.sign_in("bo@example.com", PASSWORD);
    assert_eq!(res.json()["twoFactorRedirect"], true);
    let mut forged = t.client();
    forged.cookies = vec![(TRUST.into(), "x!trust-device-abc.c2lnbmF0dXJl".into())];
    assert_eq!(
        forged.sign_in("ada@example.com", PASSWORD).json()["twoFactorRedirect"],
        true
    );
}

#[test]
fn disabling_needs_the_password_and_removes_factors_and_trust() {
    let t = app(&[]);
    let (mut owner, factors) = with_totp(&t, "ada@example.com");
    let mut device = challenged(&t, "ada@example.com");
    device.post(
        "/api/auth/two-factor/verify-totp",
        json!({"code": code_at(&t, &factors.secret, 1), "trustDevice": true}),
    );
    owner
        .post("/api/auth/two-factor/disable", json!({"password": "wrong"}))
        .assert_error(400, "INVALID_PASSWORD");
    let res = owner.post(
        "/api/auth/two-factor/disable",
        json!({"password": PASSWORD}),
    );
    assert_eq!(res.json(), json!({"status": true}));
    assert_eq!(owner.session()["user"]["twoFactorEnabled"], false);
    assert_eq!(t.sql.count(r#"select count(*) from "twoFactor""#), 0);
    assert_eq!(
        t.sql.count(
            r#"select count(*) from "verification" where "identifier" like 'trust-device-%'"#
        ),
        0
    );
    assert!(t.client().sign_in("ada@example.com", PASSWORD).json()["token"].is_string());
    owner
        .post(
            "/api/auth/two-factor/get-totp-uri",
            json!({"password": PASSWORD}),
        )
        .assert_error(400, "TOTP_NOT_ENABLED");
    owner
        .post(
            "/api/auth/two-factor/generate-backup-codes",
            json!({"password": PASSWORD}),
        )
        .assert_error(400, "TWO_FACTOR_NOT_ENABLED");
}

#[test]
fn a_row_better_auth_wrote_works_here() {
    let fixture: Json = serde_json::from_str(include_str!("fixtures/two-factor.json")).unwrap();
    let t = app(&[]);
    let mut owner = t.client();
    owner.sign_up("ada+2fa@example.com", PASSWORD);
    let id = user_id(&t, "ada+2fa@example.com");
    t.sql.exec(&format!(
        r#"insert into "twoFactor" ("id", "secret", "backupCodes", "userId", "verified", "failedVerificationCount") values ('ba-row', '{}', '{}', '{id}', 1, 0);
           update "user" set "twoFactorEnabled" = 1 where "id" = '{id}';"#,
        fixture["secret"].as_str().unwrap(),
        fixture["backupCodes"].as_str().unwrap(),
    ));
    let res = owner.post(
        "/api/auth/two-factor/get-totp-uri",
        json!({"password": PASSWORD}),
    );
    assert_eq!(res.json()["totpURI"], fixture["totpURI"]);

    let mut c = challenged(&t, "ada+2fa@example.com");
    let res = c.post(
        "/api/auth/two-factor/verify-totp",
        json!({"code": fixture["codeAtNow"]}),
    );
    assert_eq!(res.status(), 200, "{}", res.json());
    let mut c = challenged(&t, "ada+2fa@example.com");
    let res = c.post(
        "/api/auth/two-factor/verify-backup-code",
        json!({"code": fixture["plainBackupCodes"][1]}),
    );
    assert_eq!(res.status(), 200, "{}", res.json());
}

#[test]
fn a_row_without_the_verified_column_set_counts_as_set_up() {
    let t = app(&[]);
    let (_, factors) = with_totp(&t, "ada@example.com");
    t.sql.exec(r#"update "twoFactor" set "verified" = null"#);
    let mut c = challenged(&t, "ada@example.com");
    assert_eq!(
        c.post(
            "/api/auth/two-factor/verify-totp",
            json!({"code": code_at(&t, &factors.secret, 1)})
        )
        .status(),
        200
    );
}

#[test]
fn a_ban_after_the_password_stops_the_second_factor_from_opening_a_session() {
    let t = app(&[]);
    let (_, factors) = with_totp(&t, "ada@example.com");
    let mut c = challenged(&t, "ada@example.com");
    t.sql
        .exec(r#"update "user" set "banned" = 1 where "email" = 'ada@example.com'"#);
    c.post(
        "/api/auth/two-factor/verify-totp",
        json!({"code": code_at(&t, &factors.secret, 1)}),
    )
    .assert_error(403, "BANNED_USER");
}

#[test]
fn only_password_sign_ins_ask_for_the_second_factor() {
    let t = app(&[
        ("EMAIL_OTP_ENABLED", "true"),
        ("MAGIC_LINK_ENABLED", "true"),
    ]);
    with_totp(&t, "ada@example.com");
    let mut c = t.client();
    c.post(
        "/api/auth/email-otp/send-verification-otp",
        json!({"email": "ada@example.com", "type": "sign-in"}),
    );
    let otp = mailed_code(&t, "ada@example.com");
    let res = c.post(
        "/api/auth/sign-in/email-otp",
        json!({"email": "ada@example.com", "otp": otp}),
    );
    assert!(res.json()["token"].is_string(), "{}", res.json());
    assert_eq!(c.session()["user"]["twoFactorEnabled"], true);
}

#[test]
fn turned_off_the_endpoints_are_gone_and_sign_in_asks_nothing() {
    let off = app(&[("TWO_FACTOR_ENABLED", "false")]);
    let mut c = off.client();
    c.sign_up("ada@example.com", PASSWORD);
    let id = user_id(&off, "ada@example.com");
    off.sql.exec(&format!(
        r#"update "user" set "twoFactorEnabled" = 1 where "id" = '{id}'"#
    ));
    assert!(c.sign_in("ada@example.com", PASSWORD).json()["token"].is_string());
    let res = c.post("/api/auth/two-factor/enable", json!({"password": PASSWORD}));
    assert_eq!(res.status(), 404);
    assert!(res.body_is_empty());
}

#[test]
fn the_two_factor_endpoints_allow_three_tries_in_ten_seconds_per_client() {
    let t = TestApp::with_vars(&[("MAIL_PROVIDER", "log")]);
    let mut c = t.client();
    for _ in 0..3 {
        c.post(
            "/api/auth/two-factor/verify-totp",
            json!({"code": "123456"}),
        )
        .assert_error(401, "INVALID_TWO_FACTOR_COOKIE");
    }
    let res = c.post(
        "/api/auth/two-factor/verify-totp",
        json!({"code": "123456"}),
    );
    assert_eq!(res.status(), 429);
}

#[test]
fn deleting_the_user_removes_the_factors() {
    let t = app(&[]);
    let (mut owner, _) = with_totp(&t, "ada@example.com");
    let res = owner.post("/api/auth/delete-user", json!({"password": PASSWORD}));
    assert_eq!(res.status(), 200, "{}", res.json());
    assert_eq!(t.sql.count(r#"select count(*) from "twoFactor""#), 0);
}

#[test]
fn of_two_uses_of_one_backup_code_at_once_one_wins() {
    let t = app(&[]);
    let (_, factors) = with_totp(&t, "ada@example.com");
    let mut c = challenged(&t, "ada@example.com");
    // Another request spends a code between this one's read and its write.
    t.sql
        .before_write(r#"update "twoFactor" set "backupCodes""#, |conn| {
            conn.execute(
                r#"update "twoFactor" set "backupCodes" = 'spent elsewhere'"#,
                [],
            )
            .unwrap();
        });
    c.post(
        "/api/auth/two-factor/verify-backup-code",
        json!({"code": factors.backup_codes[0]}),
    )
    .assert_error_message(409, "Failed to verify backup code. Please try again.");
    assert!(c.cookie(SESSION).is_none());
}

#[test]
fn a_user_id_with_colons_and_digits_survives_the_challenges_try_count() {
    let t = app(&[]);
    let (_, factors) = with_totp(&t, "ada@example.com");
    // An imported user whose id ends like a try count.
    let old = user_id(&t, "ada@example.com");
    t.sql.exec(&format!(
        r#"pragma foreign_keys = off;
           update "user" set "id" = 'legacy:user:42' where "id" = '{old}';
           update "account" set "userId" = 'legacy:user:42' where "userId" = '{old}';
           update "twoFactor" set "userId" = 'legacy:user:42' where "userId" = '{old}';
           delete from "session";"#
    ));
    let mut c = challenged(&t, "ada@example.com");
    c.post(
        "/api/auth/two-factor/verify-totp",
        json!({"code": other_code(&code_at(&t, &factors.secret, 1))}),
    )
    .assert_error(401, "INVALID_CODE");
    let res = c.post(
        "/api/auth/two-factor/verify-totp",
        json!({"code": code_at(&t, &factors.secret, 1)}),
    );
    assert_eq!(res.status(), 200, "{}", res.json());
    assert_eq!(res.json()["user"]["id"], "legacy:user:42");
}
