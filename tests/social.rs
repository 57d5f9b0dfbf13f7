//! Social and OpenID Connect sign-in against a scripted OpenID provider (discovery, JWKS, token
//! and userinfo endpoints, Ed25519-signed ID tokens) and a GitHub-shaped API: the state and PKCE
//! life cycle, every refusal, account linking, unlinking, and provider tokens at rest.
#![cfg(not(target_arch = "wasm32"))]

mod support;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use ed25519_dalek::Signer;
use portcullis::net::outbound::{Method, OutboundRequest};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;
use support::*;

const ISSUER: &str = "https://idp.example.com";
const CLIENT_ID: &str = "portcullis-client";
const CLIENT_SECRET: &str = "idp-client-secret";
const PASSWORD: &str = "correct horse battery";

/// What the scripted provider will put in the next ID token, and how it may be spoiled.
#[derive(Clone)]
struct Grant {
    claims: Value,
    nonce: Option<String>,
    challenge: Option<String>,
}

#[derive(Default)]
struct Idp {
    codes: RefCell<HashMap<String, Grant>>,
    /// Claims changed in the next ID token after the nonce is set (to spoil it).
    tamper: RefCell<Option<Value>>,
    token_requests: RefCell<Vec<HashMap<String, String>>>,
    /// The paths of every GET (discovery, JWKS).
    fetched: RefCell<Vec<String>>,
}

fn signing_key() -> ed25519_dalek::SigningKey {
    ed25519_dalek::SigningKey::from_bytes(&[7u8; 32])
}

fn jwt(claims: &Value) -> String {
    let b64 = |v: &Value| URL_SAFE_NO_PAD.encode(v.to_string());
    let input = format!(
        "{}.{}",
        b64(&json!({"alg": "EdDSA", "kid": "idp-1", "typ": "JWT"})),
        b64(claims)
    );
    let signature = signing_key().sign(input.as_bytes());
    format!("{input}.{}", URL_SAFE_NO_PAD.encode(signature.to_bytes()))
}

fn form(body: &[u8]) -> HashMap<String, String> {
    form_urlencoded::parse(body).into_owned().collect()
}

fn serve_idp(t: &TestApp) -> Rc<Idp> {
    let idp = Rc::new(Idp::default());
    let served = idp.clone();
    t.outbound.serve(ISSUER, move |req: &OutboundRequest| {
        let path = req.url.strip_prefix(ISSUER).unwrap_or_default();
        if req.method == Method::Get {
            served.fetched.borrow_mut().push(path.to_string());
        }
        match (req.method, path) {
            (Method::Get, "/.well-known/openid-configuration") => json_answer(200, json!({
                "issuer": ISSUER,
                "authorization_endpoint": format!("{ISSUER}/authorize"),
                "token_endpoint": format!("{ISSUER}/token"),
                "userinfo_endpoint": format!("{ISSUER}/userinfo"),
                "jwks_uri": format!("{ISSUER}/jwks"),
                "id_token_signing_alg_values_supported": ["EdDSA"],
            })),
            (Method::Get, "/jwks") => json_answer(200, json!({"keys": [{
                "kty": "OKP", "crv": "Ed25519", "kid": "idp-1", "use": "sig",
                "x": URL_SAFE_NO_PAD.encode(signing_key().verifying_key().to_bytes()),
            }]})),
            (Method::Post, "/token") => {
                let f = form(&req.body);
                served.token_requests.borrow_mut().push(f.clone());
                if f.get("client_secret").map(String::as_str) != Some(CLIENT_SECRET) {
                    return json_answer(401, json!({"error": "invalid_client"}));
                }
                if f.get("grant_type").map(String::as_str) == Some("refresh_token") {
                    return json_answer(200, json!({"access_token": "access-2", "expires_in": 3600, "token_type": "Bearer"}));
                }
                let Some(grant) = served.codes.borrow_mut().remove(f.get("code").map(String::as_str).unwrap_or("")) else {
                    return json_answer(400, json!({"error": "invalid_grant"}));
                };
                let verifier = f.get("code_verifier").cloned().unwrap_or_default();
                if grant.challenge != Some(URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))) {
                    return json_answer(400, json!({"error": "invalid_grant", "error_description": "PKCE"}));
                }
                let mut claims = grant.claims.clone();
                if let Some(nonce) = grant.nonce {
                    claims["nonce"] = json!(nonce);
                }
                if let Some(Value::Object(changes)) = served.tamper.borrow_mut().take() {
                    for (k, v) in changes {
                        claims[k] = v;
                    }
                }
                json_answer(200, json!({
                    "access_token": "access-1", "refresh_token": "refresh-1", "expires_in": 3600,
                    "token_type": "Bearer", "scope": "openid email profile", "id_token": jwt(&claims),
                }))
            }
            _ => json_answer(404, json!({"error": "not_found"})),
        }
    });
    idp
}

