#!/usr/bin/env bash
# End-to-end tests: a fresh `wrangler dev` (local D1 seeded with better-auth rows, local KV, cron
# testing) on free loopback ports, then the Node suites in tests/e2e against it; then the password
# and JWT suites once more against a server hashing with PASSWORD_HASHER=node-crypto and signing
# with keys it made itself, which syncs its users to a real Payload server (examples/payload).
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/env.sh"
. "$ROOT/scripts/wrangler-test-server.sh"
cd "$ROOT"
SEED=$(mktemp)
trap 'stop_test_server; rm -f "$SEED"' EXIT
# The seed: better-auth users and hashes, and a signing key made by better-auth's own code.
export TEST_SECRET=$(node -e 'process.stdout.write(require("crypto").randomBytes(32).toString("hex"))')
{ cat tests/e2e/seed.sql; node tests/e2e/better-auth-key.mjs; } > "$SEED"
export SEED_SQL="$SEED"
# The sync receiver (tests/e2e/receiver) listens here during tests/e2e/sync.test.mjs.
export RECEIVER_PORT=$(free_port)
export SYNC_SECRET=$(node -e 'process.stdout.write(require("crypto").randomBytes(32).toString("hex"))')
export PAYLOAD_PORT=$(free_port)
export RECONCILE_TOKEN=$(node -e 'process.stdout.write(require("crypto").randomBytes(24).toString("base64url"))')

run_suites() {
  local status=0
  node --test --test-concurrency=1 --test-reporter=spec "$@" || status=$?
  if [ "$status" -ne 0 ]; then echo "--- wrangler dev log (tail) ---"; tail -n 60 "$WRANGLER_LOG"; fi
  return "$status"
}

start_test_server --var "PAYLOAD_SYNC_URL:http://127.0.0.1:$RECEIVER_PORT" --var "BA_TO_PAYLOAD_SECRET:$SYNC_SECRET" --var "RECONCILE_TOKEN:$RECONCILE_TOKEN"
run_suites "tests/e2e/*.test.mjs"
stop_test_server

SEED_SQL="$ROOT/tests/e2e/seed.sql" start_test_server --var PASSWORD_HASHER:node-crypto \
  --var "PAYLOAD_SYNC_URL:http://127.0.0.1:$PAYLOAD_PORT" --var "BA_TO_PAYLOAD_SECRET:$SYNC_SECRET" --var "RECONCILE_TOKEN:$RECONCILE_TOKEN"
PASSWORD_HASHER=node-crypto run_suites tests/e2e/password-interop.test.mjs tests/e2e/jwt.test.mjs tests/e2e/payload/payload.test.mjs
