// The Payload example (examples/payload) as the real receiver: a Payload 3 server (Local API,
// SQLite) started here, fed by wrangler dev. scripts/e2e.sh points the second server's
// PAYLOAD_SYNC_URL at PAYLOAD_PORT.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BASE, Jar, call, uniqueEmail } from "../helpers.mjs";
import { sign } from "../../../examples/payload/ba-sync/verify.mjs";

const PASSWORD = "correct horse battery";
const PAYLOAD = `http://127.0.0.1:${process.env.PAYLOAD_PORT}`;
let server;
let dir;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), "payload-"));
  server = spawn(process.execPath, ["server.mjs"], {
    cwd: "examples/payload",
    env: { ...process.env, PORT: process.env.PAYLOAD_PORT, PAYLOAD_SECRET: "payload-secret-for-the-e2e-run-0123456789", BA_TO_PAYLOAD_SECRET: process.env.SYNC_SECRET, PAYLOAD_DB_URL: `file:${join(dir, "payload.db")}` },
    stdio: ["ignore", "pipe", "inherit"],
  });
  await new Promise((resolve, reject) => {
    let out = "";
    server.stdout.on("data", (d) => {
      out += d;
      if (out.includes('"listening"')) resolve();
    });
    server.on("exit", (code) => reject(new Error(`the Payload server exited with ${code}: ${out}`)));
  });
});

after(async () => {
  server?.kill("SIGTERM");
  await new Promise((r) => (server?.exitCode !== null ? r() : server.on("exit", r)));
  rmSync(dir, { recursive: true, force: true });
});

const state = async () => (await fetch(`${PAYLOAD}/_state`)).json();
const cron = () => fetch(`${BASE}/__scheduled?cron=${encodeURIComponent("* * * * *")}`).then((r) => r.text());

async function eventually(predicate, what) {
  const deadline = Date.now() + 45_000;
  while (Date.now() < deadline) {
    const s = await state();
    if (predicate(s)) return s;
    await cron();
    await new Promise((r) => setTimeout(r, 300));
  }
  assert.fail(`timed out waiting for: ${what}`);
}

test("a user's life cycle in portcullis is mirrored in Payload", async () => {
  const jar = new Jar();
  const email = uniqueEmail("payload");
  const up = await call("/sign-up/email", { method: "POST", body: { name: "In Payload", email, password: PASSWORD }, jar });
  const id = up.json.user.id;
  let s = await eventually((s) => s.users.some((u) => u.id === id), "the user in Payload");
  assert.deepEqual(s.users.find((u) => u.id === id), { id, email, name: "In Payload", role: "user", banned: false, version: 1 });

  await call("/update-user", { method: "POST", body: { name: "Renamed in Payload" }, jar });
  s = await eventually((s) => s.users.find((u) => u.id === id)?.version === 2, "the rename in Payload");
  assert.equal(s.users.find((u) => u.id === id).name, "Renamed in Payload");

  // An admin's role and ban reach Payload (sync protocol 2), for its access rules.
  const admin = new Jar();
  const adminEmail = uniqueEmail("payload-admin");
  await call("/sign-up/email", { method: "POST", body: { name: "Payload Admin", email: adminEmail, password: PASSWORD }, jar: admin });
  const promoted = spawnSync("bash", ["scripts/admin.sh", "promote", adminEmail, "--persist-to", `${process.env.TEST_STATE}/data`], { encoding: "utf8", env: { ...process.env, WRANGLER_LOG: "log" } });
  assert.equal(promoted.status, 0, promoted.stderr);
  assert.equal((await call("/admin/set-role", { method: "POST", body: { userId: id, role: ["user", "editor"] }, jar: admin })).status, 200);
  s = await eventually((s) => s.users.find((u) => u.id === id)?.role === "user,editor", "the roles in Payload");
  assert.equal((await call("/admin/ban-user", { method: "POST", body: { userId: id }, jar: admin })).status, 200);
  s = await eventually((s) => s.users.find((u) => u.id === id)?.banned === true, "the ban in Payload");
  await call("/admin/unban-user", { method: "POST", body: { userId: id }, jar: admin });
  await eventually((s) => s.users.find((u) => u.id === id)?.banned === false, "the unban in Payload");

  // The ban ended the user's sessions: sign in again to delete the account.
  assert.equal((await call("/sign-in/email", { method: "POST", body: { email, password: PASSWORD }, jar })).status, 200);
  await call("/delete-user", { method: "POST", body: { password: PASSWORD }, jar });
  s = await eventually((s) => s.tombstones.some((t) => t.id === id), "the tombstone in Payload");
  assert.equal(s.users.find((u) => u.id === id), undefined);
  assert.ok(s.tombstones.find((t) => t.id === id).version > 5, "the deletion outranks every change before it");
});

test("a full reconcile against Payload's manifest converges, and Payload's REST API cannot write users", async () => {
  const run = await call("/reconcile/run", { method: "POST", body: {}, headers: { "x-reconcile-token": process.env.RECONCILE_TOKEN } });
  assert.equal(run.status, 200, run.text);
  const deadline = Date.now() + 45_000;
  let status;
  do {
    await cron();
    status = (await call("/reconcile/status", { headers: { "x-reconcile-token": process.env.RECONCILE_TOKEN } })).json;
  } while ((status.reconciling || status.queueSize > 0) && Date.now() < deadline);
  assert.equal(status.reconciling, false, JSON.stringify(status));
  assert.equal(status.queueSize, 0, JSON.stringify(status));
  assert.equal(status.deadTasks, 0, JSON.stringify(status));
  const forged = await fetch(`${PAYLOAD}/api/users`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ externalId: "forged", baSyncVersion: 99 }) });
  assert.equal(forged.status, 403);
  assert.equal((await state()).users.some((u) => u.id === "forged"), false);
});

test("Payload applies a full 500-event batch well within portcullis' 10 s request timeout", async () => {
  const at = "2026-01-01T00:00:00.000Z";
  const events = Array.from({ length: 500 }, (_, i) => {
    const id = `batch-${process.pid}-${String(i).padStart(3, "0")}`;
    return { type: "user.upsert", eventId: `evt_${id}`, version: 1, occurredAt: at, user: { id, name: `Batch ${i}`, email: `${id}@example.com`, emailVerified: true, image: null, createdAt: at, updatedAt: at }, accounts: [{ id: `acc_${id}`, providerId: "credential", accountId: id }] };
  });
  const body = Buffer.from(JSON.stringify({ events }));
  const parts = { timestamp: Math.floor(Date.now() / 1000), nonce: randomBytes(16).toString("base64url"), id: "dlv_payload_batch", method: "POST", path: "/api/ba-sync/events", body };
  const started = performance.now();
  const res = await fetch(`${PAYLOAD}${parts.path}`, {
    method: "POST",
    body,
    headers: { "content-type": "application/json", "x-ba-sync-id": parts.id, "x-ba-sync-timestamp": String(parts.timestamp), "x-ba-sync-nonce": parts.nonce, "x-ba-sync-key-id": "1", "x-ba-sync-signature": `v1=${sign(process.env.SYNC_SECRET, parts)}` },
    signal: AbortSignal.timeout(10_000),
  });
  const ms = performance.now() - started;
  assert.equal(res.status, 200);
  const { results } = await res.json();
  assert.equal(results.filter((r) => r.status === "applied").length, 500);
  console.log(`# Payload applied 500 events (${body.length} bytes) in ${ms.toFixed(0)} ms`);
});
