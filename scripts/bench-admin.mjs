// Times the admin's user listing against the running wrangler dev (seeded by bench-admin.sh), and
// a session read standing on an API key beside one standing on a session token, interleaved with
// the /api/auth/ok floor, and prints medians and ratios.
import { execFileSync } from "node:child_process";
import { timeAgainstFloor } from "./bench-floor.mjs";

const users = Number(process.argv[2]);
const base = process.env.BASE_URL;
const api = `${base}/api/auth`;
const headers = { "content-type": "application/json", origin: base };
const email = `bench-admin-${Date.now()}@example.com`;
const up = await fetch(`${api}/sign-up/email`, { method: "POST", headers, body: JSON.stringify({ name: "Bench Admin", email, password: "correct horse battery" }) });
const token = up.headers.get("set-auth-token");
execFileSync("bash", ["scripts/admin.sh", "promote", email, "--persist-to", `${process.env.TEST_STATE}/data`], { stdio: "ignore" });
const auth = { authorization: `Bearer ${token}` };
// An admin may lift a key's rate limit (better-auth's server-only field), so every use counts.
const made = await fetch(`${api}/api-key/create`, { method: "POST", headers: { ...headers, ...auth }, body: JSON.stringify({ name: "bench", rateLimitEnabled: false }) });
const { key } = await made.json();

const queries = [
  ["GET /ok (floor)", `${api}/ok`, {}],
  ["default page (100, oldest first)", `${api}/admin/list-users`, auth],
  ["email prefix search", `${api}/admin/list-users?searchValue=bench00420&searchOperator=starts_with`, auth],
  ["name contains search", `${api}/admin/list-users?searchValue=ench%2099999&searchField=name`, auth],
  ["role filter (2% of users)", `${api}/admin/list-users?filterField=role&filterValue=admin&limit=100`, auth],
  ["page 500, sorted by email desc", `${api}/admin/list-users?sortBy=email&sortDirection=desc&limit=100&offset=50000`, auth],
  ["get-session, session token (KV)", `${api}/get-session`, auth],
  ["get-session, x-api-key (D1, counted)", `${api}/get-session`, { "x-api-key": key }],
];
const runs = queries.map(([what, url, h]) => [what, async () => {
  const res = await fetch(url, { headers: h });
  const body = await res.json();
  if (res.status !== 200) throw new Error(`${url}: ${res.status} ${JSON.stringify(body)}`);
}]);
await timeAgainstFloor(`list-users over ${users} users in local D1 (wrangler dev), and session reads`, runs, { rounds: 20, width: 34 });
