// User sync against the real runtime: wrangler dev delivers to a loopback receiver that injects
// faults (tests/e2e/receiver). The cron is fired through /__scheduled.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startReceiver } from "./receiver/receiver.mjs";
import { BASE, Jar, call, uniqueEmail } from "./helpers.mjs";

const PASSWORD = "correct horse battery";
let receiver;

before(async () => {
  receiver = await startReceiver({ port: Number(process.env.RECEIVER_PORT), secrets: [process.env.SYNC_SECRET] });
});
after(() => receiver?.close());

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const cron = () => fetch(`${BASE}/__scheduled?cron=${encodeURIComponent("* * * * *")}`).then((r) => r.text());

/** Fires the cron until `predicate` holds (backoff delays run in real time). */
async function eventually(predicate, what, { timeoutMs = 45_000, useCron = true } = {}) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (predicate()) return;
    if (useCron) await cron();
    await sleep(250);
  }
  assert.fail(`timed out waiting for: ${what}`);
}

async function signUp(tag) {
  const jar = new Jar();
  const email = uniqueEmail(tag);
  const res = await call("/sign-up/email", { method: "POST", body: { name: "Synced", email, password: PASSWORD }, jar });
  assert.equal(res.status, 200, res.text);
  return { jar, email, id: res.json.user.id };
}

function resetFaults() {
  Object.assign(receiver.faults, { failRate: 0, tooManyRequests: null, delayMs: 0, dropAfterApply: 0, holdNext: false, clockSkewSeconds: 0 });
}

test("a sign-up reaches the receiver right after the response, without the cron", async () => {
  resetFaults();
  const { id, email } = await signUp("immediate");
  await eventually(() => receiver.user(id), "the user at the receiver", { timeoutMs: 10_000, useCron: false });
  assert.deepEqual({ ...receiver.user(id) }, { id, email, name: "Synced", version: 1 });
});

test("updates arrive with growing versions and a deletion leaves a tombstone", async () => {
  resetFaults();
  const { id, jar } = await signUp("lifecycle");
  await call("/update-user", { method: "POST", body: { name: "Renamed" }, jar });
  await eventually(() => receiver.user(id)?.name === "Renamed", "the rename");
  assert.equal(receiver.user(id).version, 2);
  await call("/delete-user", { method: "POST", body: { password: PASSWORD }, jar });
  await eventually(() => receiver.tombstone(id), "the tombstone");
  assert.equal(receiver.user(id), undefined);
  assert.equal(receiver.tombstone(id).version, 3);
});

test("create then delete during an outage leaves the user absent, never resurrected", async () => {
  resetFaults();
  receiver.faults.failRate = 1;
  const { id, jar } = await signUp("outage");
  await call("/delete-user", { method: "POST", body: { password: PASSWORD }, jar });
  await sleep(500);
  receiver.faults.failRate = 0;
  await eventually(() => receiver.tombstone(id), "the tombstone after recovery");
  assert.equal(receiver.user(id), undefined);
  await cron();
  assert.equal(receiver.user(id), undefined);
});

test("a lost acknowledgement is retried and applied once", async () => {
  resetFaults();
  const duplicatesBefore = receiver.stats.duplicates;
  receiver.faults.dropAfterApply = 1;
  const { id } = await signUp("lost-ack");
  await eventually(() => receiver.stats.duplicates > duplicatesBefore, "the retried event answered as duplicate");
  assert.equal(receiver.user(id).version, 1);
});

test("an update made while a request is held in flight still ends at the newest version", async () => {
  resetFaults();
  const { id, jar } = await signUp("inflight");
  await eventually(() => receiver.user(id), "the first version");
  receiver.faults.holdNext = true;
  await call("/update-user", { method: "POST", body: { name: "First" }, jar });
  await sleep(300);
  await call("/update-user", { method: "POST", body: { name: "Second" }, jar });
  receiver.releaseHeld();
  await eventually(() => receiver.user(id)?.name === "Second", "the newest name");
  assert.equal(receiver.user(id).version, 3);
});

test("replayed, re-timed, re-pathed or altered requests are refused", async () => {
  resetFaults();
  await signUp("replay");
  await eventually(() => receiver.seen.length > 0, "a delivered request");
  const { headers, body } = receiver.seen.at(-1);
  const resend = (path, h, b) => fetch(`http://127.0.0.1:${process.env.RECEIVER_PORT}${path}`, { method: "POST", headers: h, body: b }).then((r) => r.status);
  const forward = Object.fromEntries(Object.entries(headers).filter(([k]) => k.startsWith("x-ba-sync-") || k === "content-type"));
  assert.equal(await resend("/api/ba-sync/events", forward, body), 409, "an identical resend is a replay");
  const fresh = { ...forward, "x-ba-sync-nonce": "a-fresh-nonce-for-this-test" };
  assert.equal(await resend("/api/ba-sync/events", fresh, Buffer.concat([body, Buffer.from(" ")])), 401, "an altered body");
  assert.equal(await resend("/api/ba-sync/events", { ...fresh, "x-ba-sync-timestamp": String(Number(forward["x-ba-sync-timestamp"]) - 1) }, body), 401, "a re-timed request");
  assert.equal(await resend("/api/ba-sync/manifest", fresh, body), 401, "a re-pathed request");
  receiver.faults.clockSkewSeconds = 301;
  assert.equal(await resend("/api/ba-sync/events", { ...fresh, "x-ba-sync-nonce": "another-fresh-nonce" }, body), 401, "outside the window");
});

test("soak: users created, updated and deleted while the receiver fails 30% and drops acknowledgements", async () => {
  resetFaults();
  receiver.faults.failRate = 0.3;
  receiver.faults.dropAfterApply = 5;
  const users = [];
  for (let i = 0; i < 24; i++) users.push(await signUp(`soak${i}`));
  for (const u of users.filter((_, i) => i % 2 === 0)) await call("/update-user", { method: "POST", body: { name: "Updated" }, jar: u.jar });
  const deleted = users.filter((_, i) => i % 3 === 0);
  for (const u of deleted) await call("/delete-user", { method: "POST", body: { password: PASSWORD }, jar: u.jar });
  receiver.faults.failRate = 0;
  const alive = users.filter((u) => !deleted.includes(u));
  const converged = () =>
    alive.every((u, i) => receiver.user(u.id)?.name === (users.indexOf(u) % 2 === 0 ? "Updated" : "Synced")) &&
    deleted.every((u) => !receiver.user(u.id) && receiver.tombstone(u.id));
  await eventually(converged, "the receiver to match D1", { timeoutMs: 90_000 });
  for (const u of alive) assert.equal(receiver.user(u.id).version, users.indexOf(u) % 2 === 0 ? 2 : 1, "no duplicate application");
});
