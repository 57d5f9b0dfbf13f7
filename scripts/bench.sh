#!/usr/bin/env bash
# `npm run bench`: password-hash cost natively and inside workerd, with the Rust scrypt compiled to
# wasm and with workerd's node:crypto scrypt, each against a floor measured in the same run.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/env.sh"
. "$ROOT/scripts/wrangler-test-server.sh"
cd "$ROOT"
bash scripts/setup.sh
trap stop_test_server EXIT
RESULTS=$(mktemp)

cargo run -q --release --example scrypt_bench >> "$RESULTS"
bash scripts/build.sh > /dev/null
for hasher in wasm node-crypto; do
  start_test_server --var "PASSWORD_HASHER:$hasher"
  node scripts/bench-workerd.mjs "$hasher" >> "$RESULTS"
  stop_test_server
done
node scripts/bench-report.mjs < "$RESULTS"
rm -f "$RESULTS"
