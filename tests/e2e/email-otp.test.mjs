// Email codes against wrangler dev with better-auth's emailOTPClient(): codes travel through the
// mail queue and the signed webhook to a loopback mailbox; sign-in (and up), address
// verification, and a password reset.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { createAuthClient } from "better-auth/client";
import { emailOTPClient } from "better-auth/client/plugins";
import { BASE, Jar, call, uniqueEmail } from "./helpers.mjs";
import { startMailbox } from "./mailbox/mailbox.mjs";

const mailbox = startMailbox({ port: Number(process.env.MAIL_PORT), webhookSecret: process.env.MAIL_SECRET });
const cron = () => fetch(`${BASE}/__scheduled?cron=${encodeURIComponent("* * * * *")}`).then((r) => r.text());

before(() => mailbox.listening);
after(() => mailbox.close());

function client(jar) {
  return createAuthClient({ baseURL: BASE, plugins: [emailOTPClient()], fetchOptions: { customFetchImpl: jar.fetch, headers: { origin: BASE } } });
}

async function codeFor(email, count = 1) {
  const message = await mailbox.waitFor(email, { count, poke: cron });
  const match = message.text.match(/Code: (\d{6})/);
  assert.ok(match, message.text);
  return match[1];
}

test("a code signs a new address up; a wrong one is refused", async () => {
  const jar = new Jar();
  const email = uniqueEmail("otp");
  const sent = await client(jar).emailOtp.sendVerificationOtp({ email, type: "sign-in" });
  assert.equal(sent.error, null, JSON.stringify(sent.error));
  const otp = await codeFor(email);
  const wrong = await client(jar).signIn.emailOtp({ email, otp: otp === "000000" ? "111111" : "000000" });
  assert.equal(wrong.error.status, 400);
  assert.equal(wrong.error.code, "INVALID_OTP");
  const signedIn = await client(jar).signIn.emailOtp({ email, otp });
  assert.equal(signedIn.error, null, JSON.stringify(signedIn.error));
  assert.equal(signedIn.data.user.email, email);
  assert.equal((await call("/get-session", { jar })).json.user.emailVerified, true);
});

test("a code verifies an address, and a reset code sets a new password", async () => {
  const jar = new Jar();
  const email = uniqueEmail("otp-reset");
  const up = await call("/sign-up/email", { method: "POST", body: { name: "Otp User", email, password: "correct horse battery" }, jar });
  assert.equal(up.status, 200, up.text);
  await mailbox.waitFor(email, { poke: cron }); // the sign-up's verification link
  await client(jar).emailOtp.sendVerificationOtp({ email, type: "email-verification" });
  const verified = await client(jar).emailOtp.verifyEmail({ email, otp: await codeFor(email, 2) });
  assert.equal(verified.error, null, JSON.stringify(verified.error));
  assert.equal(verified.data.user.emailVerified, true);

  await client(new Jar()).emailOtp.requestPasswordReset({ email });
  const reset = await client(new Jar()).emailOtp.resetPassword({ email, otp: await codeFor(email, 3), password: "a brand new passphrase" });
  assert.equal(reset.error, null, JSON.stringify(reset.error));
  const signIn = await call("/sign-in/email", { method: "POST", body: { email, password: "a brand new passphrase" }, jar: new Jar() });
  assert.equal(signIn.status, 200, signIn.text);
});
