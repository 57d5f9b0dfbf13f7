#!/usr/bin/env bash
# End-to-end tests: a fresh `wrangler dev` (local D1 seeded with better-auth rows, local KV, cron
# testing) on free loopback ports, mailing through the signed webhook, then the Node suites in
# tests/e2e against it; then a server that requires verified addresses and mails to the
# development mailbox; then the password and JWT suites once more against a server hashing with
# PASSWORD_HASHER=node-crypto and signing with keys it made itself, which syncs its users to a real
# Payload server (examples/payload) and mails through a Resend-format API; last, a test build with
# deliberate faults. Between the first two, the contract run (tests/e2e/contract). Every other run keeps the production rate limits: the suites give each client its
# own cf-connecting-ip.
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
# The loopback mailbox (tests/e2e/mailbox) takes the signed mail webhook in the first run and
# Resend-format API calls in the second.
export MAIL_PORT=$(free_port)
export MAIL_SECRET=$(node -e 'process.stdout.write(require("crypto").randomBytes(32).toString("hex"))')
export MAIL_API_KEY="re_$(node -e 'process.stdout.write(require("crypto").randomBytes(16).toString("hex"))')"

# Identity providers on loopback for tests/e2e/social.test.mjs: a real OpenID Provider (acme), one
# that signs spoiled ID tokens (spoiler), and GitHub's API shapes.
export OP_PORT=$(free_port) SPOILER_PORT=$(free_port) GITHUB_PORT=$(free_port)
export OP_CLIENT_SECRET=$(node -e 'process.stdout.write(require("crypto").randomBytes(24).toString("base64url"))')
SOCIAL_VARS=(--var OIDC_PROVIDERS:acme,spoiler
  --var "OIDC_ACME_DISCOVERY_URL:http://127.0.0.1:$OP_PORT/.well-known/openid-configuration" --var OIDC_ACME_CLIENT_ID:portcullis --var "OIDC_ACME_CLIENT_SECRET:$OP_CLIENT_SECRET"
  --var "OIDC_SPOILER_DISCOVERY_URL:http://127.0.0.1:$SPOILER_PORT/.well-known/openid-configuration" --var OIDC_SPOILER_CLIENT_ID:portcullis --var OIDC_SPOILER_CLIENT_SECRET:spoiler-secret
  --var GITHUB_CLIENT_ID:github-client --var GITHUB_CLIENT_SECRET:github-secret
  --var "GITHUB_AUTHORIZATION_URL:http://127.0.0.1:$GITHUB_PORT/login/oauth/authorize" --var "GITHUB_TOKEN_URL:http://127.0.0.1:$GITHUB_PORT/login/oauth/access_token"
  --var "GITHUB_USERINFO_URL:http://127.0.0.1:$GITHUB_PORT")

run_suites() {
  local status=0
  node --test --test-concurrency=1 --test-reporter=spec "$@" || status=$?
  if [ "$status" -ne 0 ]; then echo "--- wrangler dev log (tail) ---"; tail -n 60 "$WRANGLER_LOG"; fi
  return "$status"
}

# The passkey SPA (tests/e2e/passkey.test.mjs) runs on `localhost`, the RP ID: browsers take no IP
# address as one.
export PASSKEY_PAGE_ORIGIN="http://localhost:$(free_port)"
EXTRA_TRUSTED_ORIGINS="$PASSKEY_PAGE_ORIGIN" start_test_server --var "PAYLOAD_SYNC_URL:http://127.0.0.1:$RECEIVER_PORT/cms" --var "BA_TO_PAYLOAD_SECRET:$SYNC_SECRET" --var "RECONCILE_TOKEN:$RECONCILE_TOKEN" \
  --var MAIL_PROVIDER:webhook --var "MAIL_WEBHOOK_URL:http://127.0.0.1:$MAIL_PORT/hooks/mail" --var "MAIL_WEBHOOK_SECRET:$MAIL_SECRET" \
  --var SEND_VERIFICATION_ON_SIGN_UP:true --var MAGIC_LINK_ENABLED:true --var EMAIL_OTP_ENABLED:true --var PASSKEY_RP_ID:localhost "${SOCIAL_VARS[@]}" \
  --var SUPABASE_API_ENABLED:true --var SUPABASE_REFRESH_TOKEN_REUSE_INTERVAL:1
run_suites "tests/e2e/*.test.mjs"
stop_test_server

# The contract (tests/e2e/contract): the OpenAPI document and its reference page in headless
# Chromium, then openapi-spec-validator and schemathesis. The rate limits are off for this run so
# that no endpoint hides behind a 429 (fuzz.sh sends a trusted Origin for the CSRF rules).
SEED_SQL="" start_test_server --var RATE_LIMIT_ENABLED:false --var MAIL_PROVIDER:log \
  --var "PAYLOAD_SYNC_URL:http://127.0.0.1:$(free_port)" --var "BA_TO_PAYLOAD_SECRET:$SYNC_SECRET" --var "RECONCILE_TOKEN:$RECONCILE_TOKEN"
run_suites tests/e2e/contract/reference.test.mjs
bash tests/e2e/contract/fuzz.sh || { echo "--- wrangler dev log (tail) ---"; tail -n 60 "$WRANGLER_LOG"; exit 1; }
stop_test_server

# Verification required before sign-in, mail to the development mailbox (MAIL_PROVIDER=log); with
# Supabase's API, whose sign-ups are confirmed by its own code and link.
SEED_SQL="" start_test_server --var MAIL_PROVIDER:log --var REQUIRE_EMAIL_VERIFICATION:true \
  --var AUTO_SIGN_IN_AFTER_VERIFICATION:true --var SEND_VERIFICATION_ON_SIGN_IN:true --var SUPABASE_API_ENABLED:true
run_suites tests/e2e/required-verification/required-verification.test.mjs tests/e2e/required-verification/supabase-confirm.test.mjs
stop_test_server

SEED_SQL="$ROOT/tests/e2e/seed.sql" start_test_server --var PASSWORD_HASHER:node-crypto \
  --var "PAYLOAD_SYNC_URL:http://127.0.0.1:$PAYLOAD_PORT" --var "BA_TO_PAYLOAD_SECRET:$SYNC_SECRET" --var "RECONCILE_TOKEN:$RECONCILE_TOKEN" \
  --var MAIL_PROVIDER:resend --var "RESEND_API_URL:http://127.0.0.1:$MAIL_PORT/emails" --var "RESEND_API_KEY:$MAIL_API_KEY" \
  --var "MAIL_FROM:Portcullis <auth@example.com>"
PASSWORD_HASHER=node-crypto run_suites tests/e2e/password-interop.test.mjs tests/e2e/jwt.test.mjs tests/e2e/payload/payload.test.mjs \
  tests/e2e/resend/resend.test.mjs
stop_test_server

# The test build with deliberate faults (--features e2e-faults, into build-faults/, never deployed):
# a panic, a real D1 error, a session revoked elsewhere while KV still has it (sessions slide after 1 s).
SEED_SQL="" PORTCULLIS_FEATURES=e2e-faults PORTCULLIS_OUT_DIR=build-faults start_test_server build-faults/index.js \
  --var SESSION_UPDATE_AGE:1
run_suites tests/e2e/faults/faults.test.mjs
