-- `@better-auth/passkey`'s table (1.7), as better-auth's CLI creates it for SQLite: a WebAuthn
-- credential per row, its COSE public key in base64, its signature counter, and whether it syncs.
create table "passkey" ("id" text not null primary key, "name" text, "publicKey" text not null, "userId" text not null references "user" ("id") on delete cascade, "credentialID" text not null, "counter" integer not null, "deviceType" text not null, "backedUp" integer not null, "transports" text, "createdAt" date, "aaguid" text);

create index "passkey_userId_idx" on "passkey" ("userId");

create index "passkey_credentialID_idx" on "passkey" ("credentialID");
