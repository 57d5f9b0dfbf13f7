#!/usr/bin/env bash
# `npm run admin -- promote <email> [--remote | --persist-to DIR]`: gives the user with that
# address the `admin` role (kept beside any roles it has) in the local D1 that `npm run dev` uses,
# with --remote in the deployed one, through wrangler, or in the local state under DIR (as the
# end-to-end suite runs it). The first admin comes from here or from ADMIN_USER_IDS.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$ROOT"
usage() { echo "usage: npm run admin -- promote <email> [--remote | --persist-to DIR]" >&2; exit 2; }
[ "${1:-}" = promote ] || usage
email="${2:-}"
where=(--local)
case "${3:-}" in
  --remote) where=(--remote) ;;
  --persist-to) [ -n "${4:-}" ] || usage; where=(--local --persist-to "$4") ;;
  "") ;;
  *) usage ;;
esac
# wrangler's --command takes no parameters: only a plain address (as sign-up stores it, lowercased)
# reaches the SQL, so it cannot carry a quote.
email=$(printf '%s' "$email" | tr '[:upper:]' '[:lower:]')
if ! printf '%s' "$email" | grep -Eq '^[a-z0-9._%+-]+@[a-z0-9.-]+\.[a-z]{2,}$'; then
  echo "not an email address: '$email'" >&2
  exit 2
fi
sql="update \"user\" set \"role\" = case when \"role\" is null or \"role\" = '' then 'admin' when (',' || \"role\" || ',') like '%,admin,%' then \"role\" else \"role\" || ',admin' end where \"email\" = '$email' returning \"id\", \"email\", \"role\";"
out=$(wrangler d1 execute DB "${where[@]}" --json --command "$sql")
if ! printf '%s' "$out" | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const r=JSON.parse(s)[0].results;if(!r.length)process.exit(1);for(const u of r)console.log(`${u.email} (${u.id}) now has the roles: ${u.role}`)})'; then
  echo "no user has the address $email" >&2
  exit 1
fi
