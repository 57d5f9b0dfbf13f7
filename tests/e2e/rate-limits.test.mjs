// Rate limits in the real runtime: Cloudflare's rate-limiting binding as wrangler simulates it,
// keyed by cf-connecting-ip, and the per-address sign-in limit in D1.
import { test } from "node:test";
import assert from "node:assert/strict";
import { call, freshIp, uniqueEmail } from "./helpers.mjs";

const PASSWORD = "correct horse battery";
const signIn = (email, password, ip) => call("/sign-in/email", { method: "POST", body: { email, password }, headers: { "cf-connecting-ip": ip } });

/** Waits for the start of a fresh 10-second window (the binding counts in windows aligned to the clock). */
async function freshWindow() {
  const into = Date.now() % 10_000;
  if (into > 4_000) await new Promise((r) => setTimeout(r, 10_000 - into + 50));
}

test("a fourth sign-in within 10 s from one address gets 429 with X-Retry-After while another address signs in", async () => {
  const email = uniqueEmail("limited");
  assert.equal((await call("/sign-up/email", { method: "POST", body: { name: "L", email, password: PASSWORD } })).status, 200);
  const ip = freshIp();
  await freshWindow();
  for (let i = 0; i < 3; i++) assert.equal((await signIn(email, PASSWORD, ip)).status, 200);
  const fourth = await signIn(email, PASSWORD, ip);
  assert.equal(fourth.status, 429, fourth.text);
  assert.deepEqual(fourth.json, { message: "Too many requests. Please try again later." });
  assert.equal(fourth.headers.get("x-retry-after"), "10");
  assert.equal(fourth.headers.get("retry-after"), "10");
  assert.equal(fourth.headers.get("set-cookie"), null);
  const elsewhere = await signIn(email, PASSWORD, freshIp());
  assert.equal(elsewhere.status, 200);
  assert.equal(elsewhere.json.user.email, email);
});

test("ten failed sign-ins for one address from ten addresses lock it; another address is untouched", async () => {
  const victim = uniqueEmail("victim");
  const bystander = uniqueEmail("bystander");
  for (const email of [victim, bystander]) {
    await call("/sign-up/email", { method: "POST", body: { name: "V", email, password: PASSWORD } });
  }
  for (let i = 0; i < 10; i++) assert.equal((await signIn(victim, "wrong password", freshIp())).status, 401);
  const locked = await signIn(victim, PASSWORD, freshIp());
  assert.equal(locked.status, 429);
  assert.ok(Number(locked.headers.get("x-retry-after")) > 800, locked.headers.get("x-retry-after"));
  assert.equal((await signIn(bystander, PASSWORD, freshIp())).status, 200);
  // Unknown addresses lock alike, so a 429 reveals nothing.
  const nobody = uniqueEmail("nobody");
  for (let i = 0; i < 10; i++) assert.equal((await signIn(nobody, "wrong password", freshIp())).status, 401);
  assert.equal((await signIn(nobody, "wrong password", freshIp())).status, 429);
});
