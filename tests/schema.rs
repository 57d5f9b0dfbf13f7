//! The D1 schema and the repositories over real SQLite: better-auth's DDL, atomic batches,
//! constraint conflicts, and dates written by other better-auth adapters.
#![cfg(not(target_arch = "wasm32"))]

mod support;

use futures::executor::block_on;
use portcullis::storage::migrations::MIGRATIONS;
use portcullis::storage::users::{self, User};
use portcullis::storage::{Sql, Statement, StorageError};
use support::Sqlite;

/// better-auth 1.7.25's SQLite DDL for the core tables (protocol reference §4.2).
const REFERENCE_DDL: &str = r#"
create table "user" ("id" text not null primary key, "name" text not null, "email" text not null unique, "emailVerified" integer not null, "image" text, "createdAt" date not null, "updatedAt" date not null);
create table "session" ("id" text not null primary key, "expiresAt" date not null, "token" text not null unique, "createdAt" date not null, "updatedAt" date not null, "ipAddress" text, "userAgent" text, "userId" text not null references "user" ("id") on delete cascade);
create table "account" ("id" text not null primary key, "accountId" text not null, "providerId" text not null, "userId" text not null references "user" ("id") on delete cascade, "accessToken" text, "refreshToken" text, "idToken" text, "accessTokenExpiresAt" date, "refreshTokenExpiresAt" date, "scope" text, "password" text, "createdAt" date not null, "updatedAt" date not null);
create table "verification" ("id" text not null primary key, "identifier" text not null, "value" text not null, "expiresAt" date not null, "createdAt" date not null, "updatedAt" date not null);
create index "session_userId_idx" on "session" ("userId");
create index "account_userId_idx" on "account" ("userId");
create index "verification_identifier_idx" on "verification" ("identifier");
"#;

/// `@better-auth/api-key` 1.7.5's SQLite DDL, as better-auth's `getMigrations` compiles it.
const API_KEY_DDL: &str = r#"
create table "apikey" ("id" text not null primary key, "configId" text not null, "name" text, "start" text, "referenceId" text not null, "prefix" text, "key" text not null, "refillInterval" integer, "refillAmount" integer, "lastRefillAt" date, "enabled" integer, "rateLimitEnabled" integer, "rateLimitTimeWindow" integer, "rateLimitMax" integer, "requestCount" integer, "remaining" integer, "lastRequest" date, "expiresAt" date, "createdAt" date not null, "updatedAt" date not null, "permissions" text, "metadata" text);
create index "apikey_configId_idx" on "apikey" ("configId");
create index "apikey_referenceId_idx" on "apikey" ("referenceId");
create index "apikey_key_idx" on "apikey" ("key");
"#;

/// better-auth 1.7.25's SQLite DDL for its twoFactor plugin, as `getMigrations` compiles it.
const TWO_FACTOR_DDL: &str = r#"
alter table "user" add column "twoFactorEnabled" integer default 0;
create table "twoFactor" ("id" text not null primary key, "secret" text not null, "backupCodes" text not null, "userId" text not null references "user" ("id") on delete cascade, "verified" integer, "failedVerificationCount" integer, "lockedUntil" date);
create index "twoFactor_secret_idx" on "twoFactor" ("secret");
create index "twoFactor_userId_idx" on "twoFactor" ("userId");
"#;

/// `@better-auth/passkey` 1.7.6's SQLite DDL, as better-auth 1.7.25's `getMigrations` compiles it.
const PASSKEY_DDL: &str = r#"
create table "passkey" ("id" text not null primary key, "name" text, "publicKey" text not null, "userId" text not null references "user" ("id") on delete cascade, "credentialID" text not null, "counter" integer not null, "deviceType" text not null, "backedUp" integer not null, "transports" text, "createdAt" date, "aaguid" text);
create index "passkey_userId_idx" on "passkey" ("userId");
create index "passkey_credentialID_idx" on "passkey" ("credentialID");
"#;

