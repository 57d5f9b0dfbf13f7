//! When D1 or KV fail, answers stay deliberate: D1 down fails closed with a 503 and a logged
//! cause; KV down costs only speed.
#![cfg(not(target_arch = "wasm32"))]

mod support;

use async_trait::async_trait;
use portcullis::app::App;
use portcullis::config::Config;
use portcullis::crypto::password::RustScrypt;
use portcullis::drivers::Drivers;
use portcullis::storage::memory_kv::MemoryKv;
use portcullis::storage::{Executed, Kv, Row, Sql, Statement, StorageError};
use serde_json::json;
use std::cell::Cell;
use std::rc::Rc;
use support::*;

/// Messages D1 answers with when it fails us, as the binding reports them.
const D1_FAILURES: [&str; 5] = [
    "D1_ERROR: Network connection lost.",
    "D1_ERROR: D1 DB is overloaded. Too many requests queued.",
    "D1_ERROR: D1 DB storage operation exceeded timeout which caused object to be reset.",
    "D1_ERROR: Internal error while starting up D1 DB storage caused object to be reset.",
    "D1_ERROR: no such table: user: SQLITE_ERROR",
];

/// A driver that works until `down` holds a message, then fails every call with it, classified
/// exactly as the D1 binding's errors are.
#[derive(Clone)]
struct Flaky<T> {
    inner: T,
    down: Rc<Cell<Option<&'static str>>>,
}

impl<T> Flaky<T> {
    fn check(&self) -> Result<(), StorageError> {
        match self.down.get() {
            Some(message) => Err(StorageError::from_binding_message(message.into())),
            None => Ok(()),
        }
    }
}

#[async_trait(?Send)]
impl Sql for Flaky<Sqlite> {
    async fn query(&self, stmt: Statement) -> Result<Vec<Row>, StorageError> {
        self.check()?;
        self.inner.query(stmt).await
    }
    async fn execute(&self, stmt: Statement) -> Result<u64, StorageError> {
        self.check()?;
        self.inner.execute(stmt).await
    }
    async fn run_batch(&self, stmts: Vec<Statement>) -> Result<Vec<Executed>, StorageError> {
        self.check()?;
        self.inner.run_batch(stmts).await
    }
}

#[async_trait(?Send)]
impl Kv for Flaky<MemoryKv> {
    async fn get(&self, key: &str) -> Result<Option<String>, StorageError> {
        self.check()?;
        self.inner.get(key).await
    }
    async fn put(&self, key: &str, value: &str, ttl: u64) -> Result<(), StorageError> {
        self.check()?;
        self.inner.put(key, value, ttl).await
    }
    async fn delete(&self, key: &str) -> Result<(), StorageError> {
        self.check()?;
        self.inner.delete(key).await
    }
}

struct Outage {
    app: App,
    d1_down: Rc<Cell<Option<&'static str>>>,
    kv_down: Rc<Cell<Option<&'static str>>>,
    logs: Captured,
}

fn outage_app() -> Outage {
    let vars = vars(&[]);
    let config =
        Config::from_lookup(|name| vars.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone()));
    let (d1_down, kv_down) = (Rc::new(Cell::new(None)), Rc::new(Cell::new(None)));
    let logs = Captured::default();
    let drivers = Drivers {
        sql: Box::new(Flaky {
            inner: Sqlite::migrated(),
            down: d1_down.clone(),
        }),
        kv: Box::new(Flaky {
            inner: MemoryKv::with_clock(Rc::new(Cell::new(START))),
            down: kv_down.clone(),
        }),
        kdf: Box::new(RustScrypt),
        log: Box::new(logs.clone()),
        isolate: Default::default(),
        outbound: Box::new(Scripted::default()),
        timer: Box::new(SteppedTimer {
            clock: Rc::new(Cell::new(START)),
            sleeps: Default::default(),
        }),
        limiter: Box::new(portcullis::rate_limit::memory::MemoryLimiter::default()),
        warnings: Default::default(),
    };
    Outage {
        app: App::new(config, drivers),
        d1_down,
        kv_down,
        logs,
    }
}

