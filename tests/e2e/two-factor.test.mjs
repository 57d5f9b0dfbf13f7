// Two-factor against wrangler dev with better-auth's twoFactorClient(): TOTP codes computed by
// Python's pyotp from the URI portcullis hands out (standing in for an authenticator app), the
// sign-in challenge and its cookie, a trusted device, backup codes, codes by email through the
// mail queue, and turning the second factor off.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { createAuthClient } from "better-auth/client";
import { twoFactorClient } from "better-auth/client/plugins";
import { BASE, Jar, call, freshIp, uniqueEmail } from "./helpers.mjs";
import { startMailbox } from "./mailbox/mailbox.mjs";

const PASSWORD = "correct horse battery";
const mailbox = startMailbox({ port: Number(process.env.MAIL_PORT), webhookSecret: process.env.MAIL_SECRET });
const cron = () => fetch(`${BASE}/__scheduled?cron=${encodeURIComponent("* * * * *")}`).then((r) => r.text());

before(() => mailbox.listening);
after(() => mailbox.close());

function client(jar, redirects = []) {
  return createAuthClient({
    baseURL: BASE,
    plugins: [twoFactorClient({ onTwoFactorRedirect: (context) => redirects.push(context) })],
    fetchOptions: { customFetchImpl: jar.fetch, headers: { origin: BASE } },
  });
}

/** The code an authenticator app shows for `uri`, `offset` seconds from now (pyotp). */
function authenticator(uri, offset = 0) {
  const python = existsSync(".venv/bin/python") ? ".venv/bin/python" : "python3";
  const script = "import pyotp, sys, time; print(pyotp.parse_uri(sys.argv[1]).at(time.time() + float(sys.argv[2])))";
  const run = spawnSync(python, ["-c", script, uri, String(offset)], { encoding: "utf8" });
  assert.equal(run.status, 0, run.stderr);
  return run.stdout.trim();
}

/** The code in the message to `email` that carries one (the sign-up's link may come before or after). */
async function mailedCode(email) {
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    const message = mailbox.to(email).find((m) => /Code: \d{6}/.test(m.text));
    if (message) return message.text.match(/Code: (\d{6})/)[1];
    await cron();
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  assert.fail(`no code reached ${email}: ${JSON.stringify(mailbox.to(email).map((m) => m.subject))}`);
}

/** A user with TOTP set up and verified; the rate rule allows three tries in ten seconds per client. */
async function userWithTotp(tag) {
  const jar = new Jar();
  const email = uniqueEmail(tag);
  const auth = client(jar);
  const up = await auth.signUp.email({ name: "Two Factor", email, password: PASSWORD });
  assert.equal(up.error, null, JSON.stringify(up.error));
  const enabled = await auth.twoFactor.enable({ password: PASSWORD });
  assert.equal(enabled.error, null, JSON.stringify(enabled.error));
  const { totpURI, backupCodes } = enabled.data;
  assert.match(totpURI, /^otpauth:\/\/totp\/.+\?secret=[A-Z2-7]+&issuer=.+&digits=6&period=30$/);
  assert.equal(backupCodes.length, 10);
  const verified = await auth.twoFactor.verifyTotp({ code: authenticator(totpURI) });
  assert.equal(verified.error, null, JSON.stringify(verified.error));
  assert.equal(verified.data.user.twoFactorEnabled, true);
  return { email, jar, totpURI, backupCodes };
}

test("TOTP: the password sign-in is challenged, pyotp's code opens the session, the device is trusted", async () => {
  const { email, totpURI } = await userWithTotp("totp");
  const jar = new Jar();
  const redirects = [];
  const auth = client(jar, redirects);
  const signedIn = await auth.signIn.email({ email, password: PASSWORD });
  assert.equal(signedIn.error, null, JSON.stringify(signedIn.error));
  assert.equal(signedIn.data.twoFactorRedirect, true);
  assert.deepEqual(redirects, [{ twoFactorMethods: ["totp", "otp"] }], "twoFactorClient's hook ran");
  assert.ok(jar.cookies.has("better-auth.two_factor"));
  assert.equal((await call("/get-session", { jar })).json, null, "no session before the second factor");

  const wrong = await auth.twoFactor.verifyTotp({ code: "000000" === authenticator(totpURI, 30) ? "111111" : "000000" });
  assert.equal(wrong.error?.code, "INVALID_CODE");
  const passed = await auth.twoFactor.verifyTotp({ code: authenticator(totpURI, 30), trustDevice: true });
  assert.equal(passed.error, null, JSON.stringify(passed.error));
  assert.equal(passed.data.user.email, email);
  assert.ok(jar.cookies.has("better-auth.trust_device"));
  assert.equal((await auth.getSession()).data.user.email, email);

  // The trusted device signs in with the password alone; a new browser is challenged.
  const again = await auth.signIn.email({ email, password: PASSWORD });
  assert.equal(again.error, null, JSON.stringify(again.error));
  assert.ok(again.data.token, JSON.stringify(again.data));
  const elsewhere = await client(new Jar()).signIn.email({ email, password: PASSWORD });
  assert.equal(elsewhere.data.twoFactorRedirect, true);
});

test("backup codes work once, and codes by email come through the mail queue", async () => {
  const { email, backupCodes } = await userWithTotp("backup");
  const jar = new Jar();
  const auth = client(jar);
  await auth.signIn.email({ email, password: PASSWORD });
  const used = await auth.twoFactor.verifyBackupCode({ code: backupCodes[0] });
  assert.equal(used.error, null, JSON.stringify(used.error));
  assert.equal((await auth.getSession()).data.user.email, email);

  const second = client(new Jar());
  await second.signIn.email({ email, password: PASSWORD });
  const reused = await second.twoFactor.verifyBackupCode({ code: backupCodes[0] });
  assert.equal(reused.error?.code, "INVALID_BACKUP_CODE");

  const third = new Jar();
  const byMail = client(third);
  await byMail.signIn.email({ email, password: PASSWORD });
  const sent = await byMail.twoFactor.sendOtp();
  assert.equal(sent.error, null, JSON.stringify(sent.error));
  const verified = await byMail.twoFactor.verifyOtp({ code: await mailedCode(email) });
  assert.equal(verified.error, null, JSON.stringify(verified.error));
  assert.equal((await call("/get-session", { jar: third })).json.user.email, email);
});

test("new backup codes, then the second factor turned off: the password alone signs in", async () => {
  const { email, jar } = await userWithTotp("disable");
  jar.ip = freshIp();
  const auth = client(jar);
  const codes = await auth.twoFactor.generateBackupCodes({ password: PASSWORD });
  assert.equal(codes.error, null, JSON.stringify(codes.error));
  assert.equal(codes.data.backupCodes.length, 10);
  const refused = await auth.twoFactor.disable({ password: "not the password" });
  assert.equal(refused.error?.code, "INVALID_PASSWORD");
  const off = await auth.twoFactor.disable({ password: PASSWORD });
  assert.equal(off.error, null, JSON.stringify(off.error));
  assert.equal((await auth.getSession()).data.user.twoFactorEnabled, false);
  const signedIn = await client(new Jar()).signIn.email({ email, password: PASSWORD });
  assert.ok(signedIn.data.token, JSON.stringify(signedIn.data));
});
