//! Supabase Auth's API (GoTrue's wire) over better-auth's users and sessions: token shapes and
//! claims, refresh-token rotation and reuse detection, sign-out scopes, error codes, and one
//! session seen from both APIs.
#![cfg(not(target_arch = "wasm32"))]

mod support;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde_json::{json, Value};
use support::*;

const PASSWORD: &str = "correct horse battery";
const API: &str = "/auth/v1";

fn app(extra: &[(&str, &str)]) -> TestApp {
    let mut vars = vec![("SUPABASE_API_ENABLED", "true"), ("MAIL_PROVIDER", "log")];
    vars.extend_from_slice(extra);
    TestApp::with_vars(&vars)
}

fn call(c: &mut Client<'_>, method: &str, path: &str, body: Option<Value>) -> Response {
    c.request(method, &format!("{API}{path}"), body)
}

fn bearer<'a>(t: &'a TestApp, access: &str) -> Client<'a> {
    t.client()
        .with_header("authorization", &format!("Bearer {access}"))
        .with_header("x-supabase-api-version", "2024-01-01")
}

fn sign_up(t: &TestApp, email: &str) -> Value {
    let res = call(
        &mut t.client(),
        "POST",
        "/signup",
        Some(
            json!({"email": email, "password": PASSWORD, "data": {"plan": "pro", "name": "Ada"}, "gotrue_meta_security": {}, "code_challenge": null, "code_challenge_method": null}),
        ),
    );
    assert_eq!(res.status(), 200, "{}", res.json());
    res.json()
}

fn claims(token: &str) -> Value {
    let payload = token.split('.').nth(1).unwrap();
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap()
}

fn assert_sb_error(res: &Response, status: u16, code: &str) {
    assert_eq!(res.status(), status, "{}", res.json());
    assert_eq!(res.json()["code"], code, "{}", res.json());
    assert_eq!(
        res.header("x-supabase-api-version").as_deref(),
        Some("2024-01-01")
    );
    assert_eq!(res.header("x-sb-error-code").as_deref(), Some(code));
}

/// The code in the newest message's text.
fn code_of(text: &str) -> String {
    text.split("Code: ").nth(1).expect("a code")[..6].to_string()
}

/// The code in the newest message to `email`.
fn code_in(t: &TestApp, email: &str) -> String {
    code_of(t.mailbox(email)[0]["text"].as_str().unwrap())
}

fn verify(t: &TestApp, body: Value) -> Response {
    call(&mut t.client(), "POST", "/verify", Some(body))
}

fn refresh(t: &TestApp, token: &str) -> Response {
    call(
        &mut t.client(),
        "POST",
        "/token?grant_type=refresh_token",
        Some(json!({"refresh_token": token})),
    )
}

#[test]
fn sign_up_answers_a_session_with_supabase_claims_signed_es256_from_the_jwks() {
    let t = app(&[]);
    let session = sign_up(&t, "ada@example.com");
    for field in ["access_token", "refresh_token", "expires_at", "user"] {
        assert!(session.get(field).is_some(), "{field} in {session}");
    }
    assert_eq!(session["token_type"], "bearer");
    assert_eq!(session["expires_in"], 3600);
    let user = &session["user"];
    assert_eq!(user["aud"], "authenticated");
    assert_eq!(user["app_metadata"]["providers"], json!(["email"]));
    assert_eq!(user["user_metadata"]["plan"], "pro");
    assert_eq!(user["identities"][0]["provider"], "email");

    let access = session["access_token"].as_str().unwrap();
    let c = claims(access);
    assert_eq!(c["aud"], "authenticated");
    assert_eq!(c["role"], "authenticated");
    assert_eq!(c["sub"], user["id"]);
    assert_eq!(c["email"], "ada@example.com");
    assert_eq!(c["aal"], "aal1");
    assert_eq!(c["amr"][0]["method"], "password");
    assert_eq!(c["is_anonymous"], false);
    assert_eq!(c["iss"], format!("{BASE}/auth/v1"));
    assert_eq!(c["user_metadata"]["plan"], "pro");
    let header: Value = serde_json::from_slice(
        &URL_SAFE_NO_PAD
            .decode(access.split('.').next().unwrap())
            .unwrap(),
    )
    .unwrap();
    assert_eq!(header["alg"], "ES256");
    let jwks = call(&mut t.client(), "GET", "/.well-known/jwks.json", None).json();
    let key = jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["kid"] == header["kid"])
        .expect("the signing key is published");
    assert_eq!(key["crv"], "P-256");
    assert!(key.get("d").is_none());
    // The session is a better-auth session: its id is the claim's.
    let listed = t.sql.count(&format!(
        "select count(*) from session where id = '{}'",
        c["session_id"].as_str().unwrap()
    ));
    assert_eq!(listed, 1);
    // better-auth's own JWKS stays Ed25519 only.
    let ours = t.client().get("/api/auth/jwks").json();
    assert!(ours["keys"]
        .as_array()
        .unwrap()
        .iter()
        .all(|k| k["crv"] == "Ed25519"));
}

