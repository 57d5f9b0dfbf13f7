// Times Supabase's API against the running wrangler dev (started by bench-supabase.sh),
// interleaved with the /api/auth/ok floor; prints medians and ratios.
import { timeAgainstFloor } from "./bench-floor.mjs";

const base = process.env.BASE_URL;
const api = `${base}/api/auth`;
const sb = `${base}/auth/v1`;
const json = { "content-type": "application/json", "x-supabase-api-version": "2024-01-01" };

const email = `supabase-bench-${Date.now()}@example.com`;
const up = await fetch(`${sb}/signup`, { method: "POST", headers: json, body: JSON.stringify({ email, password: "correct horse battery" }) });
if (up.status !== 200) throw new Error(`sign-up ${up.status} ${await up.text()}`);
let session = await up.json();
const signIn = await fetch(`${api}/sign-in/email`, { method: "POST", headers: { ...json, origin: base }, body: JSON.stringify({ email, password: "correct horse battery" }) });
const betterAuthToken = signIn.headers.get("set-auth-token");

async function ok(response, what) {
  if (response.status !== 200) throw new Error(`${what} ${response.status} ${await response.text()}`);
  return response.json();
}

const runs = [
  ["GET /ok (floor)", () => fetch(`${api}/ok`).then((r) => r.text())],
  ["better-auth get-session (bearer)", () => fetch(`${api}/get-session`, { headers: { authorization: `Bearer ${betterAuthToken}` } }).then((r) => ok(r, "get-session"))],
  ["GET /auth/v1/user (ES256 + D1 session)", () => fetch(`${sb}/user`, { headers: { ...json, authorization: `Bearer ${session.access_token}` } }).then((r) => ok(r, "user"))],
  [
    "POST /auth/v1/token?grant_type=refresh_token",
    async () => {
      const r = await fetch(`${sb}/token?grant_type=refresh_token`, { method: "POST", headers: json, body: JSON.stringify({ refresh_token: session.refresh_token }) });
      session = await ok(r, "refresh");
    },
  ],
];
await timeAgainstFloor("Supabase's API in workerd (wrangler dev)", runs);
