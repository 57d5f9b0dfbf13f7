-- Supabase Auth's API (SUPABASE_API_ENABLED): its sessions are better-auth sessions; these tables
-- hold what better-auth's schema has no place for.
--
-- Refresh tokens, kept as SHA-256 digests. Each use revokes the token and issues its child; a
-- revoked token used again past the reuse interval ends its session (its family).
create table "supabase_refresh_token" (
  "digest" text not null primary key,
  "sessionId" text not null,          -- better-auth's session.id; the token dies with the session
  "userId" text not null,
  "parent" text,                      -- the digest of the token this one replaced
  "revoked" integer not null default 0,
  "amr" text not null,                -- JSON: how the session was signed in ([{method, timestamp}])
  "sealed" text,                      -- the live token encrypted under the secret (given again to
                                      -- a client that lost a refresh's answer); null once revoked
  "createdAt" integer not null,       -- unix ms
  "updatedAt" integer not null        -- unix ms: when it was issued or revoked
);
create index "supabase_refresh_token_session" on "supabase_refresh_token" ("sessionId");
create index "supabase_refresh_token_user" on "supabase_refresh_token" ("userId");

-- user_metadata: what the user's own app keeps about them (supabase-js `options.data`).
create table "supabase_user_metadata" (
  "userId" text not null primary key,
  "data" text not null,               -- a JSON object
  "updatedAt" integer not null
);