#[test]
fn refresh_tokens_rotate_and_a_reuse_past_the_interval_ends_the_session() {
    let t = app(&[]);
    let first = sign_up(&t, "bo@example.com");
    let r0 = first["refresh_token"].as_str().unwrap().to_string();
    let second = refresh(&t, &r0);
    assert_eq!(second.status(), 200, "{}", second.json());
    let r1 = second.json()["refresh_token"].as_str().unwrap().to_string();
    assert_ne!(r0, r1);
    // Within the interval, the parent gets the live token back (a client that lost the answer).
    let again = refresh(&t, &r0);
    assert_eq!(again.status(), 200);
    assert_eq!(again.json()["refresh_token"], r1.as_str());
    // Stored as digests only.
    assert_eq!(
        t.sql.count(&format!(
            "select count(*) from supabase_refresh_token where digest = '{r1}'"
        )),
        0
    );
    // Past it, a reuse revokes the family: the live token dies too.
    t.advance(11_000);
    assert_sb_error(&refresh(&t, &r0), 400, "refresh_token_already_used");
    assert_sb_error(&refresh(&t, &r1), 400, "refresh_token_not_found");
    let access = second.json()["access_token"].as_str().unwrap().to_string();
    assert_sb_error(
        &call(&mut bearer(&t, &access), "GET", "/user", None),
        403,
        "session_not_found",
    );
    assert_sb_error(&refresh(&t, "not-a-token"), 400, "refresh_token_not_found");
}

#[test]
fn sign_out_scopes_end_the_right_sessions_in_both_apis() {
    let t = app(&[]);
    sign_up(&t, "cy@example.com");
    let sign_in = |t: &TestApp| {
        let res = call(
            &mut t.client(),
            "POST",
            "/token?grant_type=password",
            Some(
                json!({"email": "cy@example.com", "password": PASSWORD, "gotrue_meta_security": {}}),
            ),
        );
        assert_eq!(res.status(), 200, "{}", res.json());
        res.json()["access_token"].as_str().unwrap().to_string()
    };
    let a = sign_in(&t);
    let b = sign_in(&t);
    let mut browser = t.client();
    assert_eq!(browser.sign_in("cy@example.com", PASSWORD).status(), 200);
    // better-auth lists the Supabase sessions with its own.
    assert_eq!(
        browser
            .get("/api/auth/list-sessions")
            .json()
            .as_array()
            .unwrap()
            .len(),
        4
    );

    let res = call(&mut bearer(&t, &a), "POST", "/logout?scope=others", None);
    assert_eq!(res.status(), 204);
    assert!(res.body_is_empty());
    assert_eq!(
        call(&mut bearer(&t, &a), "GET", "/user", None).status(),
        200
    );
    assert_sb_error(
        &call(&mut bearer(&t, &b), "GET", "/user", None),
        403,
        "session_not_found",
    );
    assert_eq!(
        browser.session(),
        Value::Null,
        "the cookie session ended too"
    );

    let c = sign_in(&t);
    assert_eq!(
        call(&mut bearer(&t, &a), "POST", "/logout?scope=local", None).status(),
        204
    );
    assert_sb_error(
        &call(&mut bearer(&t, &a), "GET", "/user", None),
        403,
        "session_not_found",
    );
    assert_eq!(
        call(&mut bearer(&t, &c), "GET", "/user", None).status(),
        200
    );
    assert_sb_error(
        &call(
            &mut bearer(&t, &c),
            "POST",
            "/logout?scope=everything",
            None,
        ),
        400,
        "validation_failed",
    );
    assert_eq!(
        call(&mut bearer(&t, &c), "POST", "/logout", None).status(),
        204
    );
    assert_sb_error(
        &call(&mut bearer(&t, &c), "GET", "/user", None),
        403,
        "session_not_found",
    );
}

