-- The durable mail queue: verification, password-reset and email-change messages wait here until
-- the mail provider accepts them. A row is written in the same batch as the token it carries, so a
-- committed token always has its message. The message (recipient, subject, bodies with the link) is
-- encrypted with a key derived from BETTER_AUTH_SECRET; delivered rows are deleted, and rows whose
-- link has expired are dropped undelivered.
create table "mail_outbox" (
  "id" text not null primary key,
  "kind" text not null,               -- verify-email, reset-password, change-email-confirmation, ...
  "payload" text not null,            -- encrypted JSON message
  "status" text not null default 'pending' check ("status" in ('pending', 'inflight', 'dead')),
  "attempts" integer not null default 0,
  "nextAttemptAt" integer not null,   -- unix ms
  "leaseOwner" text,
  "leaseUntil" integer,               -- unix ms
  "expiresAt" integer not null,       -- unix ms: the link in the message stops working
  "lastError" text,
  "createdAt" integer not null,
  "updatedAt" integer not null
);

create index "mail_outbox_due_idx" on "mail_outbox" ("status", "nextAttemptAt");
