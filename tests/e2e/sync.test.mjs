// User sync against the real runtime: wrangler dev delivers to a loopback receiver that injects
// faults (tests/e2e/receiver). The cron is fired through /__scheduled.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { startReceiver } from "./receiver/receiver.mjs";
import { BASE, Jar, call, uniqueEmail } from "./helpers.mjs";

const PASSWORD = "correct horse battery";
const RECEIVER_PATH = "/cms";
let receiver;

before(async () => {
  // scripts/e2e.sh gives the service a PAYLOAD_SYNC_URL with a path: every request here signs it.
  receiver = await startReceiver({ port: Number(process.env.RECEIVER_PORT), secrets: [process.env.SYNC_SECRET], basePath: RECEIVER_PATH });
});
after(() => receiver?.close());

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const cron = () => fetch(`${BASE}/__scheduled?cron=${encodeURIComponent("* * * * *")}`).then((r) => r.text());

/** Fires the cron until `predicate` holds (backoff delays run in real time). */
async function eventually(predicate, what, { timeoutMs = 45_000, useCron = true, probe } = {}) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (probe) await probe();
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
  Object.assign(receiver.faults, { failRate: 0, refuseRate: 0, refuseNext: 0, tooManyRequests: null, delayMs: 0, dropAfterApply: 0, holdNext: false, clockSkewSeconds: 0 });
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
  const resend = (path, h, b) => fetch(`http://127.0.0.1:${process.env.RECEIVER_PORT}${RECEIVER_PATH}${path}`, { method: "POST", headers: h, body: b }).then((r) => r.status);
  const forward = Object.fromEntries(Object.entries(headers).filter(([k]) => k.startsWith("x-ba-sync-") || k === "content-type"));
  assert.equal(await resend("/api/ba-sync/events", forward, body), 409, "an identical resend is a replay");
  // Fresh, well-formed nonces: each refusal below is for the reason it names.
  const fresh = () => ({ ...forward, "x-ba-sync-nonce": randomBytes(16).toString("base64url") });
  assert.equal(await resend("/api/ba-sync/events", fresh(), Buffer.concat([body, Buffer.from(" ")])), 401, "an altered body");
  assert.equal(await resend("/api/ba-sync/events", { ...fresh(), "x-ba-sync-timestamp": String(Number(forward["x-ba-sync-timestamp"]) - 1) }, body), 401, "a re-timed request");
  assert.equal(await resend("/api/ba-sync/manifest", fresh(), body), 401, "a re-pathed request");
  assert.equal(await resend("/api/ba-sync/events", { ...forward, "x-ba-sync-nonce": "not-a-128-bit-nonce" }, body), 401, "a malformed nonce");
  receiver.faults.clockSkewSeconds = 301;
  assert.equal(await resend("/api/ba-sync/events", fresh(), body), 401, "outside the window");
});

const operator = (method, path, { token = process.env.RECONCILE_TOKEN, body } = {}) =>
  call(`/reconcile/${path}`, { method, body, headers: token === null ? {} : { "x-reconcile-token": token } });

test("the operator endpoints refuse a missing or wrong token", async () => {
  for (const [method, path] of [["GET", "status"], ["POST", "run"], ["POST", "ensure"], ["POST", "delete"]]) {
    const body = method === "POST" ? {} : undefined;
    assert.equal((await operator(method, path, { token: null, body })).status, 401, `${path} without a token`);
    assert.equal((await operator(method, path, { token: "wrong", body })).status, 401, `${path} with a wrong token`);
  }
});

