-- better-auth's admin plugin columns, as its CLI adds them for SQLite: roles (a comma-separated
-- list), bans, and the admin behind an impersonation session.
alter table "user" add column "role" text;
alter table "user" add column "banned" integer;
alter table "user" add column "banReason" text;
alter table "user" add column "banExpires" date;
alter table "session" add column "impersonatedBy" text;
