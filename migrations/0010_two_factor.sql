-- better-auth's twoFactor plugin, as its CLI creates it for SQLite: the user's switch, and a row
-- per user with the TOTP secret and the backup codes (both encrypted as better-auth encrypts
-- them), whether setup was verified, and the lockout after repeated failures.
alter table "user" add column "twoFactorEnabled" integer default 0;
create table "twoFactor" ("id" text not null primary key, "secret" text not null, "backupCodes" text not null, "userId" text not null references "user" ("id") on delete cascade, "verified" integer, "failedVerificationCount" integer, "lockedUntil" date);

create index "twoFactor_secret_idx" on "twoFactor" ("secret");

create index "twoFactor_userId_idx" on "twoFactor" ("userId");
