// Email verification, password reset and email change against wrangler dev, with the mail going
// through the signed webhook to a loopback mailbox (tests/e2e/mailbox); better-auth's official
// client drives the same endpoints.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { createAuthClient } from "better-auth/client";
import { BASE, API, PAGE_ORIGIN, Jar, call, uniqueEmail } from "./helpers.mjs";
import { startMailbox } from "./mailbox/mailbox.mjs";

const PASSWORD = "correct horse battery";
const NEW_PASSWORD = "a brand new passphrase";
const mailbox = startMailbox({ port: Number(process.env.MAIL_PORT), webhookSecret: process.env.MAIL_SECRET });
let lastCron = 0;
/** Fires the cron, at most once a second. */
const cron = async () => {
  if (Date.now() - lastCron < 1000) return;
  lastCron = Date.now();
  await fetch(`${BASE}/__scheduled?cron=${encodeURIComponent("* * * * *")}`).then((r) => r.text());
};

before(() => mailbox.listening);
after(() => mailbox.close());

/** Opens a link from a message the way a browser would, without following the redirect. */
async function follow(url, jar) {
  const headers = jar?.cookies.size ? { cookie: jar.header() } : {};
  const response = await fetch(url, { redirect: "manual", headers });
  jar?.store(response);
  return { status: response.status, location: response.headers.get("location"), text: await response.text() };
}

async function signUp(email, jar, extra = {}) {
  const res = await call("/sign-up/email", { method: "POST", body: { name: "Mail User", email, password: PASSWORD, ...extra }, jar });
  assert.equal(res.status, 200, res.text);
  return res;
}

test("sign-up sends a verification link; following it verifies the address, once", async () => {
  const email = uniqueEmail("verify");
  const jar = new Jar();
  await signUp(email, jar, { callbackURL: `${PAGE_ORIGIN}/verified` });
  const message = await mailbox.waitFor(email, { poke: cron });
  assert.equal(message.via, "webhook");
  assert.equal(message.kind, "verify-email");
  assert.ok(message.url.startsWith(`${API}/verify-email?token=`), message.url);
  assert.ok(message.text.includes(message.url) && message.html.includes("<a href="));
  assert.equal((await call("/get-session", { jar })).json.user.emailVerified, false);

  const first = await follow(message.url, jar);
  assert.equal(first.status, 302);
  assert.equal(first.location, `${PAGE_ORIGIN}/verified`);
  assert.equal((await call("/get-session", { jar })).json.user.emailVerified, true);
  const again = await follow(message.url);
  assert.equal(again.location, `${PAGE_ORIGIN}/verified?error=INVALID_TOKEN`);
});

test("forgot password: the link lands with a token, one reset wins, old sessions die", async () => {
  const email = uniqueEmail("reset");
  const laptop = new Jar();
  const phone = new Jar();
  await signUp(email, laptop);
  assert.equal((await call("/sign-in/email", { method: "POST", body: { email, password: PASSWORD }, jar: phone })).status, 200);
  await mailbox.waitFor(email, { poke: cron }); // the sign-up's verification message

  const asked = await call("/request-password-reset", { method: "POST", body: { email, redirectTo: `${PAGE_ORIGIN}/reset` } });
  assert.deepEqual(asked.json, { status: true, message: "If this email exists in our system, check your email for the reset link" });
  const message = await mailbox.waitFor(email, { count: 2, poke: cron });
  assert.equal(message.kind, "reset-password");
  const landing = await follow(message.url);
  assert.equal(landing.status, 302);
  const target = new URL(landing.location);
  assert.equal(`${target.origin}${target.pathname}`, `${PAGE_ORIGIN}/reset`);
  const token = target.searchParams.get("token");
  assert.ok(token && token.length >= 32);

  // Two submissions of the same token at once: exactly one succeeds.
  const submit = (pw) => call("/reset-password", { method: "POST", body: { newPassword: pw, token } });
  const results = await Promise.all([submit(NEW_PASSWORD), submit("the other racer's pw")]);
  assert.deepEqual(results.map((r) => r.status).sort(), [200, 400]);
  const winner = results[0].status === 200 ? NEW_PASSWORD : "the other racer's pw";
  assert.equal(results.find((r) => r.status === 400).json.code, "INVALID_TOKEN");

  assert.equal((await call("/get-session", { jar: laptop })).json, null, "the laptop session is dead");
  assert.equal((await call("/get-session", { jar: phone })).json, null, "the phone session is dead");
  assert.equal((await call("/sign-in/email", { method: "POST", body: { email, password: PASSWORD } })).status, 401);
  assert.equal((await call("/sign-in/email", { method: "POST", body: { email, password: winner } })).status, 200);
  const reuse = await submit("a third password here");
  assert.equal(reuse.status, 400);
  assert.equal(reuse.json.code, "INVALID_TOKEN");
  assert.equal((await follow(message.url)).location, `${PAGE_ORIGIN}/reset?error=INVALID_TOKEN`);
});