/// The scripted OpenID provider as `acme`, with more settings.
fn acme_app(extra: &[(&str, &str)]) -> TestApp {
    let mut vars = vec![
        ("OIDC_PROVIDERS", "acme"),
        (
            "OIDC_ACME_DISCOVERY_URL",
            "https://idp.example.com/.well-known/openid-configuration",
        ),
        ("OIDC_ACME_CLIENT_ID", CLIENT_ID),
        ("OIDC_ACME_CLIENT_SECRET", CLIENT_SECRET),
    ];
    vars.extend_from_slice(extra);
    TestApp::with_vars(&vars)
}

fn app() -> TestApp {
    acme_app(&[
        ("OIDC_ACME_PROMPT", "consent"),
        ("OIDC_ACME_ACCESS_TYPE", "offline"),
        ("GITHUB_CLIENT_ID", "gh-client"),
        ("GITHUB_CLIENT_SECRET", "gh-secret"),
        (
            "GITHUB_AUTHORIZATION_URL",
            "https://github.test/login/oauth/authorize",
        ),
        (
            "GITHUB_TOKEN_URL",
            "https://github.test/login/oauth/access_token",
        ),
        ("GITHUB_USERINFO_URL", "https://api.github.test"),
    ])
}

fn claims(sub: &str, email: &str, verified: bool, now_s: i64) -> Value {
    json!({
        "iss": ISSUER, "sub": sub, "aud": CLIENT_ID, "iat": now_s, "exp": now_s + 600,
        "email": email, "email_verified": verified, "name": "Ada Lovelace", "picture": "https://idp.example.com/ada.png",
    })
}

fn query_of(url: &str) -> HashMap<String, String> {
    form(url.split_once('?').map(|(_, q)| q).unwrap_or("").as_bytes())
}

/// Starts a sign-in (or link) and has the provider approve it for `claims`: the callback path.
fn authorize(
    t: &TestApp,
    idp: &Idp,
    c: &mut Client<'_>,
    path: &str,
    body: Value,
    claims: Value,
) -> String {
    let started = c.post(path, body);
    assert_eq!(started.status(), 200, "{}", started.json());
    let url = started.json()["url"].as_str().unwrap().to_string();
    assert_eq!(started.header("location").as_deref(), Some(url.as_str()));
    let q = query_of(&url);
    assert_eq!(q["client_id"], CLIENT_ID);
    assert_eq!(q["code_challenge_method"], "S256");
    assert!(q["scope"].split(' ').any(|s| s == "openid"));
    if path.ends_with("/sign-in/social")
        && t.app.config().is_some_and(|c| {
            c.social
                .provider("acme")
                .is_some_and(|p| p.prompt.is_some())
        })
    {
        assert_eq!(
            (q["prompt"].as_str(), q["access_type"].as_str()),
            ("consent", "offline")
        );
    }
    let code = format!("code-{}", q["state"]);
    idp.codes.borrow_mut().insert(
        code.clone(),
        Grant {
            claims,
            nonce: q.get("nonce").cloned(),
            challenge: q.get("code_challenge").cloned(),
        },
    );
    let _ = t;
    format!(
        "/api/auth/callback/acme?code={code}&state={}&iss={}",
        q["state"], ISSUER
    )
}

/// A sign-in with `acme` whose refusals go to `/oops`, approved by the provider for `claims`.
fn start_with_acme(t: &TestApp, idp: &Idp, c: &mut Client<'_>, claims: Value) -> String {
    let body = json!({"provider": "acme", "errorCallbackURL": "/oops"});
    authorize(t, idp, c, "/api/auth/sign-in/social", body, claims)
}

fn now_s(t: &TestApp) -> i64 {
    t.clock.get() / 1000
}

fn sign_in_with_acme(t: &TestApp, idp: &Idp, c: &mut Client<'_>, claims: Value) -> Response {
    let callback = authorize(
        t,
        idp,
        c,
        "/api/auth/sign-in/social",
        json!({"provider": "acme", "callbackURL": "/dashboard", "newUserCallbackURL": "/welcome", "errorCallbackURL": "/oops"}),
        claims,
    );
    c.get(&callback)
}

