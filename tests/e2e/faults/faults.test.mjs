// The test build (--features e2e-faults): what the runtime does with a panic, a real D1 failure
// through the real error mapping, and a session revoked in another location while this one still
// has it in KV.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { BASE, call, uniqueEmail } from "../helpers.mjs";

const PASSWORD = "correct horse battery";
const faults = (path, init) => fetch(`${BASE}/__faults/${path}`, init);
const cached = async (token) =>
  (await (await faults(`kv?key=session:${createHash("sha256").update(token).digest("hex")}`)).json()).present;

test("a sliding refresh does not bring back a session whose D1 row is gone", async () => {
  const up = await call("/sign-up/email", { method: "POST", body: { name: "R", email: uniqueEmail("revived"), password: PASSWORD } });
  const token = up.json.token;
  const auth = { authorization: `Bearer ${up.headers.get("set-auth-token")}` };
  assert.equal((await call("/get-session", { headers: auth })).json.session.token, token);
  // Another location revoked it: the row is gone, this location's KV entry is not.
  assert.deepEqual(await (await faults(`forget-session-row?token=${token}`, { method: "POST" })).json(), { deleted: 1 });
  assert.equal(await cached(token), true);
  await new Promise((r) => setTimeout(r, 1_200)); // past SESSION_UPDATE_AGE (1 s here)
  const after = await call("/get-session", { headers: auth });
  assert.equal(after.text, "null");
  assert.equal(await cached(token), false, "the KV entry is dropped, not written back");
  assert.equal((await call("/token", { headers: auth })).status, 401, "no more JWTs for it");
});

test("a D1 failure that is not a constraint answers 503 JSON", async () => {
  const res = await faults("d1-error");
  assert.equal(res.status, 503);
  assert.deepEqual(await res.json(), { message: "The service is temporarily unavailable", code: "SERVICE_UNAVAILABLE" });
});

test("a panic fails its own request with a 500; the next request is served normally", async () => {
  const panicked = await faults("panic");
  assert.equal(panicked.status, 500);
  const ok = await call("/ok");
  assert.deepEqual(ok.json, { ok: true });
  const email = uniqueEmail("after-panic");
  const up = await call("/sign-up/email", { method: "POST", body: { name: "P", email, password: PASSWORD } });
  assert.equal(up.status, 200, up.text);
  assert.equal((await call("/get-session", { headers: { authorization: `Bearer ${up.headers.get("set-auth-token")}` } })).json.user.email, email);
  // A request in flight on the same instance when another panics: recorded, not asserted (the
  // runtime decides; see the README).
  const inFlight = call("/sign-in/email", { method: "POST", body: { email, password: PASSWORD } });
  const again = await faults("panic");
  const neighbour = await inFlight;
  console.log(`# concurrent with a panic: the panicking request ${again.status}, a sign-in in flight ${neighbour.status}`);
  assert.deepEqual((await call("/ok")).json, { ok: true });
});
