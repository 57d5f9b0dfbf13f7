#!/usr/bin/env bash
# `npm run bench`: crypto and request costs, each against a floor measured in the same run:
# scrypt and Ed25519 natively and in wasm (release build, V8), the request kernel in process
# (/ok, get-session and a refused body against /health), and in workerd (wrangler dev) the
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
cargo test -q --release --test kernel_bench -- --ignored --nocapture 2>&1 | sed -n 's/^BENCH //p' >> "$RESULTS"
cargo test --release --target wasm32-unknown-unknown --test wasm_bench -- --nocapture 2>&1 | sed -n 's/^BENCH //p' >> "$RESULTS"
bash scripts/build.sh > /dev/null
# Failed sign-ins and mail are counted per address as in production, with limits too high to bite.
counted=(--var SIGN_IN_MAX_FAILURES:1000000 --var MAIL_MAX_PER_ADDRESS_PER_HOUR:1000000)
for hasher in wasm node-crypto; do
  start_test_server --var "PASSWORD_HASHER:$hasher" --var MAIL_PROVIDER:log "${counted[@]}"
  node scripts/bench-workerd.mjs "$hasher" >> "$RESULTS"
  stop_test_server
done
# The same without the per-client limits: what the rate-limiting binding costs a request.
start_test_server --var MAIL_PROVIDER:log "${counted[@]}" --var RATE_LIMIT_ENABLED:false
node scripts/bench-workerd.mjs "wasm, no rate limits" >> "$RESULTS"
stop_test_server
node scripts/bench-report.mjs < "$RESULTS"
rm -f "$RESULTS"