#[test]
fn refusals_carry_supabase_codes() {
    let t = app(&[]);
    sign_up(&t, "di@example.com");
    let mut c = t.client();
    let wrong = call(
        &mut c,
        "POST",
        "/token?grant_type=password",
        Some(json!({"email": "di@example.com", "password": "wrong password"})),
    );
    assert_sb_error(&wrong, 400, "invalid_credentials");
    assert_eq!(wrong.json()["message"], "Invalid login credentials");
    let taken = call(
        &mut t.client(),
        "POST",
        "/signup",
        Some(json!({"email": "di@example.com", "password": PASSWORD})),
    );
    assert_sb_error(&taken, 422, "user_already_exists");
    let weak = call(
        &mut t.client(),
        "POST",
        "/signup",
        Some(json!({"email": "new@example.com", "password": "short"})),
    );
    assert_sb_error(&weak, 422, "weak_password");
    assert_eq!(weak.json()["weak_password"]["reasons"], json!(["length"]));
    assert_sb_error(
        &call(&mut t.client(), "GET", "/user", None),
        401,
        "no_authorization",
    );
    assert_sb_error(
        &call(&mut bearer(&t, "a.b.c"), "GET", "/user", None),
        403,
        "bad_jwt",
    );
    let bad_json = t.client().request("POST", "/auth/v1/signup", None);
    assert_ne!(bad_json.status(), 500);
    assert_sb_error(
        &call(&mut t.client(), "GET", "/nowhere", None),
        404,
        "not_found",
    );
    assert_sb_error(
        &call(
            &mut t.client(),
            "POST",
            "/token?grant_type=magic",
            Some(json!({})),
        ),
        400,
        "invalid_credentials",
    );
}

#[test]
fn a_session_revoked_through_better_auth_ends_the_supabase_session() {
    let t = app(&[]);
    let session = sign_up(&t, "ed@example.com");
    let access = session["access_token"].as_str().unwrap();
    let mut browser = t.client();
    assert_eq!(browser.sign_in("ed@example.com", PASSWORD).status(), 200);
    let res = browser.post("/api/auth/revoke-other-sessions", json!({}));
    assert_eq!(res.status(), 200, "{}", res.json());
    assert_sb_error(
        &call(&mut bearer(&t, access), "GET", "/user", None),
        403,
        "session_not_found",
    );
    assert_sb_error(
        &refresh(&t, session["refresh_token"].as_str().unwrap()),
        400,
        "refresh_token_not_found",
    );
}

#[test]
fn metadata_merges_and_passwords_change_with_a_nonce_once_the_session_is_old() {
    let t = app(&[]);
    let session = sign_up(&t, "fi@example.com");
    let access = session["access_token"].as_str().unwrap().to_string();
    let res = call(
        &mut bearer(&t, &access),
        "PUT",
        "/user",
        Some(json!({"data": {"plan": null, "theme": "dark"}})),
    );
    assert_eq!(res.status(), 200, "{}", res.json());
    let meta = &res.json()["user_metadata"];
    assert_eq!(meta["theme"], "dark");
    assert!(meta.get("plan").is_none());

    // Two days on (refreshed, so the session lives), a password change needs a nonce.
    let mut refresh_token = session["refresh_token"].as_str().unwrap().to_string();
    let mut access = access;
    for _ in 0..2 {
        t.advance(86_400_000);
        let r = refresh(&t, &refresh_token).json();
        refresh_token = r["refresh_token"].as_str().unwrap().to_string();
        access = r["access_token"].as_str().unwrap().to_string();
    }
    let change = json!({"password": "a whole new password"});
    assert_sb_error(
        &call(
            &mut bearer(&t, &access),
            "PUT",
            "/user",
            Some(change.clone()),
        ),
        400,
        "reauthentication_needed",
    );
    assert_eq!(
        call(&mut bearer(&t, &access), "GET", "/reauthenticate", None).json(),
        json!({})
    );
    let nonce = code_in(&t, "fi@example.com");
    let wrong = json!({"password": "a whole new password", "nonce": "000000"});
    let res = call(&mut bearer(&t, &access), "PUT", "/user", Some(wrong));
    if nonce != "000000" {
        assert_sb_error(&res, 422, "reauthentication_not_valid");
    }
    let right = json!({"password": "a whole new password", "nonce": nonce});
    let res = call(&mut bearer(&t, &access), "PUT", "/user", Some(right));
    assert_eq!(res.status(), 200, "{}", res.json());
    assert_eq!(
        t.client()
            .sign_in("fi@example.com", "a whole new password")
            .status(),
        200
    );
    assert_eq!(t.client().sign_in("fi@example.com", PASSWORD).status(), 401);
}