test("a full reconcile repairs a receiver that lost users, and keeps its strays with prune off", async () => {
  resetFaults();
  const { id } = await signUp("reconcile");
  await eventually(() => receiver.user(id), "the first delivery");
  receiver.forget(id);
  receiver.plant("zzz-stray-user", 3);
  const run = await operator("POST", "run", { body: {} });
  assert.equal(run.status, 200);
  assert.match(run.json.reconcileId, /^rec_/);
  await eventually(() => receiver.user(id), "the reconcile to restore the user");
  assert.ok(receiver.user("zzz-stray-user"), "prune is off");
  receiver.forget("zzz-stray-user");
  let status;
  const probe = async () => {
    status = (await operator("GET", "status")).json;
  };
  await eventually(() => status?.reconciling === false, "the reconcile to finish", { timeoutMs: 20_000, probe });
});

test("a long receiver outage queues work, shows in the status, and recovers", async () => {
  resetFaults();
  receiver.faults.failRate = 1;
  const users = [];
  for (let i = 0; i < 5; i++) users.push(await signUp(`outage-long${i}`));
  await sleep(1_500);
  await cron();
  const status = (await operator("GET", "status")).json;
  assert.ok(status.queueSize >= 5, JSON.stringify(status));
  assert.ok(status.oldestPendingAgeMs >= 1_000, JSON.stringify(status));
  assert.ok(status.failed > 0 && status.lastError, JSON.stringify(status));
  receiver.faults.failRate = 0;
  await eventually(() => users.every((u) => receiver.user(u.id)), "recovery");
});

test("soak: 300 users created, updated and deleted while the receiver fails 30%, refuses 5% and drops acknowledgements", async () => {
  resetFaults();
  receiver.faults.failRate = 0.3;
  receiver.faults.refuseRate = 0.05;
  receiver.faults.dropAfterApply = 20;
  const users = [];
  for (let i = 0; i < 300; i++) users.push(await signUp(`soak${i}`));
  for (const u of users.filter((_, i) => i % 2 === 0)) await call("/update-user", { method: "POST", body: { name: "Updated" }, jar: u.jar });
  const deleted = users.filter((_, i) => i % 3 === 0);
  for (const u of deleted) await call("/delete-user", { method: "POST", body: { password: PASSWORD }, jar: u.jar });
  receiver.faults.failRate = 0;
  receiver.faults.refuseRate = 0;
  const refused = receiver.stats.refused;
  // Refused events are parked dead; the full reconcile is what repairs them.
  receiver.faults.dropAfterApply = 0;
  await operator("POST", "run", { body: {} });
  let status;
  const probe = async () => {
    status = (await operator("GET", "status")).json;
  };
  await eventually(() => status?.reconciling === false && status.queueSize === 0, "a drained queue after a reconcile", { probe, timeoutMs: 120_000 });
  const alive = users.filter((u) => !deleted.includes(u));
  for (const u of alive) {
    assert.equal(receiver.user(u.id)?.name, users.indexOf(u) % 2 === 0 ? "Updated" : "Synced", u.id);
    assert.equal(receiver.user(u.id).version, users.indexOf(u) % 2 === 0 ? 2 : 1, "no duplicate application");
  }
  // A user whose every event was refused never reached the receiver: absent is what counts.
  for (const u of deleted) assert.ok(!receiver.user(u.id), `${u.id} deleted`);
  assert.equal(status.deadTasks, 0, JSON.stringify(status));
  assert.ok(refused > 0, "the soak did include refusals");
  assert.deepEqual(receiver.users().map((u) => u.id), d1UserIds());
});

/** Reads wrangler dev's local D1 directly. */
function d1(sql) {
  const args = ["d1", "execute", "DB", "--local", "--persist-to", `${process.env.TEST_STATE}/data`, "--json", "--command", sql];
  const out = spawnSync("wrangler", args, { encoding: "utf8" });
  assert.equal(out.status, 0, out.stderr);
  return JSON.parse(out.stdout)[0].results;
}

/** D1's user ids (ordered as SQLite orders text). */
const d1UserIds = () => d1('select "id" from "user" order by "id"').map((r) => r.id);

