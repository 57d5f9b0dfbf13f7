//! The sync outbox's SQL over SQLite with the real migrations: one row per user, supersede rules,
//! claims with leases, versioned completion, retries, and atomicity with the change itself.
#![cfg(not(target_arch = "wasm32"))]

mod support;

use futures::executor::block_on;
use portcullis::features::sync::outbox::{self, OutboxRow};
use portcullis::storage::{Sql, Statement};
use support::Sqlite;

const NOW: i64 = 1_767_225_600_000;
const LEASE: i64 = 90_000;

fn run(db: &Sqlite, stmts: Vec<Statement>) {
    block_on(db.batch(stmts)).unwrap();
}

fn rows(db: &Sqlite) -> Vec<OutboxRow> {
    block_on(outbox::rows(db)).unwrap()
}

fn claim(db: &Sqlite, owner: &str, now: i64) -> Vec<OutboxRow> {
    block_on(outbox::claim(db, owner, now, LEASE, 10, None)).unwrap()
}

#[test]
fn changes_to_one_user_keep_one_row_with_the_newest_version_and_event() {
    let db = Sqlite::migrated();
    run(&db, outbox::record_change("u1", "e1", NOW));
    run(&db, outbox::record_change("u1", "e2", NOW + 1));
    let r = rows(&db);
    assert_eq!(r.len(), 1);
    assert_eq!(
        (
            r[0].op.as_str(),
            r[0].version,
            r[0].event_id.as_str(),
            r[0].status.as_str()
        ),
        ("upsert", 2, "e2", "pending")
    );
}

#[test]
fn a_delete_supersedes_a_pending_upsert_and_never_the_reverse() {
    let db = Sqlite::migrated();
    run(&db, outbox::record_change("u1", "e1", NOW));
    run(&db, outbox::record_delete("u1", "e2", NOW + 1));
    let r = rows(&db);
    assert_eq!(
        (r[0].op.as_str(), r[0].version, r[0].event_id.as_str()),
        ("delete", 2, "e2")
    );
    run(&db, outbox::record_change("u1", "e3", NOW + 2));
    let r = rows(&db);
    assert_eq!(r.len(), 1);
    assert_eq!(
        (r[0].op.as_str(), r[0].event_id.as_str()),
        ("delete", "e2"),
        "an upsert never resurrects a pending delete"
    );
}

#[test]
fn a_claim_is_exclusive_until_its_lease_expires() {
    let db = Sqlite::migrated();
    run(&db, outbox::record_change("u1", "e1", NOW));
    run(&db, outbox::record_change("u2", "e2", NOW));
    let first = claim(&db, "run-a", NOW);
    assert_eq!(first.len(), 2);
    assert!(first
        .iter()
        .all(|r| r.status == "inflight" && r.lease_owner.as_deref() == Some("run-a")));
    assert!(
        claim(&db, "run-b", NOW + 1).is_empty(),
        "overlapping runs never claim a row twice"
    );
    let reclaimed = claim(&db, "run-b", NOW + LEASE + 1);
    assert_eq!(
        reclaimed.len(),
        2,
        "a row whose sender died is reclaimed after its lease"
    );
    assert!(reclaimed
        .iter()
        .all(|r| r.lease_owner.as_deref() == Some("run-b")));
}