#[test]
fn recovery_and_sign_in_codes_open_sessions() {
    let t = app(&[]);
    sign_up(&t, "gu@example.com");
    let res = call(
        &mut t.client(),
        "POST",
        "/recover",
        Some(json!({"email": "gu@example.com"})),
    );
    assert_eq!(res.json(), json!({}));
    let code = code_in(&t, "gu@example.com");
    let res = verify(
        &t,
        json!({"email": "gu@example.com", "token": code, "type": "recovery"}),
    );
    assert_eq!(res.status(), 200, "{}", res.json());
    assert_eq!(
        claims(res.json()["access_token"].as_str().unwrap())["amr"][0]["method"],
        "recovery"
    );
    let reused = verify(
        &t,
        json!({"email": "gu@example.com", "token": code, "type": "recovery"}),
    );
    assert_sb_error(&reused, 403, "otp_expired");

    let res = call(
        &mut t.client(),
        "POST",
        "/otp",
        Some(json!({"email": "gu@example.com", "create_user": true})),
    );
    assert_eq!(res.json(), json!({}));
    let code = code_in(&t, "gu@example.com");
    let res = verify(
        &t,
        json!({"email": "gu@example.com", "token": code, "type": "email"}),
    );
    assert_eq!(res.status(), 200, "{}", res.json());
    assert_eq!(
        claims(res.json()["access_token"].as_str().unwrap())["amr"][0]["method"],
        "otp"
    );
    // No user for the address and create_user off: the same answer, and no message.
    let res = call(
        &mut t.client(),
        "POST",
        "/otp",
        Some(json!({"email": "nobody@example.com", "create_user": false})),
    );
    assert_eq!(res.json(), json!({}));
    assert!(t.mailbox("nobody@example.com").is_empty());
}

#[test]
fn the_api_is_off_unless_enabled() {
    let t = TestApp::new();
    assert_eq!(t.client().get("/auth/v1/health").status(), 404);
    let t = app(&[]);
    let health = t.client().get("/auth/v1/health");
    assert_eq!(health.status(), 200);
    let settings = t.client().get("/auth/v1/settings").json();
    assert_eq!(settings["external"]["email"], true);
}

/// The link in the newest message to `email`, as a path and query on this service.
fn link_in(t: &TestApp, email: &str) -> String {
    let text = t.mailbox(email)[0]["text"].as_str().unwrap().to_string();
    let url = text
        .split("Or open this link: ")
        .nth(1)
        .expect("a link beside the code")
        .split_whitespace()
        .next()
        .unwrap()
        .to_string();
    url.strip_prefix(BASE).expect("on this service").to_string()
}

/// The `token` parameter of a link.
fn token_of(link: &str) -> String {
    let query = link.split_once('?').map_or("", |(_, q)| q);
    form_urlencoded::parse(query.as_bytes())
        .find(|(k, _)| k == "token")
        .map(|(_, v)| v.into_owned())
        .expect("a token")
}

fn fragment_of(res: &Response) -> std::collections::HashMap<String, String> {
    let location = res.header("location").expect("a redirect");
    let fragment = location.split_once('#').map(|(_, f)| f).unwrap_or_default();
    form_urlencoded::parse(fragment.as_bytes())
        .into_owned()
        .collect()
}

