// A server with REQUIRE_EMAIL_VERIFICATION, AUTO_SIGN_IN_AFTER_VERIFICATION and
// SEND_VERIFICATION_ON_SIGN_IN, mailing to the development mailbox (MAIL_PROVIDER=log), which
// local tests read at GET /api/auth/dev/mailbox.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createAuthClient } from "better-auth/client";
import { BASE, Jar, call, uniqueEmail } from "../helpers.mjs";

const PASSWORD = "correct horse battery";

async function messages(email, count) {
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    const res = await call(`/dev/mailbox?email=${encodeURIComponent(email)}`);
    assert.equal(res.status, 200, res.text);
    if (res.json.messages.length >= count) return res.json.messages;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`fewer than ${count} messages to ${email}`);
}

test("sign-in is refused until the address is verified; the link signs the user in", async () => {
  const email = uniqueEmail("required");
  const up = await call("/sign-up/email", { method: "POST", body: { name: "Careful", email, password: PASSWORD } });
  assert.equal(up.status, 200);
  assert.equal(up.json.token, null);
  assert.equal(up.headers.getSetCookie().length, 0, "no session before verification");
  const [first] = await messages(email, 1);
  assert.equal(first.kind, "verify-email");

  const refused = await call("/sign-in/email", { method: "POST", body: { email, password: PASSWORD } });
  assert.deepEqual([refused.status, refused.json.code], [403, "EMAIL_NOT_VERIFIED"]);
  const [latest] = await messages(email, 2);
  assert.notEqual(latest.url, first.url, "the refused sign-in sent a fresh link");

  const dup = await call("/sign-up/email", { method: "POST", body: { name: "Careful", email, password: "some other password" } });
  assert.deepEqual([dup.status, dup.json.token, dup.json.user.email], [200, null, email], "a taken address looks free");

  const jar = new Jar();
  const response = await fetch(latest.url, { redirect: "manual" });
  jar.store(response);
  assert.equal(response.status, 302);
  const session = await call("/get-session", { jar });
  assert.equal(session.json.user.email, email, "AUTO_SIGN_IN_AFTER_VERIFICATION opened a session");
  assert.equal(session.json.user.emailVerified, true);
  const signIn = await call("/sign-in/email", { method: "POST", body: { email, password: PASSWORD } });
  assert.equal(signIn.status, 200);
});

test("better-auth's client sees EMAIL_NOT_VERIFIED, then signs in after verifyEmail", async () => {
  const jar = new Jar();
  const client = createAuthClient({ baseURL: BASE, fetchOptions: { customFetchImpl: jar.fetch, headers: { origin: BASE } } });
  const email = uniqueEmail("required-client");
  const up = await client.signUp.email({ name: "Client", email, password: PASSWORD });
  assert.equal(up.error, null);
  assert.equal(up.data.token, null);
  const blocked = await client.signIn.email({ email, password: PASSWORD });
  assert.deepEqual([blocked.error.status, blocked.error.code], [403, "EMAIL_NOT_VERIFIED"]);
  const [latest] = await messages(email, 2);
  const verified = await client.verifyEmail({ query: { token: new URL(latest.url).searchParams.get("token") } });
  assert.equal(verified.error, null, JSON.stringify(verified.error));
  assert.equal((await client.getSession()).data.user.emailVerified, true);
});
