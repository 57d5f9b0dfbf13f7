#!/usr/bin/env bash
# `npm run bench:passkey`: what a passkey sign-in costs in workerd (wrangler dev): the options,
# then the assertion verified (ES256, EdDSA, RS256), against the /api/auth/ok floor of the same run.
. "$(dirname "${BASH_SOURCE[0]}")/bench-prelude.sh"
trap stop_test_server EXIT
SEED_SQL="" start_test_server --var RATE_LIMIT_ENABLED:false
node scripts/bench-passkey.mjs
