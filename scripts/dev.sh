#!/usr/bin/env bash
# `npm run dev`: set up, apply the D1 migrations locally, and serve on http://127.0.0.1:8787 with
# local D1/KV, cron testing (/__scheduled?cron=...) and the development mailbox.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$ROOT"
bash scripts/setup.sh
wrangler d1 migrations apply DB --local
# A first SPA on the usual local dev-server origins works without configuration; TRUSTED_ORIGINS (in
# the environment or .dev.vars) replaces them. A refused origin is named in the log with the fix.
trusted=(--var "TRUSTED_ORIGINS:${TRUSTED_ORIGINS:-http://localhost:5173,http://127.0.0.1:5173,http://localhost:3000}")
if [ -z "${TRUSTED_ORIGINS:-}" ] && grep -q '^TRUSTED_ORIGINS=' .dev.vars 2> /dev/null; then
  trusted=()
fi
# Mail goes to the development mailbox (GET /api/auth/dev/mailbox?email=…) unless MAIL_PROVIDER says otherwise.
exec wrangler dev --ip 127.0.0.1 --port "${PORT:-8787}" --test-scheduled --show-interactive-dev-session=false \
  --var "MAIL_PROVIDER:${MAIL_PROVIDER:-log}" "${trusted[@]}" "$@"
