// The HTTP protocol against the real Workers runtime (wrangler dev, local D1 and KV).
import { test } from "node:test";
import assert from "node:assert/strict";
import { request as httpRequest } from "node:http";
import { API, BASE, Jar, call, freshIp, uniqueEmail } from "./helpers.mjs";

const PASSWORD = "correct horse battery";

test("sign-up, get-session, sign-out and sign-in round trip with cookies", async () => {
  const jar = new Jar();
  const email = uniqueEmail("roundtrip");
  const up = await call("/sign-up/email", { method: "POST", body: { name: "Round Trip", email, password: PASSWORD }, jar });
  assert.equal(up.status, 200, up.text);
  assert.match(up.headers.get("set-cookie"), /^better-auth\.session_token=[A-Za-z0-9]{32}\.[^;]+; Max-Age=604800; Path=\/; HttpOnly; SameSite=Lax/);
  const session = await call("/get-session", { jar });
  assert.equal(session.json.user.email, email);
  assert.equal(session.json.session.token, up.json.token);
  assert.equal(session.headers.get("cache-control"), "no-store");

  const out = await call("/sign-out", { method: "POST", body: {}, jar });
  assert.deepEqual(out.json, { success: true });
  assert.equal((await call("/get-session", { jar })).text, "null");
  const stale = await call("/get-session", { headers: { authorization: `Bearer ${up.json.token}` } });
  assert.equal(stale.text, "null", "a signed-out token must not authenticate from KV or D1");

  const back = await call("/sign-in/email", { method: "POST", body: { email: email.toUpperCase(), password: PASSWORD }, jar });
  assert.equal(back.status, 200);
  assert.equal(back.json.redirect, false);
  assert.equal((await call("/get-session", { jar })).json.user.email, email);
});

test("wrong passwords and unknown addresses get the same 401", async () => {
  const email = uniqueEmail("enum");
  await call("/sign-up/email", { method: "POST", body: { name: "E", email, password: PASSWORD } });
  const wrong = await call("/sign-in/email", { method: "POST", body: { email, password: "wrong password" } });
  const unknown = await call("/sign-in/email", { method: "POST", body: { email: uniqueEmail("nobody"), password: "wrong password" } });
  for (const r of [wrong, unknown]) {
    assert.equal(r.status, 401);
    assert.deepEqual(r.json, { message: "Invalid email or password", code: "INVALID_EMAIL_OR_PASSWORD" });
    assert.equal(r.headers.get("set-cookie"), null);
  }
});

test("concurrent sign-ups with one address create exactly one user", async () => {
  const email = uniqueEmail("race");
  const variants = [email, email.toUpperCase(), email, email.replace(/^./, (c) => c.toUpperCase()), email, email.toUpperCase()];
  const results = await Promise.all(
    variants.map((e) => call("/sign-up/email", { method: "POST", body: { name: "Racer", email: e, password: PASSWORD } })),
  );
  const statuses = results.map((r) => r.status).sort();
  assert.equal(statuses.filter((s) => s === 200).length, 1, JSON.stringify(statuses));
  for (const r of results.filter((r) => r.status !== 200)) {
    assert.equal(r.status, 422);
    assert.equal(r.json.code, "USER_ALREADY_EXISTS_USE_ANOTHER_EMAIL");
  }
  const signIn = await call("/sign-in/email", { method: "POST", body: { email, password: PASSWORD } });
  assert.equal(signIn.status, 200);
});

test("bearer sessions: set-auth-token authenticates every session endpoint", async () => {
  const up = await call("/sign-up/email", { method: "POST", body: { name: "B", email: uniqueEmail("bearer"), password: PASSWORD } });
  const auth = { authorization: `Bearer ${up.headers.get("set-auth-token")}` };
  assert.equal((await call("/get-session", { headers: auth })).json.session.token, up.json.token);
  assert.equal((await call("/list-sessions", { headers: auth })).json.length, 1);
  assert.deepEqual((await call("/update-user", { method: "POST", body: { name: "Renamed" }, headers: auth })).json, { status: true });
  assert.equal((await call("/get-session", { headers: auth })).json.user.name, "Renamed");
  assert.equal((await call("/list-accounts", { headers: auth })).json[0].providerId, "credential");
  const jwt = await call("/token", { headers: auth });
  assert.equal(jwt.status, 200);
  assert.equal(jwt.json.token.split(".").length, 3);
});

test("revocation and password change take effect in the real runtime", async () => {
  const email = uniqueEmail("revoke");
  const a = new Jar();
  const b = new Jar();
  await call("/sign-up/email", { method: "POST", body: { name: "R", email, password: PASSWORD }, jar: a });
  await call("/sign-in/email", { method: "POST", body: { email, password: PASSWORD }, jar: b });
  const list = await call("/list-sessions", { jar: a });
  assert.equal(list.json.length, 2);
  const other = list.json.find((s) => s.token !== (a.cookies.get("better-auth.session_token") ?? "").split(".")[0]);
  assert.deepEqual((await call("/revoke-session", { method: "POST", body: { token: other.token }, jar: a })).json, { status: true });
  assert.equal((await call("/get-session", { jar: b })).text, "null");

  await call("/sign-in/email", { method: "POST", body: { email, password: PASSWORD }, jar: b });
  const changed = await call("/change-password", { method: "POST", body: { currentPassword: PASSWORD, newPassword: "a new password!", revokeOtherSessions: true }, jar: a });
  assert.equal(changed.status, 200, changed.text);
  assert.equal(typeof changed.json.token, "string");
  assert.equal((await call("/get-session", { jar: b })).text, "null");
  assert.equal((await call("/get-session", { jar: a })).json.session.token, changed.json.token);
  const deleted = await call("/delete-user", { method: "POST", body: { password: "a new password!" }, jar: a });
  assert.deepEqual(deleted.json, { success: true, message: "User deleted" });
  assert.equal((await call("/sign-in/email", { method: "POST", body: { email, password: "a new password!" } })).status, 401);
});