test("sign-ups that lose a race for one address leave no sync work behind", async () => {
  resetFaults();
  const count = () => d1('select (select count(*) from "sync_version") as "versions", (select count(*) from "user") as "users"')[0];
  const before = count();
  const email = uniqueEmail("race-sync");
  const variants = [email, email.toUpperCase(), email, email, email.toUpperCase()];
  const results = await Promise.all(variants.map((e) => call("/sign-up/email", { method: "POST", body: { name: "Racer", email: e, password: PASSWORD } })));
  assert.equal(results.filter((r) => r.status === 200).length, 1);
  const after = count();
  assert.equal(after.users - before.users, 1);
  assert.equal(after.versions - before.versions, 1, "only the winner's batch wrote sync work");
});

test("a row claimed by a sender that died is sent again once its lease expires", async () => {
  resetFaults();
  receiver.faults.failRate = 1;
  const { id } = await signUp("dead-sender");
  await sleep(300);
  // The state a drain leaves when its isolate dies mid-send: claimed, leased, never completed.
  const leaseUntil = Date.now() + 4_000;
  d1(`update "sync_outbox" set "status" = 'inflight', "leaseOwner" = 'drain_that_died', "leaseUntil" = ${leaseUntil}, "nextAttemptAt" = 0 where "userId" = '${id}'`);
  receiver.faults.failRate = 0;
  await cron();
  assert.equal(receiver.user(id), undefined, "not sent while the lease holds");
  await eventually(() => receiver.user(id), "the reclaimed row delivered");
  assert.ok(Date.now() >= leaseUntil);
});

test("429 with Retry-After delays the retry by at least that long", async () => {
  resetFaults();
  receiver.faults.tooManyRequests = 3;
  const from = receiver.seen.length;
  const { id } = await signUp("retry-after");
  const attempts = () => receiver.seen.slice(from).filter((r) => r.body.toString("utf8").includes(id));
  await eventually(() => attempts().length > 0, "the first attempt", { useCron: false, timeoutMs: 10_000 });
  receiver.faults.tooManyRequests = null;
  await eventually(() => receiver.user(id), "the delivery after Retry-After");
  const [first, second] = attempts();
  assert.ok(second.at - first.at >= 3_000, `retried after ${second.at - first.at} ms`);
});

/** The requests the receiver saw for one user since `from`, oldest first. */
const attemptsFor = (id, from) => receiver.seen.slice(from).filter((r) => r.body.toString("utf8").includes(id));

test("a refused upsert followed by a rename, and by a delete, while it is in flight: both arrive", async () => {
  for (const next of ["rename", "delete"]) {
    resetFaults();
    const u = await signUp(`refused-${next}`);
    await eventually(() => receiver.user(u.id), "the first delivery");
    receiver.faults.holdNext = true;
    await call("/update-user", { method: "POST", body: { name: "Second" }, jar: u.jar });
    await eventually(() => receiver.faults.holdNext === false, "the second version held in flight", { useCron: false, timeoutMs: 10_000 });
    if (next === "rename") await call("/update-user", { method: "POST", body: { name: "Third" }, jar: u.jar });
    else await call("/delete-user", { method: "POST", body: { password: PASSWORD }, jar: u.jar });
    receiver.faults.refuseNext = 1;
    receiver.releaseHeld();
    if (next === "rename") await eventually(() => receiver.user(u.id)?.name === "Third", "the rename made in flight");
    else await eventually(() => !receiver.user(u.id) && receiver.tombstone(u.id), "the delete made in flight");
  }
});

test("a refused delete is repaired by the reconcile with prune off", async () => {
  resetFaults();
  const u = await signUp("refused-delete");
  await eventually(() => receiver.user(u.id), "the first delivery");
  receiver.faults.refuseNext = 1;
  await call("/delete-user", { method: "POST", body: { password: PASSWORD }, jar: u.jar });
  await eventually(() => receiver.faults.refuseNext === 0, "the refusal", { useCron: false, timeoutMs: 10_000 });
  await sleep(500);
  assert.ok(receiver.user(u.id), "still at the receiver after the refusal");
  await operator("POST", "run", { body: {} });
  await eventually(() => !receiver.user(u.id) && receiver.tombstone(u.id), "the reconcile to deliver the deletion");
});

