-- The durable outbox that keeps a downstream CMS in sync with users (docs/sync-protocol.md).
-- portcullis' own tables, beside better-auth's: better-auth's "user" table stays unchanged.

-- A per-user version, bumped in the same batch as every user change, so the receiver can drop
-- stale messages. Rows outlive their users (ids are never reused): a delete carries version + 1.
create table "sync_version" ("userId" text not null primary key, "version" integer not null);

-- At most one live row per user. A delete supersedes a pending upsert, never the reverse.
create table "sync_outbox" (
  "userId" text not null primary key,
  "op" text not null check ("op" in ('upsert', 'delete')),
  "version" integer not null,
  "eventId" text not null,            -- stable across retries; new when op or version changes
  "priority" integer not null,        -- 0 = user operation, 1 = full reconcile
  "status" text not null default 'pending' check ("status" in ('pending', 'inflight', 'dead')),
  "attempts" integer not null default 0,
  "nextAttemptAt" integer not null,   -- unix ms
  "leaseOwner" text,
  "leaseUntil" integer,               -- unix ms
  "lastError" text,
  "createdAt" integer not null,
  "updatedAt" integer not null
);

create index "sync_outbox_due_idx" on "sync_outbox" ("status", "priority", "nextAttemptAt");

-- Counters, the last error, timestamps and the reconcile cursor.
create table "sync_state" ("key" text not null primary key, "value" text not null);