test("bad input gets clean JSON 4xx answers, never a 5xx", async () => {
  const big = JSON.stringify({ name: "x".repeat(70 * 1024), email: "big@example.com", password: PASSWORD });
  const cases = [
    [await call("/sign-up/email", { method: "POST", body: big, headers: { "content-type": "application/json" } }), 413, "PAYLOAD_TOO_LARGE"],
    [await call("/sign-in/email", { method: "POST", body: "{}", headers: { "content-type": "text/plain" } }), 415, "UNSUPPORTED_MEDIA_TYPE"],
    [await call("/sign-in/email", { method: "POST", body: "{nope", headers: { "content-type": "application/json" } }), 400, "BAD_REQUEST"],
    [await call("/sign-in/email", { method: "POST", body: new Uint8Array([0x7b, 0xff, 0xfe, 0x7d]), headers: { "content-type": "application/json" } }), 400, "BAD_REQUEST"],
    [await call("/sign-in/email", { method: "POST", body: { email: 5, password: [] } }), 400, "VALIDATION_ERROR"],
    [await call("/sign-in/email", { method: "POST", body: { email: "x@example.com", password: PASSWORD }, headers: { origin: "https://evil.test" } }), 403, "INVALID_ORIGIN"],
  ];
  for (const [res, status, code] of cases) {
    assert.equal(res.status, status, res.text);
    assert.equal(res.json.code, code);
  }
  const unknown = await call("/no-such-endpoint");
  assert.equal(unknown.status, 404);
  assert.equal(unknown.text, "");
});

/**
 * POSTs a chunked body (no Content-Length) of up to `limit` bytes, chunk after chunk, until the
 * service answers or closes the connection; returns what came back and how much had been written.
 */
function streamUntilStopped(path, limit) {
  return new Promise((resolve) => {
    const url = new URL(API + path);
    const chunk = Buffer.alloc(16 * 1024, 0x20);
    let sent = 0;
    let over = false;
    const done = (outcome) => {
      if (over) return;
      over = true;
      resolve({ ...outcome, sent });
      req.destroy();
    };
    const req = httpRequest(
      { host: url.hostname, port: url.port, path: url.pathname, method: "POST", headers: { "content-type": "application/json", "cf-connecting-ip": freshIp() } },
      (res) => {
        let body = "";
        res.on("data", (c) => (body += c));
        res.on("end", () => done({ status: res.statusCode, body }));
      },
    );
    req.on("error", (e) => done({ error: e.code }));
    const pump = () => {
      while (!over && sent < limit) {
        sent += chunk.length;
        if (!req.write(chunk)) return req.once("drain", pump);
      }
      if (!over) req.end();
    };
    req.write("{");
    pump();
  });
}

test("a chunked body over the cap is refused as it streams, not after buffering it", async () => {
  const outcome = await streamUntilStopped("/sign-in/email", 256 * 1024 * 1024);
  // The Worker stops reading just past MAX_BODY_BYTES and answers 413 (read_capped, tested
  // natively chunk by chunk). A Worker that buffered the body would read all 256 MB first. Locally,
  // wrangler's proxy forwards the upload with fetch, which on such an early answer relays the 413,
  // answers 500 itself ("Network connection lost") or resets the connection: only the 413 is
  // checked for its body.
  assert.ok(outcome.sent < 32 * 1024 * 1024, `the upload went on for ${outcome.sent} bytes`);
  if (outcome.status === 413) assert.equal(JSON.parse(outcome.body).code, "PAYLOAD_TOO_LARGE");
  else assert.ok(outcome.error || outcome.status === 500, JSON.stringify(outcome));
  assert.equal((await call("/ok")).status, 200, "the service goes on");
});

test("the header check comes before any look at the body", async () => {
  const res = await fetch(`${API}/sign-in/email`, {
    method: "POST",
    headers: { "content-type": "application/json", "cf-connecting-ip": freshIp(), "x-filler": "a".repeat(40 * 1024) },
    body: JSON.stringify({ email: "x@example.com", password: "y".repeat(1024 * 1024) }),
  });
  assert.equal(res.status, 431, "not 413: the oversized body was never considered");
  assert.equal((await res.json()).code, "REQUEST_HEADER_FIELDS_TOO_LARGE");
});

test("oversized request headers are refused with a JSON 431", async () => {
  const res = await fetch(`${BASE}/api/auth/get-session`, { headers: { "x-filler": "a".repeat(100 * 1024) } });
  assert.equal(res.status, 431);
  assert.equal((await res.json()).code, "REQUEST_HEADER_FIELDS_TOO_LARGE");
});

test("the health check and the cron trigger run", async () => {
  const health = await (await fetch(`${BASE}/health`)).json();
  assert.equal(health.status, "ok");
  const cron = await fetch(`${BASE}/__scheduled?cron=${encodeURIComponent("* * * * *")}`);
  assert.equal(cron.status, 200);
});

test("methods the service does not speak are a bodiless 404, never answered as GET", async () => {
  for (const method of ["QUERY", "PURGE", "PUT", "DELETE", "PATCH"]) {
    const res = await fetch(`${API}/get-session`, { method, headers: { "cf-connecting-ip": freshIp() } });
    assert.equal(res.status, 404, method);
    assert.equal(await res.text(), "", method);
  }
});
