// Magic links against wrangler dev with better-auth's magicLinkClient(): the link travels through
// the mail queue and the signed webhook to a loopback mailbox; following it signs up a new address
// and signs in a known one, once.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { createAuthClient } from "better-auth/client";
import { magicLinkClient } from "better-auth/client/plugins";
import { BASE, Jar, call, uniqueEmail } from "./helpers.mjs";
import { startMailbox } from "./mailbox/mailbox.mjs";

const mailbox = startMailbox({ port: Number(process.env.MAIL_PORT), webhookSecret: process.env.MAIL_SECRET });
const cron = () => fetch(`${BASE}/__scheduled?cron=${encodeURIComponent("* * * * *")}`).then((r) => r.text());

before(() => mailbox.listening);
after(() => mailbox.close());

function client(jar) {
  return createAuthClient({ baseURL: BASE, plugins: [magicLinkClient()], fetchOptions: { customFetchImpl: jar.fetch, headers: { origin: BASE } } });
}

test("a magic link signs up a new address through the mail queue, once", async () => {
  const jar = new Jar();
  const email = uniqueEmail("magic");
  const sent = await client(jar).signIn.magicLink({ email, name: "Magic User", callbackURL: "/dash", newUserCallbackURL: "/welcome" });
  assert.equal(sent.error, null, JSON.stringify(sent.error));
  assert.deepEqual(sent.data, { status: true });
  const message = await mailbox.waitFor(email, { poke: cron });
  assert.match(message.url, /\/api\/auth\/magic-link\/verify\?token=/);
  const res = await fetch(message.url, { redirect: "manual", headers: { "cf-connecting-ip": jar.ip } });
  jar.store(res);
  assert.equal(res.status, 302);
  assert.equal(res.headers.get("location"), `${BASE}/welcome`);
  const { user } = (await call("/get-session", { jar })).json;
  assert.equal(user.email, email);
  assert.equal(user.name, "Magic User");
  assert.equal(user.emailVerified, true);
  const again = await fetch(message.url, { redirect: "manual" });
  assert.equal(again.headers.get("location"), `${BASE}/dash?error=INVALID_TOKEN`);
});

test("magicLink.verify with the token alone answers the session as JSON", async () => {
  const email = uniqueEmail("magic-json");
  await client(new Jar()).signIn.magicLink({ email });
  const message = await mailbox.waitFor(email, { poke: cron });
  const token = new URL(message.url).searchParams.get("token");
  const jar = new Jar();
  const verified = await client(jar).magicLink.verify({ query: { token } });
  assert.equal(verified.error, null, JSON.stringify(verified.error));
  assert.equal(verified.data.user.email, email);
  assert.equal((await call("/get-session", { jar })).json.user.email, email);
});
