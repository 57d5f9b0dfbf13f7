// API keys against portcullis: better-auth's client with apiKeyClient() makes and manages keys, a
// service calls with `x-api-key` until its quota is spent, a revoked or banned user's key stops;
// and keys cross both ways between portcullis and better-auth's own api-key plugin (running here
// on a SQLite database built from portcullis' migrations).
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { DatabaseSync } from "node:sqlite";
import { createAuthClient } from "better-auth/client";
import { adminClient } from "better-auth/client/plugins";
import { betterAuth } from "better-auth";
import { apiKey } from "@better-auth/api-key";
import { apiKeyClient } from "@better-auth/api-key/client";
import { API, BASE, Jar, freshIp, uniqueEmail } from "./helpers.mjs";

const PASSWORD = "correct horse battery";
// wrangler run from here logs at its default level (the server's log path is in WRANGLER_LOG).
const quietWrangler = { ...process.env, WRANGLER_LOG: "log" };

function client() {
  const jar = new Jar();
  return createAuthClient({
    baseURL: BASE,
    plugins: [adminClient(), apiKeyClient()],
    fetchOptions: { customFetchImpl: jar.fetch, headers: { origin: BASE } },
  });
}

/** A service holding only the key: no cookie, its own address. */
async function withKey(key, path = "/get-session") {
  const res = await fetch(`${API}${path}`, { headers: { "x-api-key": key, "cf-connecting-ip": freshIp() } });
  return { status: res.status, body: await res.json(), cookies: res.headers.getSetCookie() };
}

/** SQL run on the local D1 the service under test uses (wrangler's --command takes no parameters). */
function d1(sql) {
  assert.ok(process.env.TEST_STATE, "scripts/e2e.sh exports TEST_STATE");
  const out = execFileSync(
    "wrangler",
    ["d1", "execute", "DB", "--local", "--persist-to", `${process.env.TEST_STATE}/data`, "--json", "--command", sql],
    { encoding: "utf8", env: quietWrangler },
  );
  return JSON.parse(out)[0].results;
}

const literal = (v) => (v === null || v === undefined ? "null" : typeof v === "number" ? String(v) : `'${String(v).replaceAll("'", "''")}'`);
const insertSql = (table, row) =>
  `insert into "${table}" (${Object.keys(row).map((c) => `"${c}"`).join(", ")}) values (${Object.values(row).map(literal).join(", ")});`;

async function admin() {
  const c = client();
  const email = uniqueEmail("key-admin");
  assert.equal((await c.signUp.email({ name: "Key Admin", email, password: PASSWORD })).error, null);
  execFileSync("bash", ["scripts/admin.sh", "promote", email, "--persist-to", `${process.env.TEST_STATE}/data`], { env: quietWrangler });
  return c;
}

test("a service calls with a key made through apiKeyClient() until its quota is spent, and a deleted key stops", async () => {
  const owner = await admin();
  const created = await owner.apiKey.create({ name: "ci", remaining: 2 });
  assert.equal(created.error, null, JSON.stringify(created.error));
  const { key, id } = created.data;
  assert.equal(key.length, 64);
  assert.equal(created.data.remaining, 2);

  const first = await withKey(key);
  assert.equal(first.status, 200);
  assert.equal(first.body.session.id, id);
  assert.equal(first.body.user.id, created.data.referenceId);
  assert.deepEqual(first.cookies, [], "a key sets no cookie");
  const viaClient = await createAuthClient({ baseURL: BASE }).getSession({ fetchOptions: { headers: { "x-api-key": key } } });
  assert.equal(viaClient.data.user.id, created.data.referenceId, "better-auth's client reads the session a key stands for");
  const spent = await withKey(key);
  assert.equal(spent.status, 429);
  assert.equal(spent.body.code, "USAGE_EXCEEDED");
  assert.equal((await withKey(key)).body.code, "INVALID_API_KEY", "a spent key without refill is gone");

  const second = (await owner.apiKey.create({ name: "deploy" })).data;
  const listed = await owner.apiKey.list();
  assert.equal(listed.error, null, JSON.stringify(listed.error));
  assert.deepEqual(listed.data.apiKeys.map((k) => k.name), ["deploy"]);
  assert.equal(listed.data.apiKeys[0].key, undefined, "a list never shows keys");
  const renamed = await owner.apiKey.update({ keyId: second.id, name: "deploy-2" });
  assert.equal(renamed.data.name, "deploy-2");
  assert.equal((await owner.apiKey.get({ query: { id: second.id } })).data.name, "deploy-2");
  const jwt = await withKey(second.key, "/token");
  assert.equal(jwt.status, 200, "a key gets a JWT for other backends");
  assert.equal((await owner.apiKey.delete({ keyId: second.id })).data.success, true);
  assert.equal((await withKey(second.key)).status, 401);
});

