//! Full reconcile and the operator endpoints, against the scripted receiver's model of its users.
#![cfg(not(target_arch = "wasm32"))]

mod support;

use futures::executor::block_on;
use portcullis::features::sync::outbox;
use serde_json::json;
use support::*;

const TOKEN: &str = "operator-token-for-tests-0123456789";

fn sync_app(extra: &[(&str, &str)]) -> TestApp {
    let mut vars = vec![
        ("PAYLOAD_SYNC_URL", "http://127.0.0.1:3000"),
        (
            "BA_TO_PAYLOAD_SECRET",
            "sync-secret-for-native-tests-0123456789",
        ),
        ("RECONCILE_TOKEN", TOKEN),
    ];
    vars.extend_from_slice(extra);
    TestApp::with_vars(&vars)
}

fn import_user(t: &TestApp, id: &str) {
    t.sql.exec(&format!(r#"insert into "user" ("id", "name", "email", "emailVerified", "image", "createdAt", "updatedAt") values ('{id}', 'Imported', '{id}@example.com', 1, null, '2025-01-01T00:00:00.000Z', '2025-01-01T00:00:00.000Z')"#));
}

fn cron(t: &TestApp) {
    block_on(t.app.scheduled("* * * * *", t.clock.get()));
}

fn remote_ids(t: &TestApp) -> Vec<String> {
    t.outbound.remote.borrow().keys().cloned().collect()
}

fn operator(
    t: &TestApp,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: serde_json::Value,
) -> Response {
    let mut headers = vec![("content-type", "application/json")];
    if let Some(token) = token {
        headers.push(("x-reconcile-token", token));
    }
    let bytes = if method == "GET" {
        Vec::new()
    } else {
        body.to_string().into_bytes()
    };
    t.send(raw(
        method,
        &format!("/api/auth/reconcile/{path}"),
        &headers,
        &bytes,
    ))
}

#[test]
fn the_first_run_after_deploying_brings_existing_users_to_the_receiver() {
    let t = sync_app(&[]);
    for id in ["a1", "b2", "c3"] {
        import_user(&t, id);
    }
    cron(&t);
    assert_eq!(remote_ids(&t), ["a1", "b2", "c3"]);
    assert!(t
        .logs
        .0
        .borrow()
        .iter()
        .any(|(_, m)| m.starts_with("[reconcile:rec_") && m.contains("finished")));
    let requests = t.outbound.requests.borrow().len();
    cron(&t);
    assert_eq!(
        t.outbound.requests.borrow().len(),
        requests,
        "no new reconcile until RECONCILE_EVERY_MS has passed"
    );
    t.advance(30 * 60 * 1000);
    cron(&t);
    assert!(
        t.outbound.requests.borrow().len() > requests,
        "the periodic reconcile runs"
    );
}

#[test]
fn no_reconcile_on_boot_when_disabled() {
    let t = sync_app(&[("RECONCILE_ON_BOOT", "false")]);
    import_user(&t, "a1");
    cron(&t);
    assert!(t.outbound.requests.borrow().is_empty());
}

#[test]
fn paging_resumes_across_runs_and_sees_changes_between_pages_without_false_orphans() {
    // A budget of 20 leaves the reconcile 5 units a run: one page (a state read, the local page,
    // one manifest request, the write). Two users per page.
    let t = sync_app(&[
        ("RECONCILE_PAGE_SIZE", "2"),
        ("SYNC_SUBREQUEST_BUDGET", "20"),
    ]);
    for id in ["u01", "u02", "u03", "u04", "u05", "u06", "u07"] {
        import_user(&t, id);
    }
    t.outbound.remote.borrow_mut().extend([
        ("u035".to_string(), 4),
        ("zz9".to_string(), 1),
        ("u02".to_string(), 1),
    ]);
    cron(&t);
    let state = block_on(outbox::state(&t.sql)).unwrap();
    assert_eq!(
        state.get("reconcile.cursor").map(String::as_str),
        Some("u02"),
        "one page per run; the cursor is stored"
    );
    import_user(&t, "u045");
    t.sql.exec(r#"delete from "user" where "id" = 'u06'"#);
    for _ in 0..6 {
        cron(&t);
    }
    let state = block_on(outbox::state(&t.sql)).unwrap();
    assert!(
        !state.contains_key("reconcile.id"),
        "the reconcile finished"
    );
    let remote = remote_ids(&t);
    for id in ["u01", "u02", "u03", "u04", "u045", "u05", "u07"] {
        assert!(
            remote.contains(&id.to_string()),
            "{id} missing from {remote:?}"
        );
    }
    assert!(!remote.contains(&"u06".to_string()));
    assert_eq!(
        state.get("reconcile.orphans").map(String::as_str),
        Some("2"),
        "u035 and zz9 only: no false orphans"
    );
    assert!(
        remote.contains(&"u035".to_string()) && remote.contains(&"zz9".to_string()),
        "prune is off: orphans stay"
    );
}

#[test]
fn with_prune_on_receiver_only_users_are_deleted() {
    let t = sync_app(&[("RECONCILE_PRUNE", "true")]);
    import_user(&t, "keep");
    t.outbound
        .remote
        .borrow_mut()
        .extend([("gone".to_string(), 7), ("keep".to_string(), 1)]);
    cron(&t);
    assert_eq!(remote_ids(&t), ["keep"]);
    let delete = t
        .outbound
        .events()
        .into_iter()
        .find(|e| e["type"] == "user.delete")
        .unwrap();
    assert_eq!(
        (delete["userId"].as_str(), delete["version"].as_i64()),
        (Some("gone"), Some(8)),
        "a version above the receiver's"
    );
}

#[test]
fn operator_endpoints_need_the_token_and_are_off_without_one() {
    let t = sync_app(&[]);
    for (method, path) in [
        ("GET", "status"),
        ("POST", "run"),
        ("POST", "ensure"),
        ("POST", "delete"),
    ] {
        operator(&t, method, path, None, json!({})).assert_error(401, "UNAUTHORIZED");
        operator(&t, method, path, Some("wrong-token"), json!({}))
            .assert_error(401, "UNAUTHORIZED");
        operator(&t, method, path, Some(&format!("{TOKEN}x")), json!({}))
            .assert_error(401, "UNAUTHORIZED");
    }
    let off = sync_app(&[("RECONCILE_TOKEN", "")]);
    let res = operator(&off, "GET", "status", Some(TOKEN), json!({}));
    assert_eq!(res.status(), 404);
    assert!(res.json()["message"]
        .as_str()
        .unwrap()
        .contains("RECONCILE_TOKEN"));
}

#[test]
fn status_reports_the_queue_and_run_ensure_delete_drive_it() {
    let t = sync_app(&[("RECONCILE_ON_BOOT", "false")]);
    import_user(&t, "a1");
    import_user(&t, "b2");
    let status = operator(&t, "GET", "status", Some(TOKEN), json!(null)).json();
    assert_eq!(
        (
            status["queueSize"].as_i64(),
            status["reconciling"].as_bool(),
            status["processing"].as_bool()
        ),
        (Some(0), Some(false), Some(false))
    );
    for key in [
        "userOperationTasks",
        "fullReconcileTasks",
        "processed",
        "failed",
        "lastError",
        "lastSeedAt",
        "deadTasks",
        "oldestPendingAgeMs",
        "lastDrainAt",
        "pendingDeletions",
        "receiverOnlyUsers",
    ] {
        assert!(status.get(key).is_some(), "{key}");
    }
    assert_eq!(
        status["lastErrors"],
        json!({"refused": null, "misconfigured": null, "down": null})
    );

    operator(&t, "POST", "ensure", Some(TOKEN), json!({}))
        .assert_error_message(400, "missing user");
    operator(
        &t,
        "POST",
        "ensure",
        Some(TOKEN),
        json!({"user": {"id": "nobody"}}),
    )
    .assert_error(404, "USER_NOT_FOUND");
    assert_eq!(
        operator(
            &t,
            "POST",
            "ensure",
            Some(TOKEN),
            json!({"user": {"id": "a1"}})
        )
        .json(),
        json!({"ok": true})
    );
    t.advance(5_000);
    let status = operator(&t, "GET", "status", Some(TOKEN), json!(null)).json();
    assert_eq!(
        (
            status["queueSize"].as_i64(),
            status["userOperationTasks"].as_i64(),
            status["oldestPendingAgeMs"].as_i64()
        ),
        (Some(1), Some(1), Some(5_000))
    );

    let run = operator(&t, "POST", "run", Some(TOKEN), json!({})).json();
    assert!(run["reconcileId"].as_str().unwrap().starts_with("rec_"));
    assert_eq!(
        operator(&t, "GET", "status", Some(TOKEN), json!(null)).json()["reconciling"],
        true
    );
    cron(&t);
    assert_eq!(remote_ids(&t), ["a1", "b2"]);
    let status = operator(&t, "GET", "status", Some(TOKEN), json!(null)).json();
    assert_eq!(
        (
            status["queueSize"].as_i64(),
            status["processed"].as_i64(),
            status["reconciling"].as_bool()
        ),
        (Some(0), Some(2), Some(false))
    );

    operator(&t, "POST", "delete", Some(TOKEN), json!({}))
        .assert_error_message(400, "missing baId");
    assert_eq!(
        operator(&t, "POST", "delete", Some(TOKEN), json!({"baId": "b2"})).json(),
        json!({"ok": true})
    );
    cron(&t);
    assert_eq!(remote_ids(&t), ["a1"]);
}

#[test]
fn a_reconcile_revives_dead_rows() {
    let t = sync_app(&[("RECONCILE_ON_BOOT", "false")]);
    import_user(&t, "a1");
    t.outbound.then(Answer::Status(400, None));
    operator(
        &t,
        "POST",
        "ensure",
        Some(TOKEN),
        json!({"user": {"id": "a1"}}),
    );
    cron(&t);
    assert_eq!(
        operator(&t, "GET", "status", Some(TOKEN), json!(null)).json()["deadTasks"],
        1
    );
    operator(&t, "POST", "run", Some(TOKEN), json!({}));
    cron(&t);
    assert_eq!(remote_ids(&t), ["a1"]);
    assert_eq!(
        operator(&t, "GET", "status", Some(TOKEN), json!(null)).json()["deadTasks"],
        0
    );
}

fn sign_up_synced(t: &TestApp, email: &str) -> (String, String) {
    let body =
        json!({"name": "Synced", "email": email, "password": "correct horse battery"}).to_string();
    let (res, synced) = t.post_json("/api/auth/sign-up/email", &[], body.as_bytes());
    t.follow_up(&synced);
    (
        res.header("set-auth-token").unwrap(),
        res.json()["user"]["id"].as_str().unwrap().to_string(),
    )
}

/// A signed-in user's request, and its sync follow-up right after.
fn act(t: &TestApp, token: &str, path: &str, body: &[u8]) {
    let auth = format!("Bearer {token}");
    let (_, synced) = t.post_json(path, &[("authorization", &auth)], body);
    t.follow_up(&synced);
}

#[test]
fn a_deletion_the_receiver_refused_is_delivered_by_the_reconcile_even_with_prune_off() {
    let t = sync_app(&[("RECONCILE_ON_BOOT", "false")]);
    let (token, id) = sign_up_synced(&t, "refused-delete@example.com");
    assert!(remote_ids(&t).contains(&id));
    t.outbound.then(Answer::Status(422, None));
    act(
        &t,
        &token,
        "/api/auth/delete-user",
        br#"{"password":"correct horse battery"}"#,
    );
    assert_eq!(block_on(outbox::rows(&t.sql)).unwrap()[0].status, "dead");
    assert!(
        remote_ids(&t).contains(&id),
        "the receiver still has the user"
    );
    operator(&t, "POST", "run", Some(TOKEN), json!({}));
    for _ in 0..3 {
        cron(&t);
    }
    assert!(
        !remote_ids(&t).contains(&id),
        "the deletion arrived, prune off notwithstanding"
    );
    assert!(block_on(outbox::rows(&t.sql)).unwrap().is_empty());
    let status = operator(&t, "GET", "status", Some(TOKEN), json!(null)).json();
    assert_eq!(
        (
            status["deadTasks"].as_i64(),
            status["receiverOnlyUsers"].as_i64()
        ),
        (Some(0), Some(0))
    );
}

#[test]
fn a_reconcile_clears_dead_rows_whose_change_the_receiver_holds_after_all() {
    let t = sync_app(&[("RECONCILE_ON_BOOT", "false")]);
    let (token, id) = sign_up_synced(&t, "settled@example.com");
    t.outbound.then(Answer::Status(422, None));
    act(
        &t,
        &token,
        "/api/auth/update-user",
        br#"{"name":"Renamed"}"#,
    );
    assert_eq!(block_on(outbox::rows(&t.sql)).unwrap()[0].status, "dead");
    // The receiver got version 2 some other way (an operator replayed it).
    t.outbound.remote.borrow_mut().insert(id, 2);
    operator(&t, "POST", "run", Some(TOKEN), json!({}));
    cron(&t);
    assert!(
        block_on(outbox::rows(&t.sql)).unwrap().is_empty(),
        "nothing left dead or to send"
    );
}

#[test]
fn a_range_full_of_receiver_only_users_pages_within_the_budget() {
    // 5 units a run for the reconcile; manifests of 5 users; 60 receiver-only users in one range.
    let t = sync_app(&[
        ("RECONCILE_PAGE_SIZE", "5"),
        ("SYNC_SUBREQUEST_BUDGET", "20"),
    ]);
    for id in ["a0", "z9"] {
        import_user(&t, id);
    }
    t.outbound
        .remote
        .borrow_mut()
        .extend((0..60).map(|i| (format!("m{i:03}"), 1)));
    let mut runs = 0;
    loop {
        let before = t.outbound.requests.borrow().len();
        cron(&t);
        runs += 1;
        let manifests = t.outbound.requests.borrow()[before..]
            .iter()
            .filter(|(url, _, _)| url.ends_with("/manifest"))
            .count();
        assert!(
            manifests <= 2,
            "run {runs}: {manifests} manifest requests on a 5-unit budget"
        );
        let state = block_on(outbox::state(&t.sql)).unwrap();
        if !state.contains_key("reconcile.id") {
            assert_eq!(
                state.get("lastReconcileOrphans").map(String::as_str),
                Some("60")
            );
            break;
        }
        assert!(runs < 40, "the reconcile makes progress");
    }
    assert!(
        remote_ids(&t).contains(&"a0".to_string()) && remote_ids(&t).contains(&"z9".to_string())
    );
}

#[test]
fn a_dead_deletion_of_a_user_the_receiver_never_had_is_cleared_by_the_reconcile() {
    let t = sync_app(&[("RECONCILE_ON_BOOT", "false")]);
    t.outbound.then(Answer::Status(422, None));
    let (token, id) = sign_up_synced(&t, "never-there@example.com");
    assert!(!remote_ids(&t).contains(&id));
    t.outbound.then(Answer::Status(422, None));
    act(
        &t,
        &token,
        "/api/auth/delete-user",
        br#"{"password":"correct horse battery"}"#,
    );
    let rows = block_on(outbox::rows(&t.sql)).unwrap();
    assert_eq!(
        (rows[0].op.as_str(), rows[0].status.as_str()),
        ("delete", "dead")
    );
    operator(&t, "POST", "run", Some(TOKEN), json!({}));
    cron(&t);
    let left = block_on(outbox::rows(&t.sql)).unwrap();
    assert!(
        left.is_empty(),
        "the receiver is as D1: nothing left dead: {left:?} {:?}",
        t.logs.0.borrow()
    );
}

#[test]
fn a_retry_after_pauses_the_reconcile_too() {
    let t = sync_app(&[("RECONCILE_ON_BOOT", "false")]);
    import_user(&t, "p1");
    t.sql.exec(&format!(
        r#"insert into "sync_state" ("key", "value") values ('pausedUntil', '{}')"#,
        t.clock.get() + 30_000
    ));
    operator(&t, "POST", "run", Some(TOKEN), json!({}));
    cron(&t);
    assert!(
        t.outbound.requests.borrow().is_empty(),
        "no manifest during the pause"
    );
    t.advance(31_000);
    cron(&t);
    assert_eq!(remote_ids(&t), ["p1"]);
}