test("request-password-reset answers alike for unknown addresses and sends nothing", async () => {
  const known = uniqueEmail("known");
  const unknown = uniqueEmail("unknown");
  await signUp(known);
  await mailbox.waitFor(known, { poke: cron });
  const a = await call("/request-password-reset", { method: "POST", body: { email: known } });
  const b = await call("/request-password-reset", { method: "POST", body: { email: unknown } });
  assert.deepEqual([a.status, a.json], [b.status, b.json]);
  await mailbox.waitFor(known, { count: 2, poke: cron });
  assert.equal(mailbox.to(unknown).length, 0);
});

test("change email, unverified user: the new address gets the link and becomes the login", async () => {
  const email = uniqueEmail("unverified-old");
  const next = uniqueEmail("unverified-new");
  const jar = new Jar();
  await signUp(email, jar);
  const res = await call("/change-email", { method: "POST", body: { newEmail: next, callbackURL: `${PAGE_ORIGIN}/settings` }, jar });
  assert.deepEqual(res.json, { status: true });
  const message = await mailbox.waitFor(next, { poke: cron });
  assert.equal(message.kind, "change-email-verification");
  assert.equal((await follow(message.url, jar)).location, `${PAGE_ORIGIN}/settings`);
  const user = (await call("/get-session", { jar })).json.user;
  assert.deepEqual([user.email, user.emailVerified], [next, true]);
  assert.equal((await call("/sign-in/email", { method: "POST", body: { email: next, password: PASSWORD } })).status, 200);
});

test("change email, verified user: the old address confirms, then the new one verifies", async () => {
  const email = uniqueEmail("verified-old");
  const next = uniqueEmail("verified-new");
  const jar = new Jar();
  await signUp(email, jar);
  await follow((await mailbox.waitFor(email, { poke: cron })).url, jar);
  await call("/change-email", { method: "POST", body: { newEmail: next }, jar });
  const confirmation = await mailbox.waitFor(email, { count: 2, poke: cron });
  assert.equal(confirmation.kind, "change-email-confirmation");
  assert.ok(confirmation.text.includes(next));
  assert.equal(mailbox.to(next).length, 0);
  assert.equal((await follow(confirmation.url, jar)).status, 302);
  const verification = await mailbox.waitFor(next, { poke: cron });
  assert.equal(verification.kind, "change-email-verification");
  await follow(verification.url, jar);
  assert.equal((await call("/get-session", { jar })).json.user.email, next);
});