#[test]
fn the_link_beside_a_code_signs_in_once_with_the_session_in_the_fragment() {
    let t = app(&[]);
    sign_up(&t, "ha@example.com");
    let spa = &format!("{SPA}/welcome");
    let res = call(
        &mut t.client(),
        "POST",
        &format!("/otp?redirect_to={}", urlencode(spa)),
        Some(
            json!({"email": "ha@example.com", "code_challenge": null, "code_challenge_method": null}),
        ),
    );
    assert_eq!(res.json(), json!({}));
    let link = link_in(&t, "ha@example.com");
    assert!(link.starts_with("/auth/v1/verify?token="), "{link}");
    let res = t.client().get(&link);
    assert_eq!(res.status(), 303);
    assert!(res.header("location").unwrap().starts_with(spa));
    let session = fragment_of(&res);
    assert_eq!(session["token_type"], "bearer");
    assert_eq!(session["type"], "magiclink");
    let access = session["access_token"].clone();
    assert_eq!(
        call(&mut bearer(&t, &access), "GET", "/user", None).status(),
        200
    );
    // Once: the link again, and the code the link stood for, are refused.
    let again = fragment_of(&t.client().get(&link));
    assert_eq!(again["error_code"], "otp_expired");
    assert_eq!(again["error"], "access_denied");
    let code = code_in(&t, "ha@example.com");
    let res = verify(
        &t,
        json!({"email": "ha@example.com", "token": code, "type": "email"}),
    );
    assert_sb_error(&res, 403, "otp_expired");
}

#[test]
fn a_pkce_link_hands_a_code_that_only_the_verifier_redeems() {
    let t = app(&[]);
    sign_up(&t, "io@example.com");
    let verifier = "a-verifier-of-enough-length-for-rfc-7636-0123456789";
    let challenge =
        URL_SAFE_NO_PAD.encode(<sha2::Sha256 as sha2::Digest>::digest(verifier.as_bytes()));
    call(
        &mut t.client(),
        "POST",
        "/recover",
        Some(
            json!({"email": "io@example.com", "code_challenge": challenge, "code_challenge_method": "s256"}),
        ),
    );
    let res = t.client().get(&link_in(&t, "io@example.com"));
    assert_eq!(res.status(), 303);
    let location = res.header("location").unwrap();
    let code = location.split("code=").nth(1).expect("?code=").to_string();
    let wrong = call(
        &mut t.client(),
        "POST",
        "/token?grant_type=pkce",
        Some(
            json!({"auth_code": code, "code_verifier": "not-the-verifier-but-long-enough-to-look-right-000"}),
        ),
    );
    assert_sb_error(&wrong, 400, "bad_code_verifier");
    // A code is tried once.
    let spent = call(
        &mut t.client(),
        "POST",
        "/token?grant_type=pkce",
        Some(json!({"auth_code": code, "code_verifier": verifier})),
    );
    assert_sb_error(&spent, 404, "flow_state_not_found");
}

#[test]
fn a_links_token_works_as_token_hash_and_a_pkce_code_signs_in() {
    let t = app(&[]);
    sign_up(&t, "jo@example.com");
    call(
        &mut t.client(),
        "POST",
        "/otp",
        Some(json!({"email": "jo@example.com"})),
    );
    let link = link_in(&t, "jo@example.com");
    let token = token_of(&link);
    let res = verify(&t, json!({"token_hash": token, "type": "magiclink"}));
    assert_eq!(res.status(), 200, "{}", res.json());
    assert_eq!(res.json()["user"]["email"], "jo@example.com");
    let wrong_type = call(
        &mut t.client(),
        "POST",
        "/recover",
        Some(json!({"email": "jo@example.com"})),
    );
    assert_eq!(wrong_type.status(), 200);
    let link = link_in(&t, "jo@example.com");
    let token = token_of(&link);
    let res = verify(&t, json!({"token_hash": token, "type": "magiclink"}));
    assert_sb_error(&res, 403, "otp_expired");

    let verifier = "another-verifier-of-enough-length-for-rfc-7636-012345";
    let challenge =
        URL_SAFE_NO_PAD.encode(<sha2::Sha256 as sha2::Digest>::digest(verifier.as_bytes()));
    call(
        &mut t.client(),
        "POST",
        "/otp",
        Some(
            json!({"email": "jo@example.com", "code_challenge": challenge, "code_challenge_method": "S256"}),
        ),
    );
    let res = t.client().get(&link_in(&t, "jo@example.com"));
    let code = res
        .header("location")
        .unwrap()
        .split("code=")
        .nth(1)
        .unwrap()
        .to_string();
    let res = call(
        &mut t.client(),
        "POST",
        "/token?grant_type=pkce",
        Some(json!({"auth_code": code, "code_verifier": verifier})),
    );
    assert_eq!(res.status(), 200, "{}", res.json());
    assert_eq!(
        claims(res.json()["access_token"].as_str().unwrap())["amr"][0]["method"],
        "otp"
    );
}