test("every request carries a 128-bit base64url nonce and the time it was sent", async () => {
  resetFaults();
  const from = receiver.seen.length;
  receiver.faults.failRate = 1;
  const { id } = await signUp("stamps");
  await eventually(() => attemptsFor(id, from).length >= 1, "a failed attempt", { useCron: false, timeoutMs: 10_000 });
  receiver.faults.failRate = 0;
  await eventually(() => receiver.user(id), "the delivery");
  const seen = receiver.seen.slice(from);
  assert.ok(seen.length >= 2);
  for (const r of seen) {
    assert.match(r.headers["x-ba-sync-nonce"], /^[A-Za-z0-9_-]{21}[AQgw]$/);
    assert.equal(Buffer.from(r.headers["x-ba-sync-nonce"], "base64url").length, 16);
    const skew = r.at / 1000 - Number(r.headers["x-ba-sync-timestamp"]);
    assert.ok(skew >= -1 && skew < 2, `signed ${skew.toFixed(1)} s before it arrived`);
  }
  // No retry before its backoff: the first failure waits at least 2 s.
  const [first, second] = attemptsFor(id, from);
  assert.ok(second.at - first.at >= 2_000, `retried after ${second.at - first.at} ms`);
});

test("a reconcile pages through 5,000 receiver-only users within each run's budget", async () => {
  resetFaults();
  for (let i = 0; i < 5_000; i++) receiver.plant(`zz-orphan-${String(i).padStart(5, "0")}`, 1);
  await operator("POST", "run", { body: {} });
  let status;
  let runs = 0;
  while (true) {
    const before = receiver.stats.manifests;
    await cron();
    runs++;
    assert.ok(receiver.stats.manifests - before <= 40, `a run made ${receiver.stats.manifests - before} manifest requests`);
    status = (await operator("GET", "status")).json;
    if (!status.reconciling) break;
    assert.ok(runs < 60, "the reconcile keeps moving");
  }
  assert.ok(status.receiverOnlyUsers >= 5_000, JSON.stringify(status));
  for (let i = 0; i < 5_000; i++) receiver.forget(`zz-orphan-${String(i).padStart(5, "0")}`);
});

test("protocol 2: the receiver sees the roles and the ban an admin sets", async () => {
  resetFaults();
  const admin = await signUp("sync-admin");
  const promoted = spawnSync("bash", ["scripts/admin.sh", "promote", admin.email, "--persist-to", `${process.env.TEST_STATE}/data`], {
    encoding: "utf8",
    env: { ...process.env, WRANGLER_LOG: "log" },
  });
  assert.equal(promoted.status, 0, promoted.stderr);
  const { id } = await signUp("sync-managed");
  await eventually(() => receiver.user(id), "the user at the receiver");
  assert.equal(receiver.access(id).banned, 0);
  const seen = receiver.seen.length;
  const role = await call("/admin/set-role", { method: "POST", body: { userId: id, role: ["editor", "viewer"] }, jar: admin.jar });
  assert.equal(role.status, 200, role.text);
  await eventually(() => receiver.access(id)?.role === "editor,viewer", "the roles at the receiver");
  assert.equal(receiver.seen.slice(seen).at(-1).headers["x-ba-sync-protocol"], "2");
  await call("/admin/ban-user", { method: "POST", body: { userId: id, banReason: "spam" }, jar: admin.jar });
  await eventually(() => receiver.access(id)?.banned === 1, "the ban at the receiver");
  await call("/admin/unban-user", { method: "POST", body: { userId: id }, jar: admin.jar });
  await eventually(() => receiver.access(id)?.banned === 0, "the unban at the receiver");
});