test("provider down, then back: the message arrives", async () => {
  const email = uniqueEmail("outage");
  await signUp(email);
  await mailbox.waitFor(email, { poke: cron });
  mailbox.state.down = true;
  const refusedBefore = mailbox.stats.unavailable;
  await call("/request-password-reset", { method: "POST", body: { email } });
  const deadline = Date.now() + 10_000;
  while (mailbox.stats.unavailable === refusedBefore && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  assert.ok(mailbox.stats.unavailable > refusedBefore, "the first attempt met the outage");
  await cron();
  assert.equal(mailbox.to(email).length, 1, "nothing arrives while the provider is down");
  mailbox.state.down = false;
  const message = await mailbox.waitFor(email, { count: 2, poke: cron, timeoutMs: 20_000 });
  assert.equal(message.kind, "reset-password");
  assert.equal(mailbox.stats.refused, 0, "every webhook request carried a valid signature");
});

test("better-auth's client: sendVerificationEmail, requestPasswordReset, resetPassword, changeEmail", async () => {
  const jar = new Jar();
  const client = createAuthClient({ baseURL: BASE, fetchOptions: { customFetchImpl: jar.fetch, headers: { origin: BASE } } });
  const email = uniqueEmail("client-mail");
  assert.equal((await client.signUp.email({ name: "Client Mail", email, password: PASSWORD })).error, null);
  await mailbox.waitFor(email, { poke: cron });

  const sent = await client.sendVerificationEmail({ email, callbackURL: `${PAGE_ORIGIN}/verified` });
  assert.deepEqual([sent.error, sent.data], [null, { status: true }]);
  const verification = await mailbox.waitFor(email, { count: 2, poke: cron });
  const token = new URL(verification.url).searchParams.get("token");
  const verified = await client.verifyEmail({ query: { token } });
  assert.equal(verified.error, null, JSON.stringify(verified.error));
  assert.equal((await client.getSession()).data.user.emailVerified, true);

  const asked = await client.requestPasswordReset({ email, redirectTo: `${PAGE_ORIGIN}/reset` });
  assert.equal(asked.error, null);
  assert.equal(asked.data.status, true);
  const resetMessage = await mailbox.waitFor(email, { count: 3, poke: cron });
  const resetToken = new URL((await follow(resetMessage.url)).location).searchParams.get("token");
  const reset = await client.resetPassword({ newPassword: NEW_PASSWORD, token: resetToken });
  assert.deepEqual([reset.error, reset.data], [null, { status: true }]);
  assert.equal((await client.getSession()).data, null, "the reset ended the client's session");
  assert.equal((await client.signIn.email({ email, password: NEW_PASSWORD })).error, null);

  const next = uniqueEmail("client-mail-new");
  const changed = await client.changeEmail({ newEmail: next, callbackURL: `${PAGE_ORIGIN}/settings` });
  assert.deepEqual([changed.error, changed.data], [null, { status: true }]);
  const confirmation = await mailbox.waitFor(email, { count: 4, poke: cron });
  assert.equal(confirmation.kind, "change-email-confirmation");
  await follow(confirmation.url, jar);
  const toNew = await mailbox.waitFor(next, { poke: cron });
  await follow(toNew.url, jar);
  assert.equal((await client.getSession()).data.user.email, next);

  const again = await client.resetPassword({ newPassword: "one more password", token: resetToken });
  assert.equal(again.error.status, 400);
  assert.equal(again.error.code, "INVALID_TOKEN");
});

test("a recipient gets at most five messages an hour; later requests answer alike and send nothing", async () => {
  const email = uniqueEmail("bombed");
  await signUp(email, new Jar());
  const answers = [];
  for (let i = 0; i < 7; i++) {
    answers.push((await call("/request-password-reset", { method: "POST", body: { email } })).json);
  }
  assert.ok(answers.every((a) => JSON.stringify(a) === JSON.stringify(answers[0])), JSON.stringify(answers));
  // Sign-up sent the verification message: four resets fit in the hour.
  await mailbox.waitFor(email, { count: 5, poke: cron });
  await new Promise((r) => setTimeout(r, 1500));
  await cron();
  await new Promise((r) => setTimeout(r, 500));
  assert.equal(mailbox.to(email).length, 5);
});
