#!/usr/bin/env bash
# End-to-end tests: a fresh `wrangler dev` (local D1 seeded with better-auth rows, local KV, cron
# testing) on free loopback ports, then the Node suites in tests/e2e against it; then the password
# interop suite once more against a server hashing with PASSWORD_HASHER=node-crypto.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/env.sh"
. "$ROOT/scripts/wrangler-test-server.sh"
cd "$ROOT"
trap stop_test_server EXIT
export SEED_SQL="$ROOT/tests/e2e/seed.sql"

run_suites() {
  local status=0
  node --test --test-concurrency=1 --test-reporter=spec "$@" || status=$?
  if [ "$status" -ne 0 ]; then echo "--- wrangler dev log (tail) ---"; tail -n 60 "$WRANGLER_LOG"; fi
  return "$status"
}

start_test_server
run_suites "tests/e2e/*.test.mjs"
stop_test_server

start_test_server --var PASSWORD_HASHER:node-crypto
PASSWORD_HASHER=node-crypto run_suites tests/e2e/password-interop.test.mjs
