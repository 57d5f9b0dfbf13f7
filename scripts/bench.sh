#!/usr/bin/env bash
# `npm run bench`: crypto and request costs, each against a floor measured in the same run:
# scrypt and Ed25519 natively and in wasm (release build, V8), and in workerd (wrangler dev) the
# password hash with both hashers, JWT issuance and the JWKS against /api/auth/ok, and the
# password-reset and verification requests for unknown against known addresses.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/env.sh"
. "$ROOT/scripts/wrangler-test-server.sh"
cd "$ROOT"
bash scripts/setup.sh
trap stop_test_server EXIT
RESULTS=$(mktemp)

cargo run -q --release --example crypto_bench >> "$RESULTS"
cargo test --release --target wasm32-unknown-unknown --test wasm_bench -- --nocapture 2>&1 | sed -n 's/^BENCH //p' >> "$RESULTS"
bash scripts/build.sh > /dev/null
for hasher in wasm node-crypto; do
  start_test_server --var "PASSWORD_HASHER:$hasher" --var MAIL_PROVIDER:log
  node scripts/bench-workerd.mjs "$hasher" >> "$RESULTS"
  stop_test_server
done
node scripts/bench-report.mjs < "$RESULTS"
rm -f "$RESULTS"