test("a user's key stops the moment an admin bans them", async () => {
  const boss = await admin();
  const user = client();
  const up = await user.signUp.email({ name: "Keyholder", email: uniqueEmail("keyholder"), password: PASSWORD });
  const { key } = (await user.apiKey.create({})).data;
  assert.equal((await withKey(key)).status, 200);
  assert.equal((await boss.admin.banUser({ userId: up.data.user.id })).error, null);
  const banned = await withKey(key);
  assert.equal(banned.status, 403);
  assert.equal(banned.body.code, "BANNED_USER");
  await boss.admin.unbanUser({ userId: up.data.user.id });
  assert.equal((await withKey(key)).status, 200);
});

/** better-auth with its api-key plugin, on SQLite made by portcullis' migrations. */
function betterAuthWithKeys() {
  const db = new DatabaseSync(":memory:");
  for (const file of readdirSync("migrations").sort()) db.exec(readFileSync(`migrations/${file}`, "utf8"));
  const auth = betterAuth({
    database: db,
    secret: process.env.TEST_SECRET,
    baseURL: BASE,
    plugins: [apiKey({ enableSessionForAPIKeys: true })],
    logger: { disabled: true },
  });
  return { db, auth };
}

test("keys cross both ways between portcullis and better-auth's api-key plugin", async () => {
  const user = client();
  const up = await user.signUp.email({ name: "Both Ways", email: uniqueEmail("both-ways"), password: PASSWORD });
  const userId = up.data.user.id;
  const [userRow] = d1(`select * from "user" where "id" = ${literal(userId)}`);
  const { db, auth } = betterAuthWithKeys();
  db.prepare(insertSql("user", userRow)).run();

  // better-auth makes a key; its row, copied as it is into D1, verifies against portcullis.
  const made = await auth.api.createApiKey({ body: { userId, name: "from-better-auth" } });
  const row = db.prepare(`select * from "apikey" where "id" = ?`).get(made.id);
  assert.notEqual(row.key, made.key, "better-auth stores the digest");
  d1(insertSql("apikey", { ...row }));
  const used = await withKey(made.key);
  assert.equal(used.status, 200, JSON.stringify(used.body));
  assert.equal(used.body.user.id, userId);
  const verified = await fetch(`${API}/api-key/verify`, {
    method: "POST",
    headers: { "content-type": "application/json", "cf-connecting-ip": freshIp() },
    body: JSON.stringify({ key: made.key }),
  }).then((r) => r.json());
  assert.equal(verified.valid, true);
  assert.equal(verified.key.requestCount, 2, "both uses counted on better-auth's counters");

  // portcullis makes a key; its D1 row, copied into better-auth's database, verifies there.
  const ours = (await user.apiKey.create({ name: "from-portcullis" })).data;
  const [ourRow] = d1(`select * from "apikey" where "id" = ${literal(ours.id)}`);
  db.prepare(insertSql("apikey", ourRow)).run();
  const theirs = await auth.api.verifyApiKey({ body: { key: ours.key } });
  assert.equal(theirs.valid, true, JSON.stringify(theirs.error));
  assert.equal(theirs.key.referenceId, userId);
  const session = await auth.api.getSession({ headers: new Headers({ "x-api-key": ours.key }) });
  assert.equal(session.user.id, userId, "better-auth's own session-from-key accepts portcullis' key");
});
