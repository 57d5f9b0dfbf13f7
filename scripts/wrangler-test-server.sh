# Sourced by e2e.sh and bench.sh.
# start_test_server [wrangler dev args…]: a fresh `wrangler dev` with its own D1/KV state on free
#   loopback ports, cron testing on, $SEED_SQL (if set) applied after the migrations. Exports
#   BASE_URL, PAGE_ORIGIN (trusted), UNTRUSTED_ORIGIN, WRANGLER_LOG, TEST_STATE (its local
#   D1/KV state lives in $TEST_STATE/data) and TEST_SECRET (the BETTER_AUTH_SECRET it runs with;
#   kept if already set). $EXTRA_TRUSTED_ORIGINS (if set) are trusted beside PAGE_ORIGIN.
# stop_test_server: stops its process group and removes its state.
free_port() { node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{process.stdout.write(String(s.address().port));s.close()})'; }

start_test_server() {
  local port inspector
  port=$(free_port); inspector=$(free_port)
  export TEST_STATE
  TEST_STATE=$(mktemp -d)
  export BASE_URL="http://127.0.0.1:$port"
  export PAGE_ORIGIN="http://127.0.0.1:$(free_port)" UNTRUSTED_ORIGIN="http://127.0.0.1:$(free_port)"
  export WRANGLER_LOG="$TEST_STATE/wrangler.log"
  export TEST_SECRET="${TEST_SECRET:-$(node -e 'process.stdout.write(require("crypto").randomBytes(32).toString("hex"))')}"
  local trusted="$PAGE_ORIGIN${EXTRA_TRUSTED_ORIGINS:+,$EXTRA_TRUSTED_ORIGINS}"
  printf 'BETTER_AUTH_SECRET=%s\nBETTER_AUTH_URL=%s\nTRUSTED_ORIGINS=%s\n' "$TEST_SECRET" "$BASE_URL" "$trusted" > "$TEST_STATE/test.env"
  wrangler d1 migrations apply DB --local --persist-to "$TEST_STATE/data" > "$TEST_STATE/migrate.log" 2>&1 || { cat "$TEST_STATE/migrate.log"; return 1; }
  if [ -n "${SEED_SQL:-}" ]; then
    wrangler d1 execute DB --local --persist-to "$TEST_STATE/data" --file "$SEED_SQL" > "$TEST_STATE/seed.log" 2>&1 || { cat "$TEST_STATE/seed.log"; return 1; }
  fi
  setsid wrangler dev --ip 127.0.0.1 --port "$port" --inspector-port "$inspector" --persist-to "$TEST_STATE/data" \
    --env-file "$TEST_STATE/test.env" --var "BETTER_AUTH_URL:$BASE_URL" --var "TRUSTED_ORIGINS:$trusted" \
    --test-scheduled --show-interactive-dev-session=false "$@" < /dev/null > "$WRANGLER_LOG" 2>&1 &
  TEST_SERVER_PID=$!
  for _ in $(seq 1 600); do
    curl -fs "$BASE_URL/health" > /dev/null 2>&1 && return 0
    kill -0 "$TEST_SERVER_PID" 2>/dev/null || { echo "wrangler dev exited:"; cat "$WRANGLER_LOG"; return 1; }
    sleep 0.2
  done
  echo "wrangler dev did not become ready:"; cat "$WRANGLER_LOG"; return 1
}

stop_test_server() {
  if [ -n "${TEST_SERVER_PID:-}" ]; then
    kill -TERM -- "-$TEST_SERVER_PID" 2>/dev/null || true
    for _ in $(seq 1 25); do kill -0 -- "-$TEST_SERVER_PID" 2>/dev/null || break; sleep 0.2; done
    kill -KILL -- "-$TEST_SERVER_PID" 2>/dev/null || true
    TEST_SERVER_PID=""
  fi
  [ -n "${TEST_STATE:-}" ] && rm -rf "$TEST_STATE"
  TEST_STATE=""
}
