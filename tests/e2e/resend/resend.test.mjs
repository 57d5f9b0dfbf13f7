// Mail through a transactional email API in Resend's format (POST /emails with a Bearer key),
// served by the loopback mailbox; the reset it carries works.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { BASE, PAGE_ORIGIN, call, uniqueEmail } from "../helpers.mjs";
import { startMailbox } from "../mailbox/mailbox.mjs";

const mailbox = startMailbox({ port: Number(process.env.MAIL_PORT), apiKey: process.env.MAIL_API_KEY });
const cron = () => fetch(`${BASE}/__scheduled?cron=${encodeURIComponent("* * * * *")}`).then((r) => r.text());
before(() => mailbox.listening);
after(() => mailbox.close());

test("a password reset arrives through the Resend-format API and works", async () => {
  const email = uniqueEmail("resend");
  assert.equal((await call("/sign-up/email", { method: "POST", body: { name: "Re Send", email, password: "correct horse battery" } })).status, 200);
  await call("/request-password-reset", { method: "POST", body: { email, redirectTo: `${PAGE_ORIGIN}/reset` } });
  const message = await mailbox.waitFor(email, { poke: cron });
  assert.equal(message.via, "resend");
  assert.equal(message.from, "Portcullis <auth@example.com>");
  assert.ok(message.id.startsWith("mail_"), "the message id is the idempotency key");
  const landing = await fetch(message.url, { redirect: "manual" });
  const token = new URL(landing.headers.get("location")).searchParams.get("token");
  const reset = await call("/reset-password", { method: "POST", body: { newPassword: "a brand new passphrase", token } });
  assert.deepEqual([reset.status, reset.json], [200, { status: true }]);
  assert.equal((await call("/sign-in/email", { method: "POST", body: { email, password: "a brand new passphrase" } })).status, 200);
  assert.equal(mailbox.stats.refused, 0);
});