#[test]
fn a_new_user_signs_up_through_an_openid_provider_and_returns() {
    let t = app();
    let idp = serve_idp(&t);
    let mut c = t.client();
    let res = sign_in_with_acme(
        &t,
        &idp,
        &mut c,
        claims("sub-1", "Ada@Example.com", true, now_s(&t)),
    );
    assert_eq!(res.status(), 302);
    assert_eq!(
        res.header("location").as_deref(),
        Some("/welcome"),
        "a new user goes to newUserCallbackURL"
    );
    let session = c.session();
    assert_eq!(session["user"]["email"], "ada@example.com");
    assert_eq!(session["user"]["emailVerified"], true);
    assert_eq!(session["user"]["name"], "Ada Lovelace");
    let sent = idp.token_requests.borrow()[0].clone();
    assert_eq!(
        sent["redirect_uri"],
        format!("{BASE}/api/auth/callback/acme")
    );
    assert_eq!(sent["client_id"], CLIENT_ID);

    let mut again = t.client();
    let res = sign_in_with_acme(
        &t,
        &idp,
        &mut again,
        claims("sub-1", "ada@example.com", true, now_s(&t)),
    );
    assert_eq!(
        res.header("location").as_deref(),
        Some("/dashboard"),
        "a returning user goes to callbackURL"
    );
    assert_eq!(again.session()["user"]["id"], session["user"]["id"]);
    assert_eq!(t.sql.count(r#"select count(*) from "user""#), 1);
    let accounts = c.get("/api/auth/list-accounts").json();
    assert_eq!(accounts[0]["providerId"], "acme");
    assert_eq!(accounts[0]["accountId"], "sub-1");
    assert_eq!(accounts[0]["scopes"], json!(["openid", "email", "profile"]));
}

#[test]
fn provider_tokens_are_sealed_at_rest_and_given_back_in_clear() {
    let t = app();
    let idp = serve_idp(&t);
    let mut c = t.client();
    sign_in_with_acme(
        &t,
        &idp,
        &mut c,
        claims("sub-1", "ada@example.com", true, now_s(&t)),
    );
    let stored = t
        .sql
        .text(r#"select "accessToken" from "account" where "providerId" = 'acme'"#)
        .unwrap();
    assert_ne!(stored, "access-1");
    assert_eq!(
        portcullis::crypto::symmetric::decrypt(SECRET.as_bytes(), &stored).unwrap(),
        "access-1",
        "better-auth's symmetricEncrypt"
    );
    let id = t
        .sql
        .text(r#"select "id" from "account" where "providerId" = 'acme'"#)
        .unwrap();
    let token = c.post("/api/auth/get-access-token", json!({"accountId": id}));
    assert_eq!(token.status(), 200, "{}", token.json());
    assert_eq!(token.json()["accessToken"], "access-1");
    // About to expire: refreshed first.
    t.advance(3600 * 1000);
    let token = c.post("/api/auth/get-access-token", json!({"accountId": id}));
    assert_eq!(token.json()["accessToken"], "access-2");
    let refreshed = c.post("/api/auth/refresh-token", json!({"accountId": id}));
    assert_eq!(refreshed.status(), 200, "{}", refreshed.json());
    assert_eq!(
        refreshed.json()["refreshToken"],
        "refresh-1",
        "a refresh token not sent again is kept"
    );
    let info = c.get(&format!("/api/auth/account-info?accountId={id}"));
    assert_eq!(info.status(), 200, "{}", info.json());
    assert_eq!(info.json()["user"]["email"], "ada@example.com");
}

#[test]
fn a_state_is_spent_once_and_only_by_the_browser_that_started_it() {
    let t = app();
    let idp = serve_idp(&t);
    let mut c = t.client();
    let callback = start_with_acme(
        &t,
        &idp,
        &mut c,
        claims("sub-1", "a@example.com", true, now_s(&t)),
    );
    // Another browser (no state cookie) cannot use it.
    let stolen = t.client().get(&callback);
    assert_eq!(
        stolen.header("location").as_deref(),
        Some("/oops?error=state_mismatch")
    );
    let used = c.get(&callback);
    assert_eq!(used.status(), 302);
    assert!(!used.header("location").unwrap().contains("error"));
    // A replay finds nothing.
    let replay = c.get(&callback);
    assert!(replay
        .header("location")
        .unwrap()
        .ends_with("/api/auth/error?error=state_mismatch"));
    let none = c.get("/api/auth/callback/acme?code=x");
    assert!(none
        .header("location")
        .unwrap()
        .ends_with("?error=state_not_found"));
    // Ten minutes later a state is gone.
    let mut late = t.client();
    let callback = authorize(
        &t,
        &idp,
        &mut late,
        "/api/auth/sign-in/social",
        json!({"provider": "acme"}),
        claims("sub-2", "b@example.com", true, now_s(&t)),
    );
    t.advance(11 * 60 * 1000);
    assert!(late
        .get(&callback)
        .header("location")
        .unwrap()
        .contains("error=state_mismatch"));
}

#[test]
fn the_providers_refusal_reaches_the_error_url_tidied() {
    let t = app();
    let idp = serve_idp(&t);
    let mut c = t.client();
    let callback = start_with_acme(
        &t,
        &idp,
        &mut c,
        claims("s", "a@example.com", true, now_s(&t)),
    );
    let state = query_of(&callback)["state"].clone();
    let res = c.get(&format!("/api/auth/callback/acme?state={state}&error=access_denied&error_description=The%20user%20said%20no%0A"));
    assert_eq!(
        res.header("location").as_deref(),
        Some("/oops?error=access_denied&error_description=The%20user%20said%20no")
    );
}

#[test]
fn a_spoiled_id_token_signs_nobody_in() {
    let t = app();
    let idp = serve_idp(&t);
    let now = now_s(&t);
    let spoilers = [
        json!({"iss": "https://evil.example.com"}),
        json!({"aud": "someone-else"}),
        json!({"aud": [CLIENT_ID, "someone-else"]}),
        json!({"azp": "someone-else"}),
        json!({"exp": now - 60}),
        json!({"iat": now + 600}),
        json!({"nonce": "not-the-one-sent"}),
    ];
    for spoiler in spoilers {
        *idp.tamper.borrow_mut() = Some(spoiler.clone());
        let mut c = t.client();
        let res = sign_in_with_acme(
            &t,
            &idp,
            &mut c,
            claims("sub-9", "x@example.com", true, now),
        );
        assert_eq!(
            res.header("location").as_deref(),
            Some("/oops?error=unable_to_get_user_info"),
            "{spoiler}"
        );
    }
    assert_eq!(t.sql.count(r#"select count(*) from "user""#), 0);
    // A wrong code (or verifier) is refused by the provider.
    let mut c = t.client();
    let callback = start_with_acme(&t, &idp, &mut c, claims("s", "a@example.com", true, now));
    let forged = callback.replace("code=code-", "code=forged-");
    assert_eq!(
        c.get(&forged).header("location").as_deref(),
        Some("/oops?error=invalid_code")
    );
}

#[test]
fn an_existing_address_links_only_when_both_sides_vouch_for_it() {
    let t = app();
    let idp = serve_idp(&t);
    let mut owner = t.client();
    owner.sign_up("ada@example.com", PASSWORD);
    // The local address is not verified: no implicit link (pre-account-takeover protection).
    let mut c = t.client();
    let res = sign_in_with_acme(
        &t,
        &idp,
        &mut c,
        claims("sub-1", "ada@example.com", true, now_s(&t)),
    );
    assert_eq!(
        res.header("location").as_deref(),
        Some("/oops?error=account_not_linked")
    );
    t.sql.exec(r#"update "user" set "emailVerified" = 1"#);
    // The provider does not vouch for it: still no link.
    let res = sign_in_with_acme(
        &t,
        &idp,
        &mut t.client(),
        claims("sub-1", "ada@example.com", false, now_s(&t)),
    );
    assert_eq!(
        res.header("location").as_deref(),
        Some("/oops?error=account_not_linked")
    );
    let res = sign_in_with_acme(
        &t,
        &idp,
        &mut c,
        claims("sub-1", "ada@example.com", true, now_s(&t)),
    );
    assert_eq!(res.header("location").as_deref(), Some("/dashboard"));
    assert_eq!(t.sql.count(r#"select count(*) from "account""#), 2);
    assert_eq!(t.sql.count(r#"select count(*) from "user""#), 1);
}

#[test]
fn a_trusted_provider_links_an_address_it_does_not_vouch_for() {
    let t = TestApp::with_vars(&[
        ("OIDC_PROVIDERS", "acme"),
        (
            "OIDC_ACME_DISCOVERY_URL",
            "https://idp.example.com/.well-known/openid-configuration",
        ),
        ("OIDC_ACME_CLIENT_ID", CLIENT_ID),
        ("OIDC_ACME_CLIENT_SECRET", CLIENT_SECRET),
        ("ACCOUNT_LINKING_TRUSTED_PROVIDERS", "acme"),
    ]);
    let idp = serve_idp(&t);
    t.client().sign_up("ada@example.com", PASSWORD);
    t.sql.exec(r#"update "user" set "emailVerified" = 1"#);
    let res = sign_in_with_acme(
        &t,
        &idp,
        &mut t.client(),
        claims("sub-1", "ada@example.com", false, now_s(&t)),
    );
    assert_eq!(res.header("location").as_deref(), Some("/dashboard"));
}

#[test]
fn linking_and_unlinking_from_a_signed_in_session() {
    let t = app();
    let idp = serve_idp(&t);
    let mut c = t.client();
    c.sign_up("ada@example.com", PASSWORD);
    let callback = authorize(
        &t,
        &idp,
        &mut c,
        "/api/auth/link-social",
        json!({"provider": "acme", "callbackURL": "/settings"}),
        claims("sub-7", "other@example.com", true, now_s(&t)),
    );
    assert!(c
        .get(&callback)
        .header("location")
        .unwrap()
        .contains("error=email_does_not_match"));
    let callback = authorize(
        &t,
        &idp,
        &mut c,
        "/api/auth/link-social",
        json!({"provider": "acme", "callbackURL": "/settings"}),
        claims("sub-7", "ada@example.com", true, now_s(&t)),
    );
    assert_eq!(
        c.get(&callback).header("location").as_deref(),
        Some("/settings")
    );
    let accounts = c.get("/api/auth/list-accounts").json();
    let linked = accounts
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["providerId"] == "acme")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let credential = accounts
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["providerId"] == "credential")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    // Someone else cannot link the same provider account.
    let mut other = t.client();
    other.sign_up("eve@example.com", PASSWORD);
    let callback = authorize(
        &t,
        &idp,
        &mut other,
        "/api/auth/link-social",
        json!({"provider": "acme"}),
        claims("sub-7", "eve@example.com", true, now_s(&t)),
    );
    assert!(other
        .get(&callback)
        .header("location")
        .unwrap()
        .contains("error=account_already_linked_to_different_user"));
    assert_eq!(
        c.post("/api/auth/unlink-account", json!({"accountId": "nope"}))
            .code(),
        "ACCOUNT_NOT_FOUND"
    );
    assert_eq!(
        c.post("/api/auth/unlink-account", json!({"accountId": credential}))
            .status(),
        200
    );
    c.post("/api/auth/unlink-account", json!({"accountId": linked}))
        .assert_error(400, "FAILED_TO_UNLINK_LAST_ACCOUNT");
}

#[test]
fn a_banned_user_gets_no_session_this_way_either() {
    let t = app();
    let idp = serve_idp(&t);
    let mut c = t.client();
    sign_in_with_acme(
        &t,
        &idp,
        &mut c,
        claims("sub-1", "ada@example.com", true, now_s(&t)),
    );
    t.sql.exec(r#"update "user" set "banned" = 1"#);
    let res = sign_in_with_acme(
        &t,
        &idp,
        &mut t.client(),
        claims("sub-1", "ada@example.com", true, now_s(&t)),
    );
    let location = res.header("location").unwrap();
    assert!(
        location.starts_with("/oops?error=BANNED_USER&error_description="),
        "{location}"
    );
}

#[test]
fn unknown_providers_and_untrusted_callbacks_are_refused() {
    let t = app();
    let mut c = t.client();
    c.post("/api/auth/sign-in/social", json!({"provider": "nope"}))
        .assert_error(404, "PROVIDER_NOT_FOUND");
    c.post(
        "/api/auth/sign-in/social",
        json!({"provider": "acme", "callbackURL": "https://evil.example.com/"}),
    )
    .assert_error(403, "INVALID_CALLBACK_URL");
    c.post(
        "/api/auth/sign-in/social",
        json!({"provider": "github", "idToken": {"token": "x"}}),
    )
    .assert_error(404, "ID_TOKEN_NOT_SUPPORTED");
}

#[test]
fn an_id_token_from_the_client_signs_in_when_every_check_holds() {
    let t = app();
    let _idp = serve_idp(&t);
    let now = now_s(&t);
    let mut good = claims("sub-5", "grace@example.com", true, now);
    good["nonce"] = json!("client-nonce");
    let mut c = t.client();
    let res = c.post(
        "/api/auth/sign-in/social",
        json!({"provider": "acme", "idToken": {"token": jwt(&good), "nonce": "client-nonce"}}),
    );
    assert_eq!(res.status(), 200, "{}", res.json());
    assert_eq!(res.json()["redirect"], false);
    assert_eq!(res.json()["user"]["email"], "grace@example.com");
    assert_eq!(c.session()["user"]["email"], "grace@example.com");
    t.client()
        .post(
            "/api/auth/sign-in/social",
            json!({"provider": "acme", "idToken": {"token": jwt(&good), "nonce": "another"}}),
        )
        .assert_error(401, "INVALID_TOKEN");
    let mut foreign = good.clone();
    foreign["aud"] = json!("someone-else");
    t.client()
        .post(
            "/api/auth/sign-in/social",
            json!({"provider": "acme", "idToken": {"token": jwt(&foreign)}}),
        )
        .assert_error(401, "INVALID_TOKEN");
}

fn serve_github(t: &TestApp, emails: Value, public_email: Value) {
    t.outbound.serve("https://github.test", |req: &OutboundRequest| {
        let f = form(&req.body);
        // GitHub answers its errors with a 200.
        if f.get("code").map(String::as_str) != Some("gh-code") {
            return json_answer(200, json!({"error": "bad_verification_code"}));
        }
        json_answer(200, json!({"access_token": "gho_1", "token_type": "bearer", "scope": "read:user,user:email"}))
    });
    t.outbound.serve("https://api.github.test", move |req: &OutboundRequest| {
        assert_eq!(req.headers.iter().find(|(k, _)| *k == "authorization").map(|(_, v)| v.as_str()), Some("Bearer gho_1"));
        if req.url.ends_with("/user/emails") {
            json_answer(200, emails.clone())
        } else {
            json_answer(200, json!({"id": 4242, "login": "octo", "name": null, "email": public_email.clone(), "avatar_url": "https://avatars.example/4242"}))
        }
    });
}

fn github_sign_in(t: &TestApp, c: &mut Client<'_>, code: &str) -> Response {
    let started = c.post(
        "/api/auth/sign-in/social",
        json!({"provider": "github", "callbackURL": "/dashboard", "errorCallbackURL": "/oops"}),
    );
    let q = query_of(started.json()["url"].as_str().unwrap());
    assert_eq!(q["scope"], "read:user user:email");
    assert!(!q.contains_key("nonce"), "GitHub is not an OpenID provider");
    let _ = t;
    c.get(&format!(
        "/api/auth/callback/github?code={code}&state={}",
        q["state"]
    ))
}

#[test]
fn github_users_with_a_private_unverified_primary_address_sign_up_unverified() {
    let t = app();
    serve_github(
        &t,
        json!([{"email": "octo@users.noreply.example", "primary": false, "verified": true}, {"email": "Octo@Example.com", "primary": true, "verified": false}]),
        Value::Null,
    );
    let mut c = t.client();
    assert_eq!(
        github_sign_in(&t, &mut c, "gh-code")
            .header("location")
            .as_deref(),
        Some("/dashboard")
    );
    let user = c.session()["user"].clone();
    assert_eq!(user["email"], "octo@example.com");
    assert_eq!(user["emailVerified"], false);
    assert_eq!(
        user["name"], "octo",
        "the login stands in for a missing name"
    );
    assert_eq!(user["image"], "https://avatars.example/4242");
    let mut bad = t.client();
    assert_eq!(
        github_sign_in(&t, &mut bad, "wrong")
            .header("location")
            .as_deref(),
        Some("/oops?error=invalid_code")
    );
}

/// `symmetricEncrypt({key: SECRET, data: "gho_sealed_by_better_auth"})`, run with better-auth
/// 1.7.25's own code: an access token as better-auth stores it with `encryptOAuthTokens`.
const SEALED_BY_BETTER_AUTH: &str = "2432b572c6e0e321b1f5e063fbb0f7a2dfc7e10be08c4faca19d459b0f784f092986579b37481286f9593efc234d26ed9b305557084c6643c6776b044265045b88";

#[test]
fn a_token_better_auth_sealed_is_given_back_in_clear() {
    let t = app();
    let mut c = t.client();
    let id = c.sign_up("ada@example.com", PASSWORD).json()["user"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    t.sql.exec(&format!(
        r#"insert into "account" ("id","accountId","providerId","userId","accessToken","scope","createdAt","updatedAt") values ('gh-row','4242','github','{id}','{SEALED_BY_BETTER_AUTH}','read:user,user:email','2026-01-01T00:00:00.000Z','2026-01-01T00:00:00.000Z')"#
    ));
    let token = c.post("/api/auth/get-access-token", json!({"accountId": "gh-row"}));
    assert_eq!(token.status(), 200, "{}", token.json());
    assert_eq!(token.json()["accessToken"], "gho_sealed_by_better_auth");
    assert_eq!(token.json()["scopes"], json!(["read:user", "user:email"]));
    // A row stored before encryption was on reads as it is.
    t.sql
        .exec(r#"update "account" set "accessToken" = 'gho_plain' where "id" = 'gh-row'"#);
    let token = c.post("/api/auth/get-access-token", json!({"accountId": "gh-row"}));
    assert_eq!(token.json()["accessToken"], "gho_plain");
    c.post("/api/auth/get-access-token", json!({"accountId": "nope"}))
        .assert_error(400, "ACCOUNT_NOT_FOUND");
}

#[test]
fn discovery_and_keys_are_fetched_once_and_keys_again_for_an_unknown_key_id() {
    let t = app();
    let idp = serve_idp(&t);
    for n in 0..3 {
        let res = sign_in_with_acme(
            &t,
            &idp,
            &mut t.client(),
            claims(
                &format!("sub-{n}"),
                &format!("u{n}@example.com"),
                true,
                now_s(&t),
            ),
        );
        assert!(!res.header("location").unwrap().contains("error"));
    }
    let count = |path: &str| idp.fetched.borrow().iter().filter(|p| *p == path).count();
    assert_eq!(count("/.well-known/openid-configuration"), 1);
    assert_eq!(count("/jwks"), 1);
    // A token naming a key the kept set lacks: the set is fetched again, at most once a minute.
    *idp.tamper.borrow_mut() = Some(json!({}));
    let mut unknown = claims("sub-x", "x@example.com", true, now_s(&t));
    unknown["nonce"] = json!("n");
    let header = URL_SAFE_NO_PAD.encode(json!({"alg": "EdDSA", "kid": "rotated"}).to_string());
    let rest = jwt(&unknown);
    let rotated = format!("{header}.{}", rest.split_once('.').unwrap().1);
    let handed = |t: &TestApp| {
        t.client().post(
            "/api/auth/sign-in/social",
            json!({"provider": "acme", "idToken": {"token": rotated, "nonce": "n"}}),
        )
    };
    handed(&t).assert_error(401, "INVALID_TOKEN");
    assert_eq!(
        count("/jwks"),
        1,
        "within a minute of the last fetch: no fetch"
    );
    t.advance(61_000);
    handed(&t).assert_error(401, "INVALID_TOKEN");
    assert_eq!(count("/jwks"), 2, "after a minute: fetched again");
}

#[test]
fn a_new_user_from_a_provider_is_synced_like_any_sign_up() {
    let t = TestApp::with_vars(&[
        ("OIDC_PROVIDERS", "acme"),
        (
            "OIDC_ACME_DISCOVERY_URL",
            "https://idp.example.com/.well-known/openid-configuration",
        ),
        ("OIDC_ACME_CLIENT_ID", CLIENT_ID),
        ("OIDC_ACME_CLIENT_SECRET", CLIENT_SECRET),
        ("PAYLOAD_SYNC_URL", "http://127.0.0.1:3000"),
        (
            "BA_TO_PAYLOAD_SECRET",
            "sync-secret-for-native-tests-0123456789",
        ),
        ("RECONCILE_ON_BOOT", "false"),
    ]);
    let idp = serve_idp(&t);
    sign_in_with_acme(
        &t,
        &idp,
        &mut t.client(),
        claims("sub-1", "ada@example.com", true, now_s(&t)),
    );
    assert_eq!(
        t.sql.count(r#"select count(*) from "sync_outbox""#),
        1,
        "queued in the sign-up's batch"
    );
}

#[test]
fn a_plain_oauth_provider_without_discovery_signs_in_from_its_userinfo() {
    let t = TestApp::with_vars(&[
        ("OIDC_PROVIDERS", "plain"),
        (
            "OIDC_PLAIN_AUTHORIZATION_URL",
            "https://oauth.example.com/authorize",
        ),
        ("OIDC_PLAIN_TOKEN_URL", "https://oauth.example.com/token"),
        ("OIDC_PLAIN_USERINFO_URL", "https://oauth.example.com/me"),
        ("OIDC_PLAIN_CLIENT_ID", "plain-client"),
        ("OIDC_PLAIN_CLIENT_SECRET", "plain-secret"),
        ("OIDC_PLAIN_SCOPES", "profile email"),
    ]);
    t.outbound.serve("https://oauth.example.com", |req: &OutboundRequest| {
        if req.url.ends_with("/token") {
            json_answer(200, json!({"access_token": "plain-access", "token_type": "Bearer"}))
        } else {
            json_answer(200, json!({"id": 77, "email": "lin@example.com", "email_verified": true, "name": "Lin"}))
        }
    });
    let mut c = t.client();
    let started = c.post(
        "/api/auth/sign-in/social",
        json!({"provider": "plain", "callbackURL": "/in"}),
    );
    let q = query_of(started.json()["url"].as_str().unwrap());
    assert!(started.json()["url"]
        .as_str()
        .unwrap()
        .starts_with("https://oauth.example.com/authorize?"));
    assert_eq!(q["scope"], "profile email");
    assert!(
        !q.contains_key("nonce"),
        "no keys to check a nonce with: not an OpenID provider"
    );
    let res = c.get(&format!(
        "/api/auth/callback/plain?code=c&state={}",
        q["state"]
    ));
    assert_eq!(res.header("location").as_deref(), Some("/in"));
    assert_eq!(c.session()["user"]["email"], "lin@example.com");
    assert_eq!(
        c.get("/api/auth/list-accounts").json()[0]["accountId"],
        "77"
    );
}

#[test]
fn microsoft_multi_tenant_tokens_must_come_from_the_tenant_they_name() {
    const AUTHORITY: &str = "https://login.microsoft.test";
    let t = TestApp::with_vars(&[
        ("MICROSOFT_CLIENT_ID", "ms-client"),
        ("MICROSOFT_CLIENT_SECRET", "ms-secret"),
        ("MICROSOFT_ISSUER", AUTHORITY),
    ]);
    let next_claims: Rc<RefCell<Value>> = Rc::default();
    let served = next_claims.clone();
    t.outbound.serve(AUTHORITY, move |req: &OutboundRequest| {
        if req.url.ends_with("/common/discovery/v2.0/keys") {
            return json_answer(200, json!({"keys": [{"kty": "OKP", "crv": "Ed25519", "kid": "idp-1",
                "x": URL_SAFE_NO_PAD.encode(signing_key().verifying_key().to_bytes())}]}));
        }
        assert!(req.url.ends_with("/common/oauth2/v2.0/token"), "{}", req.url);
        json_answer(200, json!({"access_token": "ms-access", "token_type": "Bearer", "id_token": jwt(&served.borrow())}))
    });
    let sign_in = |tenant_in_iss: &str| {
        let mut c = t.client();
        let started = c.post(
            "/api/auth/sign-in/social",
            json!({"provider": "microsoft", "callbackURL": "/in", "errorCallbackURL": "/oops"}),
        );
        let url = started.json()["url"].as_str().unwrap().to_string();
        assert!(url.starts_with(&format!("{AUTHORITY}/common/oauth2/v2.0/authorize?")));
        let q = query_of(&url);
        let now = now_s(&t);
        *next_claims.borrow_mut() = json!({
            "iss": format!("{AUTHORITY}/{tenant_in_iss}/v2.0"), "tid": "tenant-a", "aud": "ms-client",
            "sub": "pairwise-sub", "oid": "object-1", "email": "ms@example.com", "name": "Ms",
            "iat": now, "exp": now + 600, "nonce": q["nonce"],
        });
        let res = c.get(&format!(
            "/api/auth/callback/microsoft?code=c&state={}",
            q["state"]
        ));
        (res.header("location").unwrap(), c)
    };
    let (location, _) = sign_in("tenant-b");
    assert_eq!(location, "/oops?error=unable_to_get_user_info");
    let (location, mut c) = sign_in("tenant-a");
    assert_eq!(location, "/in");
    assert_eq!(
        c.get("/api/auth/list-accounts").json()[0]["accountId"],
        "object-1",
        "Microsoft's account id is oid"
    );
}

#[test]
fn a_form_post_callback_is_sent_on_to_the_get_callback() {
    let t = app();
    let res = t.send(raw(
        "POST",
        "/api/auth/callback/apple?iss=x",
        &[("content-type", "application/x-www-form-urlencoded")],
        b"code=c1&state=s1&user=%7B%22name%22%3A%7B%22firstName%22%3A%22Grace%22%7D%7D&id_token=dropped",
    ));
    assert_eq!(res.status(), 302);
    let location = res.header("location").unwrap();
    assert_eq!(
        location,
        format!("{BASE}/api/auth/callback/apple?code=c1&state=s1&user=%7B%22name%22%3A%7B%22firstName%22%3A%22Grace%22%7D%7D&iss=x")
    );
}

#[test]
fn a_callback_naming_another_issuer_is_refused() {
    let t = app();
    let idp = serve_idp(&t);
    let mut c = t.client();
    let callback = start_with_acme(
        &t,
        &idp,
        &mut c,
        claims("s", "a@example.com", true, now_s(&t)),
    );
    let forged = callback.replace(&format!("iss={ISSUER}"), "iss=https://evil.example.com");
    assert_eq!(
        c.get(&forged).header("location").as_deref(),
        Some("/oops?error=issuer_mismatch")
    );
}

#[test]
fn linking_with_an_id_token_answers_better_auths_codes() {
    let t = app();
    let _idp = serve_idp(&t);
    let now = now_s(&t);
    let token = |sub: &str, email: &str, verified: bool| jwt(&claims(sub, email, verified, now));
    let mut ada = t.client();
    ada.sign_up("ada@example.com", PASSWORD);
    let link = |c: &mut Client<'_>, token: String| {
        c.post(
            "/api/auth/link-social",
            json!({"provider": "acme", "idToken": {"token": token}}),
        )
    };
    link(&mut ada, token("sub-1", "ada@example.com", false))
        .assert_error(401, "LINKING_NOT_ALLOWED");
    link(&mut ada, token("sub-1", "other@example.com", true))
        .assert_error(401, "LINKING_DIFFERENT_EMAILS_NOT_ALLOWED");
    let linked = link(&mut ada, token("sub-1", "ada@example.com", true));
    assert_eq!(
        linked.json(),
        json!({"url": "", "status": true, "redirect": false})
    );
    let mut eve = t.client();
    eve.sign_up("eve@example.com", PASSWORD);
    link(&mut eve, token("sub-1", "eve@example.com", true))
        .assert_error(409, "SOCIAL_ACCOUNT_ALREADY_LINKED");
}
