//! Sync delivery through `App`: user changes queue work in their own batch, the follow-up and the
//! cron send it signed, and every kind of answer leads to the right next step.
#![cfg(not(target_arch = "wasm32"))]

mod support;

use futures::executor::block_on;
use portcullis::features::sync::outbox;
use portcullis::net::signature::{self, Signed};
use serde_json::json;
use support::*;

const SYNC_SECRET: &str = "sync-secret-for-native-tests-0123456789";
const RECEIVER: &str = "http://127.0.0.1:3000";
const PASSWORD: &str = "correct horse battery";

fn sync_app(extra: &[(&str, &str)]) -> TestApp {
    // Delivery only: no reconcile on the first cron run (tests/sync_reconcile.rs covers it).
    let mut vars = vec![
        ("PAYLOAD_SYNC_URL", RECEIVER),
        ("BA_TO_PAYLOAD_SECRET", SYNC_SECRET),
        ("RECONCILE_ON_BOOT", "false"),
    ];
    vars.extend_from_slice(extra);
    TestApp::with_vars(&vars)
}

fn sign_up(t: &TestApp, email: &str) -> (String, Vec<String>) {
    let body = json!({"name": "Synced", "email": email, "password": PASSWORD}).to_string();
    let (res, synced) = t.post_json("/api/auth/sign-up/email", &[], body.as_bytes());
    assert_eq!(res.status(), 200);
    (res.header("set-auth-token").unwrap(), synced)
}

fn outbox_rows(t: &TestApp) -> Vec<outbox::OutboxRow> {
    block_on(outbox::rows(&t.sql)).unwrap()
}

fn cron(t: &TestApp) {
    block_on(t.app.scheduled("* * * * *", t.clock.get()));
}

