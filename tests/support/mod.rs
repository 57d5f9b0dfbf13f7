//! Native test harness: `App` over rusqlite (with the real D1 migrations) and the in-memory KV,
//! a stepped clock, and a small client that keeps cookies like a browser.
#![allow(dead_code)]

use async_trait::async_trait;
use portcullis::app::App;
use portcullis::config::Config;
use portcullis::crypto::password::RustScrypt;
use portcullis::drivers::{Drivers, Level, Log};
use portcullis::net::outbound::{NoAnswer, Outbound, OutboundRequest, OutboundResponse};
use portcullis::rate_limit::memory::MemoryLimiter;
use portcullis::storage::memory_kv::MemoryKv;
use portcullis::storage::migrations::MIGRATIONS;
use portcullis::storage::{Executed, Row, Sql, Statement, StorageError, Value};
use portcullis::time::Millis;
use rusqlite::types::ValueRef;
use rusqlite::Connection;
use serde_json::Value as Json;
use std::cell::{Cell, RefCell};
use std::rc::Rc;

pub const SECRET: &str = "test-secret-that-is-long-enough-for-hmac-0123456789";
pub const BASE: &str = "http://127.0.0.1:8787";
pub const SPA: &str = "http://127.0.0.1:5173";
pub const START: Millis = 1_767_225_600_000; // 2026-01-01T00:00:00.000Z

