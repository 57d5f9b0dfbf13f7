#!/usr/bin/env bash
# `npm run bench:admin`: the admin's user listing over USERS (default 100000) users in local D1
# (wrangler dev), each query against the floor of GET /api/auth/ok in the same run: the default
# page, an email prefix search, a name search, a role filter, and a page sorted by email; and
# get-session standing on an API key beside one standing on a session token.
. "$(dirname "${BASH_SOURCE[0]}")/bench-prelude.sh"
USERS="${USERS:-100000}"
SEED=$(mktemp)
trap 'stop_test_server; rm -f "$SEED"' EXIT
node -e '
  const n = Number(process.argv[1]), rows = [];
  const iso = (i) => new Date(Date.UTC(2025, 0, 1) + i * 1000).toISOString();
  for (let i = 0; i < n; i++) {
    const id = "bench" + String(i).padStart(7, "0");
    const role = i % 50 === 0 ? "admin" : "user";
    rows.push(`(\x27${id}\x27, \x27Bench ${i}\x27, \x27${id}@example.com\x27, 1, null, \x27${iso(i)}\x27, \x27${iso(i)}\x27, \x27${role}\x27, ${i % 97 === 0 ? 1 : 0})`);
  }
  for (let i = 0; i < rows.length; i += 500) console.log(`insert into "user" ("id", "name", "email", "emailVerified", "image", "createdAt", "updatedAt", "role", "banned") values ${rows.slice(i, i + 500).join(", ")};`);
' "$USERS" > "$SEED"
SEED_SQL="$SEED" start_test_server --var RATE_LIMIT_ENABLED:false
node scripts/bench-admin.mjs "$USERS"
