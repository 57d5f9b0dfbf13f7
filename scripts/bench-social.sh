#!/usr/bin/env bash
# `npm run bench:social`: what a social sign-in costs in workerd (wrangler dev), from
# `/sign-in/social` through the callback, for an OpenID provider (RS256 ID token verified, its
# keys kept) and for GitHub (token, /user, /user/emails), both on loopback, against the
# /api/auth/ok floor of the same run.
. "$(dirname "${BASH_SOURCE[0]}")/bench-prelude.sh"
trap stop_test_server EXIT
export OIDC_PORT=$(free_port) GITHUB_PORT=$(free_port)
SEED_SQL="" start_test_server --var RATE_LIMIT_ENABLED:false --var OIDC_PROVIDERS:idp \
  --var "OIDC_IDP_DISCOVERY_URL:http://127.0.0.1:$OIDC_PORT/.well-known/openid-configuration" --var OIDC_IDP_CLIENT_ID:portcullis --var OIDC_IDP_CLIENT_SECRET:bench-secret \
  --var GITHUB_CLIENT_ID:github-client --var GITHUB_CLIENT_SECRET:github-secret \
  --var "GITHUB_AUTHORIZATION_URL:http://127.0.0.1:$GITHUB_PORT/login/oauth/authorize" --var "GITHUB_TOKEN_URL:http://127.0.0.1:$GITHUB_PORT/login/oauth/access_token" \
  --var "GITHUB_USERINFO_URL:http://127.0.0.1:$GITHUB_PORT"
node scripts/bench-social.mjs
