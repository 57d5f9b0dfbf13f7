#!/usr/bin/env bash
# The contract, attacked: the served OpenAPI document validated by openapi-spec-validator, then
# schemathesis against every operation of it, checking for server errors, undocumented status
# codes and content types, and answers that do not match their schema. Expects a server started by
# scripts/e2e.sh with the rate limits off (RATE_LIMIT_ENABLED=false), so that no endpoint hides
# behind a 429; every request carries the service's own (trusted) Origin, so none hides behind the
# CSRF rules, a signed-in user's bearer token, so the session endpoints are reached, and the
# operator token. SCHEMATHESIS_SEED and SCHEMATHESIS_EXAMPLES vary the run.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../../.."
DOCUMENT="$BASE_URL/api/auth/open-api/generate-schema"
.venv/bin/python tests/e2e/contract/validate_spec.py "$DOCUMENT"

# A user of its own for each pass: the second pass may end the first one's session.
session_token() {
  curl -fsS -X POST "$BASE_URL/api/auth/sign-up/email" -H 'content-type: application/json' -H "origin: $BASE_URL" \
    -d "{\"name\":\"Contract\",\"email\":\"contract-$1-$RANDOM$RANDOM@example.com\",\"password\":\"contract-password-1\"}" |
    node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>process.stdout.write(JSON.parse(s).token))'
}

fuzz() {
  .venv/bin/schemathesis run "$DOCUMENT" --url "$BASE_URL/api/auth" \
    --checks not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance \
    --header "Origin: $BASE_URL" --header "Authorization: Bearer $(session_token "$1")" --header "x-reconcile-token: $RECONCILE_TOKEN" \
    --max-examples "${SCHEMATHESIS_EXAMPLES:-30}" --seed "${SCHEMATHESIS_SEED:-20261201}" \
    --no-color --report-dir "${SCHEMATHESIS_REPORT_DIR:-$(mktemp -d)}" "${@:2}"
}

# First the reads, signed in throughout (sign-out and the revocations in the second pass end
# sessions); then every operation.
fuzz reads --include-method GET
fuzz all
