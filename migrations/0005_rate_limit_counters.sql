-- Counters for the limits per address: failed sign-ins of an account, messages to a recipient.
-- The key is "<purpose>:<HMAC-SHA256 of the address under a key derived from BETTER_AUTH_SECRET>",
-- never the address. A counter covers one window, from "windowStart" to "expiresAt" (unix ms);
-- the cron drops expired ones.
create table "rate_limit_counter" (
  "key" text not null primary key,
  "count" integer not null,
  "windowStart" integer not null,
  "expiresAt" integer not null
);

create index "rate_limit_counter_expires_idx" on "rate_limit_counter" ("expiresAt");
