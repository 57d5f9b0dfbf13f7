#!/usr/bin/env bash
# `npm run bench:sync`: how many cron invocations and subrequests a full reconcile of USERS
# (default 10000) users takes to converge against the loopback receiver, with the Free-plan
# defaults and with a Paid-plan budget.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/env.sh"
. "$ROOT/scripts/wrangler-test-server.sh"
cd "$ROOT"
bash scripts/setup.sh
USERS="${USERS:-10000}"
SEED=$(mktemp)
trap 'stop_test_server; rm -f "$SEED"' EXIT
node -e '
  const n = Number(process.argv[1]), rows = [];
  for (let i = 0; i < n; i++) {
    const id = "bench" + String(i).padStart(6, "0");
    rows.push(`(\x27${id}\x27, \x27Bench ${i}\x27, \x27${id}@example.com\x27, 1, null, \x272025-01-01T00:00:00.000Z\x27, \x272025-01-01T00:00:00.000Z\x27)`);
  }
  for (let i = 0; i < rows.length; i += 500) console.log(`insert into "user" ("id", "name", "email", "emailVerified", "image", "createdAt", "updatedAt") values ${rows.slice(i, i + 500).join(", ")};`);
' "$USERS" > "$SEED"
export SEED_SQL="$SEED" SYNC_SECRET=bench-sync-secret-0123456789abcdef RECONCILE_TOKEN=bench-reconcile-token-0123456789abcdef
for profile in free paid; do
  export RECEIVER_PORT=$(free_port)
  vars=(--var "PAYLOAD_SYNC_URL:http://127.0.0.1:$RECEIVER_PORT" --var "BA_TO_PAYLOAD_SECRET:$SYNC_SECRET" --var "RECONCILE_TOKEN:$RECONCILE_TOKEN")
  [ "$profile" = paid ] && vars+=(--var SYNC_SUBREQUEST_BUDGET:1000 --var SYNC_BATCH_SIZE:100)
  start_test_server "${vars[@]}"
  node scripts/bench-sync.mjs "$profile" "$USERS"
  stop_test_server
done
