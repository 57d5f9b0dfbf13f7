#!/usr/bin/env bash
# `npm run dev`: set up, apply the D1 migrations locally, and serve on http://127.0.0.1:8787 with
# local D1/KV, cron testing (/__scheduled?cron=...) and the development mailbox.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$ROOT"
bash scripts/setup.sh
wrangler d1 migrations apply DB --local
# Mail goes to the development mailbox (GET /api/auth/dev/mailbox?email=…) unless MAIL_PROVIDER says otherwise.
exec wrangler dev --ip 127.0.0.1 --port "${PORT:-8787}" --test-scheduled --show-interactive-dev-session=false \
  --var "MAIL_PROVIDER:${MAIL_PROVIDER:-log}" "$@"
