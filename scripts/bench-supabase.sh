#!/usr/bin/env bash
# `npm run bench:supabase`: what Supabase's API costs in workerd (wrangler dev): `GET /user` (an
# ES256 verification and a session read in D1), a refresh (rotation and a new access token), and
# better-auth's `get-session` on a bearer token beside them, against the /api/auth/ok floor of the
# same run.
. "$(dirname "${BASH_SOURCE[0]}")/bench-prelude.sh"
trap stop_test_server EXIT
SEED_SQL="" start_test_server --var RATE_LIMIT_ENABLED:false --var SUPABASE_API_ENABLED:true
node scripts/bench-supabase.mjs
