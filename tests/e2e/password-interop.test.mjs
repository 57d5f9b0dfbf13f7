// Password hashes in the real runtime: better-auth's hashes verify here (with NFKC), and hashes
// written here have better-auth's format. Runs once per PASSWORD_HASHER (see scripts/e2e.sh).
import { test, after } from "node:test";
import { readFileSync } from "node:fs";
import assert from "node:assert/strict";
import { call, uniqueEmail } from "./helpers.mjs";

const hasher = process.env.PASSWORD_HASHER ?? "wasm";

test(`a password hash written by better-auth signs in (${hasher})`, async () => {
  const ok = await call("/sign-in/email", { method: "POST", body: { email: "imported@example.com", password: "password123" } });
  assert.equal(ok.status, 200, ok.text);
  assert.equal(ok.json.user.emailVerified, true);
  const bad = await call("/sign-in/email", { method: "POST", body: { email: "imported@example.com", password: "password124" } });
  assert.equal(bad.status, 401);
});

test(`passwords are NFKC-normalised before hashing (${hasher})`, async () => {
  for (const password of ["file-pass", "\u{FB01}le-pass"]) {
    const res = await call("/sign-in/email", { method: "POST", body: { email: "ligature@example.com", password } });
    assert.equal(res.status, 200, `${password}: ${res.text}`);
  }
});

test(`new hashes round-trip, including non-ASCII passwords (${hasher})`, async () => {
  const email = uniqueEmail(`hash-${hasher}`);
  const password = "pässwörd-😀-\u{FB01}";
  assert.equal((await call("/sign-up/email", { method: "POST", body: { name: "H", email, password } })).status, 200);
  assert.equal((await call("/sign-in/email", { method: "POST", body: { email, password } })).status, 200);
  assert.equal((await call("/sign-in/email", { method: "POST", body: { email, password: password.replace("\u{FB01}", "fi") } })).status, 200);
});

after(() => {
  // node-crypto falls back to the wasm scrypt when the runtime lacks node:crypto; it must not have.
  const log = process.env.WRANGLER_LOG ? readFileSync(process.env.WRANGLER_LOG, "utf8") : "";
  assert.ok(!log.includes("node:crypto scrypt unavailable"), "the node:crypto path fell back to wasm");
});