/// Work a test slips in just before the first write whose SQL contains a pattern: another
/// request committing between a handler's read and its write.
type Interleaved = (&'static str, Box<dyn FnOnce(&Connection)>);

/// rusqlite behind `Sql`, shared so tests can inspect the database directly.
#[derive(Clone)]
pub struct Sqlite(
    pub Rc<RefCell<Connection>>,
    Rc<RefCell<Option<Interleaved>>>,
);

impl Sqlite {
    pub fn migrated() -> Sqlite {
        let conn = Connection::open_in_memory().expect("in-memory sqlite");
        conn.execute_batch("PRAGMA foreign_keys = ON;")
            .expect("pragma");
        for (_, sql) in MIGRATIONS {
            conn.execute_batch(sql).expect("migration applies");
        }
        Sqlite(Rc::new(RefCell::new(conn)), Rc::default())
    }

    /// Runs `work` once, right before the next write (`execute` or batch) containing `pattern`.
    pub fn before_write(&self, pattern: &'static str, work: impl FnOnce(&Connection) + 'static) {
        *self.1.borrow_mut() = Some((pattern, Box::new(work)));
    }

    fn interleave(&self, statements: &[Statement]) {
        let due = matches!(&*self.1.borrow(), Some((p, _)) if statements.iter().any(|s| s.sql.contains(p)));
        if due {
            if let Some((_, work)) = self.1.borrow_mut().take() {
                work(&self.0.borrow());
            }
        }
    }

    pub fn count(&self, sql: &str) -> i64 {
        self.0
            .borrow()
            .query_row(sql, [], |r| r.get(0))
            .expect("count query")
    }

    /// The first column of the first row, as text (`None` for null).
    pub fn text(&self, sql: &str) -> Option<String> {
        self.0
            .borrow()
            .query_row(sql, [], |r| r.get(0))
            .expect("text query")
    }

    pub fn exec(&self, sql: &str) {
        self.0.borrow().execute_batch(sql).expect("exec");
    }
}

fn to_sql(v: &Value) -> rusqlite::types::Value {
    match v {
        Value::Null => rusqlite::types::Value::Null,
        Value::Integer(n) => rusqlite::types::Value::Integer(*n),
        Value::Text(s) => rusqlite::types::Value::Text(s.clone()),
    }
}

fn error(e: rusqlite::Error) -> StorageError {
    match e.sqlite_error_code() {
        Some(rusqlite::ErrorCode::ConstraintViolation) => StorageError::Conflict(e.to_string()),
        _ => StorageError::Query(e.to_string()),
    }
}

fn run(conn: &Connection, stmt: &Statement) -> Result<u64, StorageError> {
    let params: Vec<_> = stmt.params.iter().map(to_sql).collect();
    conn.execute(&stmt.sql, rusqlite::params_from_iter(params))
        .map(|n| n as u64)
        .map_err(error)
}

/// Runs a statement, collecting the rows it returns (a select, or `returning`).
fn rows(conn: &Connection, stmt: &Statement) -> Result<Vec<Row>, StorageError> {
    let mut prepared = conn.prepare(&stmt.sql).map_err(error)?;
    let names: Vec<String> = prepared.column_names().map(|s| s.to_string()).collect();
    let params: Vec<_> = stmt.params.iter().map(to_sql).collect();
    let mut rows = prepared
        .query(rusqlite::params_from_iter(params))
        .map_err(error)?;
    let mut out = Vec::new();
    while let Some(row) = rows.next().map_err(error)? {
        let mut map = Row::new();
        for (i, name) in names.iter().enumerate() {
            let value = match row.get_ref(i).map_err(error)? {
                ValueRef::Null => Json::Null,
                ValueRef::Integer(n) => Json::from(n),
                ValueRef::Real(f) => Json::from(f),
                ValueRef::Text(t) => Json::String(String::from_utf8_lossy(t).into_owned()),
                ValueRef::Blob(_) => Json::Null,
            };
            map.insert(name.clone(), value);
        }
        out.push(map);
    }
    Ok(out)
}

#[async_trait(?Send)]
impl Sql for Sqlite {
    async fn query(&self, stmt: Statement) -> Result<Vec<Row>, StorageError> {
        rows(&self.0.borrow(), &stmt)
    }

    async fn execute(&self, stmt: Statement) -> Result<u64, StorageError> {
        self.interleave(std::slice::from_ref(&stmt));
        run(&self.0.borrow(), &stmt)
    }

    async fn run_batch(&self, stmts: Vec<Statement>) -> Result<Vec<Executed>, StorageError> {
        self.interleave(&stmts);
        let mut conn = self.0.borrow_mut();
        let tx = conn.transaction().map_err(error)?;
        let mut done = Vec::new();
        for stmt in &stmts {
            // Statements that return rows (a select, or `returning`) are read; the rest run.
            let prepared = tx.prepare(&stmt.sql).map_err(error)?;
            let (returns_rows, read_only) = (prepared.column_count() > 0, prepared.readonly());
            drop(prepared);
            done.push(if returns_rows {
                let rows = rows(&tx, stmt)?;
                Executed {
                    changes: if read_only { 0 } else { tx.changes() },
                    rows,
                }
            } else {
                Executed {
                    changes: run(&tx, stmt)?,
                    rows: Vec::new(),
                }
            });
        }
        tx.commit().map_err(error)?;
        Ok(done)
    }
}

#[derive(Clone, Default)]
pub struct Captured(pub Rc<RefCell<Vec<(Level, String)>>>);

/// What the scripted receiver answers: a status (and `Retry-After`), or no answer at all.
#[derive(Clone, Debug)]
pub enum Answer {
    /// 200 with `{"results":[{eventId, status}]}` for every event in the request.
    AllWith(&'static str),
    Status(u16, Option<&'static str>),
    Silence,
}

/// A request as the scripted receiver saw it: URL, headers, parsed body.
pub type Recorded = (String, Vec<(&'static str, String)>, serde_json::Value);

/// An outbound driver that records every request and answers from a script (then with
/// `AllWith("applied")` once the script runs out).
#[derive(Clone, Default)]
pub struct Scripted {
    pub requests: Rc<RefCell<Vec<Recorded>>>,
    pub script: Rc<RefCell<std::collections::VecDeque<Answer>>>,
    /// The exact bytes of every request body.
    pub raw_bodies: Rc<RefCell<Vec<Vec<u8>>>>,
    /// The receiver's users (id → version) as the applied events leave them; manifests answer
    /// from it.
    pub remote: Rc<RefCell<std::collections::BTreeMap<String, i64>>>,
    /// How long each request takes: the test clock moves on by this much per request.
    pub latency: Rc<Cell<Millis>>,
    pub clock: Rc<Cell<Millis>>,
    /// Other servers (identity providers) by URL prefix, answering before the sync receiver.
    pub servers: Rc<RefCell<Vec<Route>>>,
}

/// A server that answers requests whose URL starts with its prefix.
pub type Server = dyn Fn(&OutboundRequest) -> OutboundResponse;
pub type Route = (String, Rc<Server>);

/// A JSON answer from a scripted server.
pub fn json_answer(status: u16, body: serde_json::Value) -> OutboundResponse {
    OutboundResponse {
        status,
        retry_after: None,
        cache_control: None,
        body: body.to_string().into_bytes(),
    }
}

impl Scripted {
    /// Answers requests under `prefix` with `server`.
    pub fn serve(
        &self,
        prefix: &str,
        server: impl Fn(&OutboundRequest) -> OutboundResponse + 'static,
    ) {
        self.servers
            .borrow_mut()
            .push((prefix.to_string(), Rc::new(server)));
    }

    pub fn then(&self, answer: Answer) {
        self.script.borrow_mut().push_back(answer);
    }

    fn apply(&self, body: &serde_json::Value) {
        let mut remote = self.remote.borrow_mut();
        for event in body["events"].as_array().into_iter().flatten() {
            let version = event["version"].as_i64().unwrap_or(0);
            if event["type"] == "user.upsert" {
                remote.insert(
                    event["user"]["id"].as_str().unwrap_or_default().to_string(),
                    version,
                );
            } else {
                remote.remove(event["userId"].as_str().unwrap_or_default());
            }
        }
    }

    /// The receiver's users in `(after, upTo]`, by id, at most `limit`.
    fn manifest(&self, body: &serde_json::Value) -> OutboundResponse {
        let after = body["after"].as_str().unwrap_or("");
        let up_to = body["upTo"].as_str();
        let limit = body["limit"].as_u64().unwrap_or(500) as usize;
        let in_range: Vec<(String, i64)> = self
            .remote
            .borrow()
            .iter()
            .filter(|(id, _)| id.as_str() > after && up_to.is_none_or(|u| id.as_str() <= u))
            .map(|(id, v)| (id.clone(), *v))
            .collect();
        let page: Vec<serde_json::Value> = in_range
            .iter()
            .take(limit)
            .map(|(id, v)| serde_json::json!({"id": id, "version": v}))
            .collect();
        let body = serde_json::json!({"users": page, "hasMore": in_range.len() > limit});
        OutboundResponse {
            cache_control: None,
            status: 200,
            retry_after: None,
            body: body.to_string().into_bytes(),
        }
    }

    /// The events of every request so far, flattened.
    pub fn events(&self) -> Vec<serde_json::Value> {
        self.requests
            .borrow()
            .iter()
            .flat_map(|(_, _, body)| body["events"].as_array().cloned().unwrap_or_default())
            .collect()
    }
}

#[async_trait(?Send)]
impl Outbound for Scripted {
    async fn send(&self, request: OutboundRequest) -> Result<OutboundResponse, NoAnswer> {
        self.clock.set(self.clock.get() + self.latency.get());
        let server = self
            .servers
            .borrow()
            .iter()
            .find(|(prefix, _)| request.url.starts_with(prefix.as_str()))
            .map(|(_, server)| server.clone());
        if let Some(server) = server {
            return Ok(server(&request));
        }
        let body: serde_json::Value =
            serde_json::from_slice(&request.body).expect("the drain sends JSON");
        if request.url.ends_with("/api/ba-sync/manifest") {
            let answer = self.manifest(&body);
            self.requests
                .borrow_mut()
                .push((request.url, request.headers, body));
            return Ok(answer);
        }
        let answer = self
            .script
            .borrow_mut()
            .pop_front()
            .unwrap_or(Answer::AllWith("applied"));
        let ids: Vec<serde_json::Value> = body["events"]
            .as_array()
            .map(|e| e.iter().map(|e| e["eventId"].clone()).collect())
            .unwrap_or_default();
        if matches!(answer, Answer::AllWith("applied")) {
            self.apply(&body);
        }
        self.raw_bodies.borrow_mut().push(request.body.clone());
        self.requests
            .borrow_mut()
            .push((request.url, request.headers, body));
        match answer {
            Answer::AllWith(status) => {
                let results: Vec<serde_json::Value> = ids
                    .into_iter()
                    .map(|id| serde_json::json!({"eventId": id, "status": status}))
                    .collect();
                Ok(OutboundResponse {
                    status: 200,
                    retry_after: None,
                    cache_control: None,
                    body: serde_json::json!({"results": results})
                        .to_string()
                        .into_bytes(),
                })
            }
            Answer::Status(status, retry_after) => Ok(OutboundResponse {
                status,
                retry_after: retry_after.map(str::to_string),
                cache_control: None,
                body: Vec::new(),
            }),
            Answer::Silence => Err(NoAnswer("connection refused".into())),
        }
    }
}

impl Log for Captured {
    fn log(&self, level: Level, message: &str) {
        self.0.borrow_mut().push((level, message.to_string()));
    }
}

/// The stepped clock as a `Timer`: sleeping moves it forward, and every sleep is recorded.
#[derive(Clone)]
pub struct SteppedTimer {
    pub clock: Rc<Cell<Millis>>,
    pub sleeps: Rc<RefCell<Vec<Millis>>>,
}

#[async_trait(?Send)]
impl portcullis::time::Timer for SteppedTimer {
    fn now(&self) -> Millis {
        self.clock.get()
    }

    async fn sleep(&self, ms: Millis) {
        self.sleeps.borrow_mut().push(ms);
        self.clock.set(self.clock.get() + ms);
    }
}

pub struct TestApp {
    pub app: App,
    pub sql: Sqlite,
    pub kv: MemoryKv,
    pub clock: Rc<Cell<Millis>>,
    pub logs: Captured,
    pub outbound: Scripted,
    pub timer: SteppedTimer,
}

pub fn vars(extra: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut v = vec![
        ("BETTER_AUTH_SECRET".to_string(), SECRET.to_string()),
        ("BETTER_AUTH_URL".to_string(), BASE.to_string()),
        ("TRUSTED_ORIGINS".to_string(), SPA.to_string()),
    ];
    for (k, val) in extra {
        v.retain(|(name, _)| name != k);
        v.push((k.to_string(), val.to_string()));
    }
    v
}

impl TestApp {
    pub fn new() -> TestApp {
        TestApp::with_vars(&[])
    }

    pub fn with_vars(extra: &[(&str, &str)]) -> TestApp {
        let vars = vars(extra);
        let config = Config::from_lookup(|name| {
            vars.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone())
        });
        TestApp::with_config(config)
    }

    pub fn with_config(config: Result<Config, portcullis::config::ConfigError>) -> TestApp {
        let clock = Rc::new(Cell::new(START));
        let sql = Sqlite::migrated();
        let kv = MemoryKv::with_clock(clock.clone());
        let logs = Captured::default();
        let outbound = Scripted {
            clock: clock.clone(),
            ..Scripted::default()
        };
        let timer = SteppedTimer {
            clock: clock.clone(),
            sleeps: Default::default(),
        };
        let drivers = Drivers {
            sql: Box::new(sql.clone()),
            kv: Box::new(kv.clone()),
            kdf: Box::new(RustScrypt),
            log: Box::new(logs.clone()),
            isolate: Default::default(),
            outbound: Box::new(outbound.clone()),
            timer: Box::new(timer.clone()),
            limiter: Box::new(MemoryLimiter::with_clock(clock.clone())),
            warnings: Default::default(),
        };
        TestApp {
            app: App::new(config, drivers),
            sql,
            kv,
            clock,
            logs,
            outbound,
            timer,
        }
    }

    pub fn advance(&self, ms: Millis) {
        self.clock.set(self.clock.get() + ms);
    }

    /// Answers a request as the platform does, with the users whose change it queued for sync.
    pub fn respond(&self, req: http::Request<Vec<u8>>) -> (Response, Vec<String>) {
        let handled = futures::executor::block_on(self.app.respond(req, self.clock.get()));
        (Response(handled.response), handled.synced_users)
    }

    /// The sync attempt the platform makes right after a response.
    pub fn follow_up(&self, synced: &[String]) {
        futures::executor::block_on(self.app.follow_up(synced, &[], self.clock.get()));
    }

    /// A JSON POST, answered as the platform does (see [`TestApp::respond`]).
    pub fn post_json(
        &self,
        path: &str,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> (Response, Vec<String>) {
        let mut all = vec![("content-type", "application/json")];
        all.extend_from_slice(headers);
        self.respond(raw("POST", path, &all, body))
    }

    pub fn send(&self, req: http::Request<Vec<u8>>) -> Response {
        let res = futures::executor::block_on(self.app.handle(req, self.clock.get()));
        Response(res)
    }

    /// Runs the mail drain as the cron would (everything due).
    pub fn deliver_mail(&self) {
        futures::executor::block_on(self.app.deliver_mail(self.clock.get(), None, 100));
    }

    /// Delivers due mail, then reads the development mailbox of `email` (newest first).
    pub fn mailbox(&self, email: &str) -> Vec<Json> {
        self.deliver_mail();
        let res = self
            .client()
            .get(&format!("/api/auth/dev/mailbox?email={email}"));
        assert_eq!(res.status(), 200, "the development mailbox answers");
        res.json()["messages"]
            .as_array()
            .cloned()
            .unwrap_or_default()
    }

    /// The link in the newest message to `email`, as a path on this service.
    pub fn latest_link(&self, email: &str) -> String {
        let messages = self.mailbox(email);
        let url = messages
            .first()
            .unwrap_or_else(|| panic!("a message to {email}"))["url"]
            .as_str()
            .expect("a url")
            .to_string();
        url.strip_prefix(BASE)
            .expect("links point at BETTER_AUTH_URL")
            .to_string()
    }

    /// A client of its own, at an address of its own (so per-client rate limits count it alone).
    pub fn client(&self) -> Client<'_> {
        Client {
            app: self,
            cookies: Vec::new(),
            headers: vec![("cf-connecting-ip".to_string(), fresh_ip())],
        }
    }
}

pub struct Response(pub http::Response<Vec<u8>>);

impl Response {
    pub fn status(&self) -> u16 {
        self.0.status().as_u16()
    }
    pub fn json(&self) -> Json {
        serde_json::from_slice(self.0.body())
            .unwrap_or_else(|_| panic!("not JSON: {:?}", String::from_utf8_lossy(self.0.body())))
    }
    pub fn body_is_empty(&self) -> bool {
        self.0.body().is_empty()
    }
    pub fn code(&self) -> String {
        self.json()["code"].as_str().unwrap_or_default().to_string()
    }
    pub fn header(&self, name: &str) -> Option<String> {
        self.0
            .headers()
            .get(name)
            .map(|v| v.to_str().unwrap_or_default().to_string())
    }
    pub fn set_cookies(&self) -> Vec<String> {
        self.0
            .headers()
            .get_all("set-cookie")
            .iter()
            .map(|v| v.to_str().unwrap_or_default().to_string())
            .collect()
    }
    /// Asserts an error answer that carries a message and no code.
    #[track_caller]
    pub fn assert_error_message(&self, status: u16, message: &str) {
        assert_eq!(
            self.status(),
            status,
            "body: {}",
            String::from_utf8_lossy(self.0.body())
        );
        assert_eq!(self.json()["message"], message);
    }

    /// Asserts a better-auth error answer.
    #[track_caller]
    pub fn assert_error(&self, status: u16, code: &str) {
        assert_eq!(
            self.status(),
            status,
            "body: {}",
            String::from_utf8_lossy(self.0.body())
        );
        assert_eq!(self.code(), code);
    }
}

/// A client that keeps the cookies it is given, as a browser on the base origin would.
pub struct Client<'a> {
    pub app: &'a TestApp,
    pub cookies: Vec<(String, String)>,
    pub headers: Vec<(String, String)>,
}

impl Client<'_> {
    /// The same browser from another address (a fresh per-client rate limit).
    pub fn new_address(&mut self) {
        self.headers.retain(|(k, _)| k != "cf-connecting-ip");
        self.headers
            .push(("cf-connecting-ip".to_string(), fresh_ip()));
    }

    pub fn with_header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_string(), value.to_string()));
        self
    }

    pub fn request(&mut self, method: &str, path: &str, body: Option<Json>) -> Response {
        let mut builder = http::Request::builder()
            .method(method)
            .uri(format!("{BASE}{path}"));
        for (k, v) in &self.headers {
            builder = builder.header(k.as_str(), v.as_str());
        }
        if !self.cookies.is_empty() {
            let jar: Vec<String> = self
                .cookies
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect();
            builder = builder
                .header("cookie", jar.join("; "))
                .header("origin", BASE);
        }
        let bytes = match body {
            Some(b) => {
                builder = builder.header("content-type", "application/json");
                serde_json::to_vec(&b).expect("json")
            }
            None => Vec::new(),
        };
        let res = self.app.send(builder.body(bytes).expect("request"));
        for line in res.set_cookies() {
            let pair = line.split(';').next().unwrap_or_default();
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            self.cookies.retain(|(n, _)| n != name);
            if !line.contains("Max-Age=0") {
                self.cookies.push((name.to_string(), value.to_string()));
            }
        }
        res
    }

    pub fn get(&mut self, path: &str) -> Response {
        self.request("GET", path, None)
    }

    pub fn post(&mut self, path: &str, body: Json) -> Response {
        self.request("POST", path, Some(body))
    }

    pub fn sign_up(&mut self, email: &str, password: &str) -> Response {
        self.post(
            "/api/auth/sign-up/email",
            serde_json::json!({"name": "Test User", "email": email, "password": password}),
        )
    }

    pub fn sign_in(&mut self, email: &str, password: &str) -> Response {
        self.post(
            "/api/auth/sign-in/email",
            serde_json::json!({"email": email, "password": password}),
        )
    }

    pub fn session(&mut self) -> Json {
        self.get("/api/auth/get-session").json()
    }

    pub fn cookie(&self, name: &str) -> Option<String> {
        self.cookies
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.clone())
    }
}

/// An address no other client in this test process has used (198.18.0.0/15, for benchmarks).
pub fn fresh_ip() -> String {
    thread_local!(static NEXT: Cell<u32> = const { Cell::new(1) });
    let n = NEXT.with(|c| {
        let n = c.get();
        c.set(n + 1);
        n
    });
    format!("198.{}.{}.{}", 18 + n / 65_536 % 2, n / 256 % 256, n % 256)
}

/// A raw request with explicit headers and body bytes, from a fresh address unless the headers
/// name one.
pub fn raw(
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> http::Request<Vec<u8>> {
    let mut b = http::Request::builder()
        .method(method)
        .uri(format!("{BASE}{path}"));
    if !headers
        .iter()
        .any(|(k, _)| k.eq_ignore_ascii_case("cf-connecting-ip"))
    {
        b = b.header("cf-connecting-ip", fresh_ip());
    }
    for (k, v) in headers {
        b = b.header(*k, *v);
    }
    b.body(body.to_vec()).expect("request")
}