fn header<'a>(headers: &'a [(&'static str, String)], name: &str) -> &'a str {
    headers
        .iter()
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.as_str())
        .unwrap_or_default()
}

#[test]
fn without_sync_configured_nothing_is_queued() {
    let t = TestApp::new();
    t.client().sign_up("plain@example.com", PASSWORD);
    assert_eq!(t.sql.count(r#"select count(*) from "sync_outbox""#), 0);
}

#[test]
fn a_sign_up_is_queued_with_the_user_and_sent_signed_right_after_the_response() {
    let t = sync_app(&[]);
    let (_, synced) = sign_up(&t, "new@example.com");
    assert_eq!(synced.len(), 1);
    assert_eq!(
        outbox_rows(&t).len(),
        1,
        "the outbox row committed with the user"
    );
    block_on(t.app.follow_up(&synced, &[], t.clock.get()));
    assert!(outbox_rows(&t).is_empty(), "{:?}", t.logs.0.borrow());

    let requests = t.outbound.requests.borrow();
    let (url, headers, body) = &requests[0];
    assert_eq!(url, "http://127.0.0.1:3000/api/ba-sync/events");
    let event = &body["events"][0];
    assert_eq!(
        (event["type"].as_str(), event["version"].as_i64()),
        (Some("user.upsert"), Some(1))
    );
    assert_eq!(event["user"]["email"], "new@example.com");
    assert_eq!(event["user"]["id"], json!(synced[0]));
    assert_eq!(event["accounts"][0]["providerId"], "credential");
    assert!(
        event["user"].get("password").is_none() && event["accounts"][0].get("password").is_none()
    );
    assert_eq!(header(headers, "x-ba-sync-key-id"), "1");
    let raw_body = t.outbound.raw_bodies.borrow()[0].clone();
    let signed = Signed {
        timestamp: header(headers, "x-ba-sync-timestamp").parse().unwrap(),
        nonce: header(headers, "x-ba-sync-nonce"),
        request_id: header(headers, "x-ba-sync-id"),
        method: "POST",
        path: "/api/ba-sync/events",
        body: &raw_body,
    };
    assert_eq!(
        signature::verify(
            &signed,
            header(headers, "x-ba-sync-signature"),
            &[SYNC_SECRET.as_bytes()],
            START / 1000
        ),
        Ok(())
    );
    assert_eq!(
        t.sql.count(
            r#"select cast("value" as integer) from "sync_state" where "key" = 'processed'"#
        ),
        1
    );
}

#[test]
fn profile_updates_and_deletions_are_queued_too_and_a_quick_delete_wins() {
    let t = sync_app(&[]);
    let (token, _) = sign_up(&t, "short-lived@example.com");
    let auth = format!("Bearer {token}");
    let update = t.send(raw(
        "POST",
        "/api/auth/update-user",
        &[
            ("content-type", "application/json"),
            ("authorization", &auth),
        ],
        br#"{"name":"Renamed"}"#,
    ));
    assert_eq!(update.status(), 200);
    assert_eq!(outbox_rows(&t)[0].version, 2);
    let delete = t.send(raw(
        "POST",
        "/api/auth/delete-user",
        &[
            ("content-type", "application/json"),
            ("authorization", &auth),
        ],
        json!({"password": PASSWORD}).to_string().as_bytes(),
    ));
    assert_eq!(delete.status(), 200);
    cron(&t);
    let events = t.outbound.events();
    assert_eq!(events.len(), 1, "only the delete is sent: {events:?}");
    assert_eq!(
        (events[0]["type"].as_str(), events[0]["version"].as_i64()),
        (Some("user.delete"), Some(3))
    );
}

#[test]
fn transient_failures_back_off_and_then_deliver() {
    let t = sync_app(&[]);
    t.outbound.then(Answer::Status(503, None));
    t.outbound.then(Answer::Silence);
    let (_, synced) = sign_up(&t, "flaky@example.com");
    block_on(t.app.follow_up(&synced, &[], t.clock.get()));
    let row = &outbox_rows(&t)[0];
    assert_eq!(
        (row.status.as_str(), row.attempts, row.last_error.as_deref()),
        ("pending", 1, Some("HTTP 503"))
    );
    let wait = row.next_attempt_at - t.clock.get();
    assert!(
        (2_000..=2_500).contains(&wait),
        "first retry after 2 s + jitter, got {wait}"
    );
    t.advance(1_000);
    cron(&t);
    assert_eq!(t.outbound.requests.borrow().len(), 1, "not due yet");
    t.advance(1_600);
    cron(&t);
    let row = &outbox_rows(&t)[0];
    assert_eq!(row.attempts, 2);
    let wait = row.next_attempt_at - t.clock.get();
    assert!(
        (4_000..=4_500).contains(&wait),
        "second retry after 4 s + jitter, got {wait}"
    );
    t.advance(4_600);
    cron(&t);
    assert!(outbox_rows(&t).is_empty());
    let events = t.outbound.events();
    assert_eq!(events.len(), 3);
    assert!(
        events.iter().all(|e| e["eventId"] == events[0]["eventId"]),
        "the event id is stable across retries"
    );
}

#[test]
fn retry_after_is_honoured() {
    let t = sync_app(&[]);
    t.outbound.then(Answer::Status(429, Some("30")));
    let (_, synced) = sign_up(&t, "busy@example.com");
    block_on(t.app.follow_up(&synced, &[], t.clock.get()));
    assert_eq!(outbox_rows(&t)[0].next_attempt_at - t.clock.get(), 30_000);
}

#[test]
fn refused_messages_are_parked_dead_and_revived_by_the_next_change() {
    let t = sync_app(&[]);
    t.outbound.then(Answer::Status(422, None));
    let (token, synced) = sign_up(&t, "refused@example.com");
    block_on(t.app.follow_up(&synced, &[], t.clock.get()));
    assert_eq!(outbox_rows(&t)[0].status, "dead");
    t.advance(3_600_000);
    cron(&t);
    assert_eq!(
        t.outbound.requests.borrow().len(),
        1,
        "dead rows are not retried"
    );
    assert!(t
        .logs
        .0
        .borrow()
        .iter()
        .any(|(_, m)| m.starts_with("[queue]") && m.contains("1 dead")));
    let auth = format!("Bearer {token}");
    t.send(raw(
        "POST",
        "/api/auth/update-user",
        &[
            ("content-type", "application/json"),
            ("authorization", &auth),
        ],
        br#"{"name":"Again"}"#,
    ));
    cron(&t);
    assert!(outbox_rows(&t).is_empty());
}

#[test]
fn after_twenty_five_failures_a_row_is_dead() {
    let t = sync_app(&[]);
    sign_up(&t, "hopeless@example.com");
    t.sql.exec(r#"update "sync_outbox" set "attempts" = 24"#);
    t.outbound.then(Answer::Status(500, None));
    cron(&t);
    let row = &outbox_rows(&t)[0];
    assert_eq!(row.status, "dead");
    assert!(row
        .last_error
        .as_deref()
        .unwrap()
        .contains("gave up after 25 attempts"));
}

#[test]
fn duplicate_and_stale_answers_count_as_delivered() {
    for status in ["duplicate", "stale"] {
        let t = sync_app(&[]);
        t.outbound.then(Answer::AllWith(status));
        let (_, synced) = sign_up(&t, "dup@example.com");
        block_on(t.app.follow_up(&synced, &[], t.clock.get()));
        assert!(outbox_rows(&t).is_empty(), "{status}");
    }
}

#[test]
fn the_request_budget_bounds_one_invocation() {
    // 12 units for delivery: three rounds of four (claim, read, send, record).
    let t = sync_app(&[("SYNC_SUBREQUEST_BUDGET", "20"), ("SYNC_BATCH_SIZE", "2")]);
    for i in 0..7 {
        sign_up(&t, &format!("many{i}@example.com"));
    }
    cron(&t);
    assert_eq!(t.outbound.requests.borrow().len(), 3);
    assert_eq!(t.outbound.events().len(), 6, "several events per request");
    assert_eq!(outbox_rows(&t).len(), 1);
    assert!(t
        .logs
        .0
        .borrow()
        .iter()
        .any(|(_, m)| m.contains("budget spent, more is due")));
    cron(&t);
    assert!(outbox_rows(&t).is_empty());
}

#[test]
fn during_a_rotation_both_secrets_sign() {
    let t = sync_app(&[
        (
            "BA_TO_PAYLOAD_PREVIOUS_SECRET",
            "the-previous-sync-secret-0123456789",
        ),
        ("BA_TO_PAYLOAD_KEY_ID", "2"),
    ]);
    let (_, synced) = sign_up(&t, "rotation@example.com");
    block_on(t.app.follow_up(&synced, &[], t.clock.get()));
    let requests = t.outbound.requests.borrow();
    let headers = &requests[0].1;
    assert_eq!(header(headers, "x-ba-sync-key-id"), "2");
    assert_eq!(header(headers, "x-ba-sync-signature").split(' ').count(), 2);
}

#[test]
fn a_401_is_retried_a_bounded_number_of_times_then_parked_dead() {
    let t = sync_app(&[]);
    let (_, synced) = sign_up(&t, "unauthorized@example.com");
    for _ in 0..portcullis::features::sync::drain::UNAUTHORIZED_ATTEMPTS {
        t.outbound.then(Answer::Status(401, None));
    }
    block_on(t.app.follow_up(&synced, &[], t.clock.get()));
    for attempt in 2..=portcullis::features::sync::drain::UNAUTHORIZED_ATTEMPTS {
        assert_eq!(outbox_rows(&t)[0].status, "pending", "attempt {attempt}");
        t.advance(120_000);
        cron(&t);
    }
    let row = &outbox_rows(&t)[0];
    assert_eq!(row.status, "dead");
    assert!(row
        .last_error
        .as_deref()
        .unwrap()
        .contains("HTTP 401 after 5 attempts"));
    assert_eq!(t.outbound.requests.borrow().len(), 5);
}

#[test]
fn every_request_of_a_long_run_is_signed_with_the_time_it_is_sent() {
    // A slow receiver: each request takes 400 s, more than the receiver's 300 s window.
    let t = sync_app(&[("SYNC_BATCH_SIZE", "1")]);
    for i in 0..3 {
        sign_up(&t, &format!("slow{i}@example.com"));
    }
    t.outbound.latency.set(400_000);
    let started = t.clock.get();
    cron(&t);
    let requests = t.outbound.requests.borrow();
    assert_eq!(requests.len(), 3);
    let stamps: Vec<i64> = requests
        .iter()
        .map(|(_, headers, _)| {
            header(headers, signature::HEADER_TIMESTAMP)
                .parse()
                .unwrap()
        })
        .collect();
    let first = started / 1000;
    assert_eq!(stamps, vec![first, first + 400, first + 800]);
}

#[test]
fn only_400_409_and_422_bury_a_row_and_other_4xx_are_retried_and_reported_loudly() {
    for (status, dead) in [
        (400, true),
        (409, true),
        (422, true),
        (403, false),
        (404, false),
        (405, false),
        (418, false),
    ] {
        let t = sync_app(&[]);
        t.outbound.then(Answer::Status(status, None));
        let (_, synced) = sign_up(&t, "classes@example.com");
        block_on(t.app.follow_up(&synced, &[], t.clock.get()));
        let row = &outbox_rows(&t)[0];
        assert_eq!(
            row.status,
            if dead { "dead" } else { "pending" },
            "HTTP {status}"
        );
        let class = if dead {
            "lastError.refused"
        } else {
            "lastError.misconfigured"
        };
        assert_eq!(
            t.sql.count(&format!(
                r#"select count(*) from "sync_state" where "key" = '{class}'"#
            )),
            1,
            "HTTP {status}"
        );
        if !dead {
            assert!(
                t.logs
                    .0
                    .borrow()
                    .iter()
                    .any(|(level, m)| *level == portcullis::drivers::Level::Error
                        && m.contains("as if misconfigured")),
                "HTTP {status}"
            );
            t.advance(120_000);
            cron(&t);
            assert!(
                outbox_rows(&t).is_empty(),
                "HTTP {status}: delivered once the receiver is fixed"
            );
        }
    }
}

#[test]
fn a_413_splits_the_batch_until_the_receiver_takes_it() {
    let t = sync_app(&[]);
    for i in 0..4 {
        sign_up(&t, &format!("split{i}@example.com"));
    }
    t.outbound.then(Answer::Status(413, None));
    t.outbound.then(Answer::Status(413, None));
    cron(&t);
    assert!(outbox_rows(&t).is_empty(), "every event delivered");
    let sizes: Vec<usize> = t
        .outbound
        .requests
        .borrow()
        .iter()
        .map(|(_, _, body)| body["events"].as_array().map_or(0, Vec::len))
        .collect();
    assert_eq!(sizes, vec![4, 2, 1, 1, 2]);
    // One event the receiver cannot take even alone is refused.
    let t = sync_app(&[]);
    t.outbound.then(Answer::Status(413, None));
    let (_, synced) = sign_up(&t, "huge@example.com");
    block_on(t.app.follow_up(&synced, &[], t.clock.get()));
    assert_eq!(outbox_rows(&t)[0].status, "dead");
}

#[test]
fn a_sync_url_with_a_path_signs_the_path_it_requests() {
    let t = sync_app(&[("PAYLOAD_SYNC_URL", "http://127.0.0.1:3000/cms/")]);
    let (_, synced) = sign_up(&t, "pathed@example.com");
    block_on(t.app.follow_up(&synced, &[], t.clock.get()));
    assert!(outbox_rows(&t).is_empty());
    let requests = t.outbound.requests.borrow();
    let (url, headers, _) = &requests[0];
    assert_eq!(url, "http://127.0.0.1:3000/cms/api/ba-sync/events");
    let raw_body = t.outbound.raw_bodies.borrow()[0].clone();
    let signed = |path| Signed {
        timestamp: header(headers, "x-ba-sync-timestamp").parse().unwrap(),
        nonce: header(headers, "x-ba-sync-nonce"),
        request_id: header(headers, "x-ba-sync-id"),
        method: "POST",
        path,
        body: &raw_body,
    };
    let sig = header(headers, "x-ba-sync-signature");
    let secrets = [SYNC_SECRET.as_bytes()];
    assert_eq!(
        signature::verify(
            &signed("/cms/api/ba-sync/events"),
            sig,
            &secrets,
            START / 1000
        ),
        Ok(())
    );
    assert!(
        signature::verify(&signed("/api/ba-sync/events"), sig, &secrets, START / 1000).is_err()
    );
}

#[test]
fn backoff_counts_from_when_the_failure_happened() {
    let t = sync_app(&[]);
    let (_, synced) = sign_up(&t, "slowfail@example.com");
    t.outbound.latency.set(5_000); // the receiver takes 5 s to fail
    t.outbound.then(Answer::Status(503, None));
    let started = t.clock.get();
    block_on(t.app.follow_up(&synced, &[], started));
    let row = &outbox_rows(&t)[0];
    assert!(
        row.next_attempt_at >= started + 5_000 + 2_000,
        "the 2 s backoff starts at the answer, 5 s in: {}",
        row.next_attempt_at - started
    );
}

#[test]
fn a_retry_after_pauses_all_delivery_to_the_receiver() {
    let t = sync_app(&[]);
    t.outbound.then(Answer::Status(429, Some("30")));
    let (_, first) = sign_up(&t, "paused1@example.com");
    block_on(t.app.follow_up(&first, &[], t.clock.get()));
    let (_, second) = sign_up(&t, "paused2@example.com");
    block_on(t.app.follow_up(&second, &[], t.clock.get()));
    t.advance(29_000);
    cron(&t);
    assert_eq!(
        t.outbound.requests.borrow().len(),
        1,
        "nothing is sent during the pause"
    );
    t.advance(2_000);
    cron(&t);
    assert!(outbox_rows(&t).is_empty());
    assert_eq!(
        t.outbound.requests.borrow().len(),
        2,
        "both users go out together after it"
    );
}

#[test]
fn occurred_at_is_the_time_of_the_change_on_every_retry() {
    let t = sync_app(&[]);
    let changed_at = portcullis::time::to_iso(t.clock.get());
    let (token, synced) = sign_up(&t, "occurred@example.com");
    t.outbound.then(Answer::Status(503, None));
    block_on(t.app.follow_up(&synced, &[], t.clock.get()));
    t.advance(10_000);
    cron(&t);
    t.advance(5_000);
    let deleted_at = portcullis::time::to_iso(t.clock.get());
    t.outbound.then(Answer::Status(503, None));
    let res = t.send(raw(
        "POST",
        "/api/auth/delete-user",
        &[
            ("content-type", "application/json"),
            ("authorization", &format!("Bearer {token}")),
        ],
        json!({"password": PASSWORD}).to_string().as_bytes(),
    ));
    assert_eq!(res.status(), 200);
    cron(&t);
    t.advance(10_000);
    cron(&t);
    let stamps: Vec<(String, String)> = t
        .outbound
        .events()
        .iter()
        .map(|e| {
            (
                e["type"].as_str().unwrap().to_string(),
                e["occurredAt"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        stamps,
        vec![
            ("user.upsert".to_string(), changed_at.clone()),
            ("user.upsert".to_string(), changed_at),
            ("user.delete".to_string(), deleted_at.clone()),
            ("user.delete".to_string(), deleted_at),
        ]
    );
}

#[test]
fn a_round_goes_out_in_requests_of_at_most_the_byte_cap_within_the_budget() {
    // Each upsert is about 500 bytes: a 4 KB cap takes about seven per request.
    let t = sync_app(&[
        ("SYNC_BATCH_BYTES", "4096"),
        ("SYNC_SUBREQUEST_BUDGET", "15"),
    ]);
    for i in 0..40 {
        sign_up(&t, &format!("sized{i:02}@example.com"));
    }
    cron(&t);
    let sizes: Vec<usize> = t
        .outbound
        .raw_bodies
        .borrow()
        .iter()
        .map(Vec::len)
        .collect();
    assert!(sizes.iter().all(|s| *s <= 4096), "{sizes:?}");
    assert!(sizes.len() >= 2, "{sizes:?}");
    let sent = t.outbound.events().len();
    let pending = outbox_rows(&t);
    assert_eq!(
        sent + pending.len(),
        40,
        "what the budget did not cover waits, untouched"
    );
    assert!(pending
        .iter()
        .all(|r| r.status == "pending" && r.attempts == 0));
    t.advance(1_000);
    cron(&t);
    cron(&t);
    assert!(outbox_rows(&t).is_empty());
}

/// An admin (promoted as `npm run admin -- promote` does) and a user, both synced already.
fn admin_and_user(t: &TestApp) -> (Client<'_>, String) {
    let mut admin = t.client();
    admin.sign_up("boss@example.com", PASSWORD);
    t.sql
        .exec(r#"update "user" set "role" = 'admin' where "email" = 'boss@example.com'"#);
    let id = t.client().sign_up("worker@example.com", PASSWORD).json()["user"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    cron(t);
    t.outbound.requests.borrow_mut().clear();
    (admin, id)
}

fn last_upsert_of(t: &TestApp, id: &str) -> serde_json::Value {
    t.outbound
        .events()
        .into_iter()
        .rev()
        .find(|e| e["type"] == "user.upsert" && e["user"]["id"] == id)
        .unwrap_or_else(|| panic!("no upsert of {id}"))
}

#[test]
fn protocol_2_tells_the_receiver_each_role_and_ban_an_admin_sets() {
    let t = sync_app(&[]);
    let (mut admin, id) = admin_and_user(&t);
    let role = admin.post(
        "/api/auth/admin/set-role",
        json!({"userId": id, "role": ["editor", "viewer"]}),
    );
    assert_eq!(role.status(), 200);
    cron(&t);
    let event = last_upsert_of(&t, &id);
    assert_eq!(event["user"]["role"], "editor,viewer");
    assert_eq!(event["user"]["banned"], false);
    let requests = t.outbound.requests.borrow().clone();
    assert_eq!(header(&requests[0].1, "x-ba-sync-protocol"), "2");

    admin.post("/api/auth/admin/ban-user", json!({"userId": id}));
    cron(&t);
    assert_eq!(last_upsert_of(&t, &id)["user"]["banned"], true);
    admin.post("/api/auth/admin/unban-user", json!({"userId": id}));
    cron(&t);
    assert_eq!(last_upsert_of(&t, &id)["user"]["banned"], false);
}

#[test]
fn protocol_1_sends_the_record_as_it_always_was() {
    let t = sync_app(&[("SYNC_PROTOCOL", "1")]);
    let (mut admin, id) = admin_and_user(&t);
    admin.post("/api/auth/admin/ban-user", json!({"userId": id}));
    cron(&t);
    let user = &last_upsert_of(&t, &id)["user"];
    let mut fields: Vec<&str> = user
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    fields.sort_unstable();
    assert_eq!(
        fields,
        [
            "createdAt",
            "email",
            "emailVerified",
            "id",
            "image",
            "name",
            "updatedAt"
        ]
    );
    let requests = t.outbound.requests.borrow().clone();
    assert!(requests[0]
        .1
        .iter()
        .all(|(k, _)| *k != "x-ba-sync-protocol"));
}