#[test]
fn claims_take_user_operations_first_and_respect_the_limit_and_schedule() {
    let db = Sqlite::migrated();
    db.exec(r#"insert into "sync_outbox" ("userId","op","version","eventId","priority","status","attempts","nextAttemptAt","createdAt","updatedAt") values ('r1','upsert',1,'er',1,'pending',0,0,0,0)"#);
    run(&db, outbox::record_change("u1", "e1", NOW));
    run(&db, outbox::record_change("later", "e2", NOW + 60_000));
    let got = block_on(outbox::claim(&db, "run", NOW, LEASE, 1, None)).unwrap();
    assert_eq!(got[0].user_id, "u1");
    let got = claim(&db, "run", NOW);
    assert_eq!(
        got.iter().map(|r| r.user_id.as_str()).collect::<Vec<_>>(),
        ["r1"],
        "rows not yet due stay"
    );
    let only = block_on(outbox::claim(
        &db,
        "fast",
        NOW + 60_000,
        LEASE,
        10,
        Some("later"),
    ))
    .unwrap();
    assert_eq!(only.len(), 1);
}

#[test]
fn completion_is_versioned_so_a_change_made_in_flight_is_still_sent() {
    let db = Sqlite::migrated();
    run(&db, outbox::record_change("u1", "e1", NOW));
    let claimed = claim(&db, "run", NOW).remove(0);
    run(&db, outbox::record_change("u1", "e2", NOW + 5));
    run(&db, outbox::complete(&claimed, "run"));
    let r = rows(&db);
    assert_eq!(r.len(), 1);
    assert_eq!(
        (
            r[0].version,
            r[0].status.as_str(),
            r[0].lease_owner.as_deref()
        ),
        (2, "pending", None)
    );
    let again = claim(&db, "run", NOW + 10).remove(0);
    run(&db, outbox::complete(&again, "run"));
    assert!(rows(&db).is_empty());
    assert_eq!(
        db.count(r#"select cast("value" as integer) from "sync_state" where "key" = 'processed'"#),
        2
    );
}

#[test]
fn retries_wait_and_buried_rows_revive_on_the_next_change() {
    let db = Sqlite::migrated();
    run(&db, outbox::record_change("u1", "e1", NOW));
    let claimed = claim(&db, "run", NOW).remove(0);
    run(
        &db,
        outbox::retry(&claimed, "run", NOW + 2_000, "HTTP 503", NOW),
    );
    let r = &rows(&db)[0];
    assert_eq!(
        (
            r.status.as_str(),
            r.attempts,
            r.next_attempt_at,
            r.last_error.as_deref()
        ),
        ("pending", 1, NOW + 2_000, Some("HTTP 503"))
    );
    assert!(claim(&db, "run", NOW + 1_999).is_empty());
    let claimed = claim(&db, "run", NOW + 2_000).remove(0);
    run(&db, outbox::bury(&claimed, "run", "HTTP 400", NOW));
    assert_eq!(rows(&db)[0].status, "dead");
    assert!(
        claim(&db, "run", NOW + 10_000_000).is_empty(),
        "dead rows are not sent"
    );
    run(&db, outbox::record_change("u1", "e3", NOW + 3));
    let r = &rows(&db)[0];
    assert_eq!(
        (r.status.as_str(), r.attempts, r.version),
        ("pending", 0, 2)
    );
    assert_eq!(
        db.count(r#"select cast("value" as integer) from "sync_state" where "key" = 'failed'"#),
        2
    );
}

#[test]
fn a_batch_that_fails_writes_neither_the_change_nor_its_outbox_row() {
    let db = Sqlite::migrated();
    let mut batch = outbox::record_change("u1", "e1", NOW);
    batch.push(Statement::new(
        r#"insert into "no_such_table" values (1)"#,
        vec![],
    ));
    assert!(block_on(db.batch(batch)).is_err());
    assert!(rows(&db).is_empty());
    assert_eq!(db.count(r#"select count(*) from "sync_version""#), 0);
}

#[test]
fn a_claimed_delete_stays_a_delete_when_the_user_changes_meanwhile() {
    let db = Sqlite::migrated();
    run(&db, outbox::record_delete("u1", "d1", NOW));
    let claimed = claim(&db, "run", NOW).remove(0);
    run(&db, outbox::record_change("u1", "late", NOW + 1));
    run(&db, outbox::complete(&claimed, "run"));
    let r = rows(&db);
    assert_eq!(
        (r.len(), r[0].op.as_str(), r[0].version),
        (1, "delete", 2),
        "the newer version is sent, still as a delete"
    );
}

#[test]
fn a_refusal_of_one_version_never_buries_a_newer_change_made_in_flight() {
    for (newer, op) in [
        (
            outbox::record_delete as fn(&str, &str, i64) -> Vec<Statement>,
            "delete",
        ),
        (outbox::record_change, "upsert"),
    ] {
        let db = Sqlite::migrated();
        run(&db, outbox::record_change("u1", "e1", NOW));
        let claimed = claim(&db, "run", NOW).remove(0);
        run(&db, newer("u1", "e2", NOW + 1));
        run(&db, outbox::bury(&claimed, "run", "HTTP 422", NOW + 2));
        let r = &rows(&db)[0];
        assert_eq!(
            (r.status.as_str(), r.op.as_str(), r.version, r.attempts),
            ("pending", op, 2, 0),
            "version 2 ({op}) is still to be sent"
        );
        assert_eq!(claim(&db, "run", NOW + 3).len(), 1, "and it is due at once");
    }
}

#[test]
fn a_failure_of_one_version_does_not_hold_back_a_newer_change_made_in_flight() {
    let db = Sqlite::migrated();
    run(&db, outbox::record_change("u1", "e1", NOW));
    let claimed = claim(&db, "run", NOW).remove(0);
    run(&db, outbox::record_delete("u1", "e2", NOW + 1));
    run(
        &db,
        outbox::retry(&claimed, "run", NOW + 60_000, "HTTP 503", NOW + 2),
    );
    let r = &rows(&db)[0];
    assert_eq!(
        (r.status.as_str(), r.op.as_str(), r.version, r.attempts),
        ("pending", "delete", 2, 0)
    );
    assert_eq!(
        claim(&db, "run", NOW + 3).len(),
        1,
        "the delete goes out without waiting"
    );
}
