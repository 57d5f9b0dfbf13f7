#!/usr/bin/env bash
# End-to-end tests: a fresh `wrangler dev` (local D1/KV, cron testing) on free loopback ports,
# then the Node suites in tests/e2e against it. Cleans up its state and processes on exit.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$ROOT"

free_port() { node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{process.stdout.write(String(s.address().port));s.close()})'; }
PORT=$(free_port); INSPECTOR=$(free_port); PAGE_PORT=$(free_port); OTHER_PORT=$(free_port)
STATE=$(mktemp -d); LOG="$STATE/wrangler.log"
export BASE_URL="http://127.0.0.1:$PORT" PAGE_ORIGIN="http://127.0.0.1:$PAGE_PORT" UNTRUSTED_ORIGIN="http://127.0.0.1:$OTHER_PORT"
export E2E_SECRET=$(node -e 'process.stdout.write(require("crypto").randomBytes(32).toString("hex"))')
printf 'BETTER_AUTH_SECRET=%s\nBETTER_AUTH_URL=%s\nTRUSTED_ORIGINS=%s\n' "$E2E_SECRET" "$BASE_URL" "$PAGE_ORIGIN" > "$STATE/test.env"

leader=""
cleanup() {
  if [ -n "$leader" ]; then
    kill -TERM -- "-$leader" 2>/dev/null || true
    for _ in $(seq 1 25); do kill -0 -- "-$leader" 2>/dev/null || break; sleep 0.2; done
    kill -KILL -- "-$leader" 2>/dev/null || true
  fi
  rm -rf "$STATE"
}
trap cleanup EXIT

wrangler d1 migrations apply DB --local --persist-to "$STATE/data" > "$STATE/migrate.log" 2>&1 || { cat "$STATE/migrate.log"; exit 1; }
setsid wrangler dev --ip 127.0.0.1 --port "$PORT" --inspector-port "$INSPECTOR" --persist-to "$STATE/data" \
  --env-file "$STATE/test.env" --var "BETTER_AUTH_URL:$BASE_URL" --var "TRUSTED_ORIGINS:$PAGE_ORIGIN" \
  --test-scheduled --show-interactive-dev-session=false < /dev/null > "$LOG" 2>&1 &
leader=$!
for _ in $(seq 1 600); do
  curl -fs "$BASE_URL/health" > /dev/null 2>&1 && break
  kill -0 "$leader" 2>/dev/null || { echo "wrangler dev exited:"; cat "$LOG"; exit 1; }
  sleep 0.2
done
curl -fs "$BASE_URL/health" > /dev/null || { echo "wrangler dev did not become ready:"; cat "$LOG"; exit 1; }

export WRANGLER_LOG="$LOG"
status=0
node --test --test-concurrency=1 --test-reporter=spec "tests/e2e/*.test.mjs" || status=$?
if [ "$status" -ne 0 ]; then echo "--- wrangler dev log (tail) ---"; tail -n 60 "$LOG"; fi
exit "$status"