fn statements(sql: &str) -> Vec<String> {
    let without_comments: String = sql
        .lines()
        .filter(|l| !l.trim_start().starts_with("--"))
        .collect::<Vec<_>>()
        .join("\n");
    without_comments
        .split(';')
        .map(|s| s.split_whitespace().collect::<Vec<_>>().join(" "))
        .filter(|s| !s.is_empty())
        .collect()
}

#[test]
fn the_core_tables_match_better_auths_ddl_exactly() {
    let (name, sql) = MIGRATIONS[0];
    assert!(name.starts_with("0001_"));
    assert_eq!(statements(sql), statements(REFERENCE_DDL));
}

#[test]
fn the_two_factor_schema_matches_better_auths_ddl_exactly() {
    let (_, sql) = MIGRATIONS
        .iter()
        .find(|(name, _)| name.ends_with("_two_factor.sql"))
        .expect("the two-factor migration");
    assert_eq!(statements(sql), statements(TWO_FACTOR_DDL));
}

#[test]
fn the_passkey_table_matches_better_auths_ddl_exactly() {
    let (_, sql) = MIGRATIONS
        .iter()
        .find(|(name, _)| name.ends_with("_passkeys.sql"))
        .expect("the passkey migration");
    assert_eq!(statements(sql), statements(PASSKEY_DDL));
}

#[test]
fn the_api_key_table_matches_better_auths_ddl_exactly() {
    let (_, sql) = MIGRATIONS
        .iter()
        .find(|(name, _)| name.ends_with("_api_keys.sql"))
        .expect("the api key migration");
    assert_eq!(statements(sql), statements(API_KEY_DDL));
}

#[test]
fn migrations_are_ordered_and_apply_cleanly() {
    let names: Vec<&str> = MIGRATIONS.iter().map(|(n, _)| *n).collect();
    let mut sorted = names.clone();
    sorted.sort();
    assert_eq!(names, sorted);
    let db = Sqlite::migrated();
    assert_eq!(db.count(r#"select count(*) from sqlite_master where type = 'table' and name in ('user','session','account','verification')"#), 4);
}

fn user(id: &str, email: &str) -> User {
    User {
        id: id.into(),
        name: "n".into(),
        email: email.into(),
        email_verified: false,
        image: None,
        created_at: "2026-01-01T00:00:00.000Z".into(),
        updated_at: "2026-01-01T00:00:00.000Z".into(),
        ..User::default()
    }
}

#[test]
fn a_failing_batch_writes_nothing() {
    let db = Sqlite::migrated();
    let batch = vec![
        users::insert(&user("u1", "a@example.com")),
        Statement::new(r#"insert into "nope" values (1)"#, vec![]),
    ];
    assert!(block_on(db.batch(batch)).is_err());
    assert_eq!(db.count(r#"select count(*) from "user""#), 0);
}

#[test]
fn a_duplicate_email_is_a_conflict() {
    let db = Sqlite::migrated();
    block_on(db.execute(users::insert(&user("u1", "a@example.com")))).unwrap();
    let err = block_on(db.batch(vec![users::insert(&user("u2", "a@example.com"))])).unwrap_err();
    assert!(matches!(err, StorageError::Conflict(_)), "{err:?}");
}

#[test]
fn dates_stored_as_epoch_milliseconds_or_plain_text_read_back_as_iso() {
    let db = Sqlite::migrated();
    db.exec(r#"insert into "user" ("id", "name", "email", "emailVerified", "image", "createdAt", "updatedAt") values ('d1', 'Drizzle', 'd@example.com', 1, null, 1735689600000, '2025-01-01 00:00:00')"#);
    let u = block_on(users::find_by_id(&db, "d1")).unwrap().unwrap();
    assert_eq!(
        (u.created_at.as_str(), u.updated_at.as_str()),
        ("2025-01-01T00:00:00.000Z", "2025-01-01T00:00:00.000Z")
    );
    assert!(u.email_verified);
}