fn urlencode(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

#[test]
fn cors_answers_supabase_js_headers_for_trusted_origins_only() {
    let t = app(&[]);
    let preflight = |origin: &str| {
        t.client()
            .with_header("origin", origin)
            .with_header("access-control-request-method", "POST")
            .with_header(
                "access-control-request-headers",
                "apikey, x-client-info, x-supabase-api-version",
            )
            .request("OPTIONS", "/auth/v1/token", None)
    };
    let ok = preflight(SPA);
    assert_eq!(ok.status(), 204);
    assert_eq!(
        ok.header("access-control-allow-origin").as_deref(),
        Some(SPA)
    );
    let allowed = ok.header("access-control-allow-headers").unwrap();
    for h in [
        "apikey",
        "authorization",
        "x-client-info",
        "x-supabase-api-version",
    ] {
        assert!(allowed.contains(h), "{h} in {allowed}");
    }
    assert_eq!(preflight("https://evil.example").status(), 403);
    let res = t
        .client()
        .with_header("origin", SPA)
        .request("GET", "/auth/v1/settings", None);
    assert_eq!(
        res.header("access-control-allow-origin").as_deref(),
        Some(SPA)
    );
    assert!(res
        .header("access-control-expose-headers")
        .unwrap()
        .contains("x-supabase-api-version"));
}

#[test]
fn a_sign_up_that_needs_confirming_is_confirmed_by_its_code_or_its_link_and_keeps_the_password() {
    let t = app(&[("REQUIRE_EMAIL_VERIFICATION", "true")]);
    let up = |email: &str| {
        call(
            &mut t.client(),
            "POST",
            "/signup",
            Some(json!({"email": email, "password": PASSWORD})),
        )
    };
    let res = up("ka@example.com");
    assert_eq!(res.status(), 200, "{}", res.json());
    assert!(
        res.json().get("access_token").is_none(),
        "no session before the confirmation"
    );
    assert!(res.json().get("email_confirmed_at").is_none());
    let messages = t.mailbox("ka@example.com");
    assert_eq!(
        messages.len(),
        1,
        "one message: Supabase's, not better-auth's link as well"
    );
    let text = messages[0]["text"].as_str().unwrap().to_string();
    assert!(
        text.contains("/auth/v1/verify?token=") && text.contains("type=signup"),
        "{text}"
    );
    let code = code_of(&text);
    let denied = call(
        &mut t.client(),
        "POST",
        "/token?grant_type=password",
        Some(json!({"email": "ka@example.com", "password": PASSWORD})),
    );
    assert_sb_error(&denied, 400, "email_not_confirmed");
    let res = verify(
        &t,
        json!({"email": "ka@example.com", "token": code, "type": "signup"}),
    );
    assert_eq!(res.status(), 200, "{}", res.json());
    assert!(res.json()["user"]["email_confirmed_at"].is_string());
    let signed_in = call(
        &mut t.client(),
        "POST",
        "/token?grant_type=password",
        Some(json!({"email": "ka@example.com", "password": PASSWORD})),
    );
    assert_eq!(
        signed_in.status(),
        200,
        "the password still works: {}",
        signed_in.json()
    );

    // By the link, resent.
    up("lu@example.com");
    let res = call(
        &mut t.client(),
        "POST",
        "/resend",
        Some(json!({"email": "lu@example.com", "type": "signup"})),
    );
    assert_eq!(res.json(), json!({}));
    let res = t.client().get(&link_in(&t, "lu@example.com"));
    let session = fragment_of(&res);
    assert_eq!(session["type"], "signup");
    let user = call(
        &mut bearer(&t, &session["access_token"]),
        "GET",
        "/user",
        None,
    )
    .json();
    assert_eq!(user["email"], "lu@example.com");
    assert!(user["email_confirmed_at"].is_string());
}

#[test]
fn bad_input_on_every_route_gets_a_json_refusal_never_a_failure() {
    let t = app(&[]);
    let session = sign_up(&t, "mo@example.com");
    let access = session["access_token"].as_str().unwrap().to_string();
    let routes = [
        ("POST", "/signup"),
        ("POST", "/token?grant_type=password"),
        ("POST", "/token?grant_type=refresh_token"),
        ("POST", "/token?grant_type=pkce"),
        ("POST", "/token?grant_type=id_token"),
        ("POST", "/token"),
        ("GET", "/user"),
        ("PUT", "/user"),
        ("POST", "/logout?scope=local"),
        ("POST", "/otp"),
        ("POST", "/recover"),
        ("POST", "/resend"),
        ("POST", "/verify"),
        ("GET", "/verify?token=x&type=magiclink"),
        ("GET", "/verify"),
        ("GET", "/reauthenticate"),
        ("GET", "/authorize?provider=nowhere"),
        (
            "GET",
            "/authorize?provider=nowhere&redirect_to=https%3A%2F%2Fevil.example",
        ),
        ("GET", "/user/identities/authorize?provider=nowhere"),
        ("DELETE", "/user/identities/not-an-id"),
        ("GET", "/callback?code=nothing"),
    ];
    let bodies = [
        json!({"email": 12, "password": ["x"], "data": "not an object", "refresh_token": {}, "token": null, "type": 3, "auth_code": [], "code_verifier": 1, "id_token": false, "provider": {}}),
        json!({"email": "not an address", "password": "", "code_challenge": "short", "code_challenge_method": "md5"}),
        json!({"email": "mo@example.com", "token": "000000", "type": "nonsense", "token_hash": "x", "refresh_token": "x".repeat(5000)}),
        json!([1, 2, 3]),
        json!("a string"),
        json!({"data": {"nested": {"deep": [1, 2, {"x": null}]}}, "nonce": "000000", "password": "p".repeat(200)}),
    ];
    for (method, path) in routes {
        for auth in [None, Some(access.as_str()), Some("not.a.jwt")] {
            for body in &bodies {
                let mut c = match auth {
                    Some(token) => bearer(&t, token),
                    None => t.client(),
                };
                c.new_address();
                let body = (method != "GET" && method != "DELETE").then(|| body.clone());
                let res = call(&mut c, method, path, body.clone());
                let status = res.status();
                assert!(status < 500, "{method} {path} {body:?}: {status}");
                if status >= 400 {
                    let json = res.json();
                    assert!(
                        json["code"].is_string() && json["message"].is_string(),
                        "{method} {path}: {json}"
                    );
                }
            }
        }
    }
    // Not JSON at all.
    let res = t
        .client()
        .with_header("content-type", "text/plain")
        .request("POST", "/auth/v1/signup", None);
    assert!(res.status() < 500);
    let mut raw = http::Request::builder()
        .method("POST")
        .uri(format!("{BASE}/auth/v1/otp"))
        .header("content-type", "application/json")
        .body(b"{\"email\": ".to_vec())
        .unwrap();
    raw.headers_mut()
        .insert("cf-connecting-ip", fresh_ip().parse().unwrap());
    let res = t.send(raw);
    assert_sb_error(&res, 400, "bad_json");
    // The session survived all of it, except what it asked for: a local sign-out ends it.
    assert!(call(&mut bearer(&t, &access), "GET", "/user", None).status() == 403);
}

#[test]
fn of_two_refreshes_with_one_token_one_rotates_and_the_other_gets_its_token_back() {
    let t = app(&[]);
    let session = sign_up(&t, "no@example.com");
    let r0 = session["refresh_token"].as_str().unwrap().to_string();
    // The racing refresh is a second, complete request that runs while this one is about to
    // revoke the token.
    let racer = std::rc::Rc::new(std::cell::Cell::new(false));
    let seen = racer.clone();
    let first_token = r0.clone();
    t.sql.before_write(r#"set "revoked" = 1, "sealed" = null, "updatedAt" = ?2 where "digest" = ?1"#, move |db| {
        let digest = portcullis::crypto::sha256_hex(first_token.as_bytes());
        db.execute(
            r#"update "supabase_refresh_token" set "revoked" = 1, "updatedAt" = "updatedAt" where "digest" = ?1"#,
            [&digest],
        )
        .unwrap();
        seen.set(true);
    });
    let res = refresh(&t, &r0);
    assert!(racer.get(), "the race ran");
    assert_eq!(
        res.status(),
        200,
        "the loser within the interval still gets a session: {}",
        res.json()
    );
    let r1 = res.json()["refresh_token"].as_str().unwrap().to_string();
    assert_ne!(r1, r0);
    assert_eq!(refresh(&t, &r1).status(), 200, "its token works");
    assert_eq!(
        t.sql
            .count("select count(*) from supabase_refresh_token where revoked = 0"),
        1,
        "one live token per session"
    );
}