fn send(
    o: &Outage,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: serde_json::Value,
) -> Response {
    let mut all = vec![("content-type", "application/json")];
    all.extend_from_slice(headers);
    let bytes = if method == "GET" {
        Vec::new()
    } else {
        body.to_string().into_bytes()
    };
    Response(futures::executor::block_on(
        o.app.handle(raw(method, path, &all, &bytes), START + 1000),
    ))
}

fn signed_up(o: &Outage) -> String {
    let res = send(
        o,
        "POST",
        "/api/auth/sign-up/email",
        &[],
        json!({"name": "n", "email": "outage@example.com", "password": "correct horse battery"}),
    );
    assert_eq!(res.status(), 200);
    format!("Bearer {}", res.header("set-auth-token").unwrap())
}

#[test]
fn with_d1_down_sessions_fail_closed_and_the_cause_is_logged() {
    let o = outage_app();
    let auth = signed_up(&o);
    o.kv_down
        .set(Some("KV GET failed: 503 Service Unavailable"));
    for failure in D1_FAILURES {
        o.d1_down.set(Some(failure));
        let res = send(
            &o,
            "GET",
            "/api/auth/get-session",
            &[("authorization", &auth)],
            json!(null),
        );
        res.assert_error(503, "SERVICE_UNAVAILABLE");
    }
    o.d1_down.set(Some(D1_FAILURES[0]));
    send(
        &o,
        "POST",
        "/api/auth/sign-in/email",
        &[],
        json!({"email": "outage@example.com", "password": "correct horse battery"}),
    )
    .assert_error(503, "SERVICE_UNAVAILABLE");
    send(
        &o,
        "POST",
        "/api/auth/revoke-sessions",
        &[("authorization", &auth)],
        json!({}),
    )
    .assert_error(503, "SERVICE_UNAVAILABLE");
    assert!(o.logs.0.borrow().iter().any(|(_, m)| m
        .contains("failed with 503: storage unavailable: D1_ERROR: Network connection lost.")));
}

#[test]
fn with_kv_down_sessions_are_served_from_d1() {
    let o = outage_app();
    let auth = signed_up(&o);
    o.kv_down
        .set(Some("KV GET failed: 503 Service Unavailable"));
    let res = send(
        &o,
        "GET",
        "/api/auth/get-session",
        &[("authorization", &auth)],
        json!(null),
    );
    assert_eq!(res.json()["user"]["email"], "outage@example.com");
    let res = send(
        &o,
        "POST",
        "/api/auth/sign-in/email",
        &[],
        json!({"email": "outage@example.com", "password": "correct horse battery"}),
    );
    assert_eq!(res.status(), 200);
}

#[test]
fn a_sign_out_whose_cache_entry_cannot_be_removed_is_not_reported_as_done() {
    let o = outage_app();
    let auth = signed_up(&o);
    o.kv_down
        .set(Some("KV DELETE failed: 503 Service Unavailable"));
    let res = send(
        &o,
        "POST",
        "/api/auth/sign-out",
        &[("authorization", &auth)],
        json!({}),
    );
    res.assert_error(503, "SERVICE_UNAVAILABLE");
    assert!(
        res.0.headers().get_all("set-cookie").iter().count() >= 1,
        "the cookies are expired even so"
    );
}

#[test]
fn a_constraint_failure_reported_by_d1_is_a_conflict_not_an_outage() {
    let o = outage_app();
    signed_up(&o);
    let err = StorageError::from_binding_message(
        "D1_ERROR: UNIQUE constraint failed: user.email: SQLITE_CONSTRAINT".into(),
    );
    assert!(matches!(err, StorageError::Conflict(_)));
    // A duplicate sign-up answers as better-auth does, not 503.
    let res = send(
        &o,
        "POST",
        "/api/auth/sign-up/email",
        &[],
        json!({"name": "n", "email": "outage@example.com", "password": "correct horse battery"}),
    );
    res.assert_error(422, "USER_ALREADY_EXISTS_USE_ANOTHER_EMAIL");
}
