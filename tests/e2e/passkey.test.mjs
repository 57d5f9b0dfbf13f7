// Passkeys in headless Chromium with a CDP virtual authenticator (CTAP2, internal transport,
// resident keys, user verification), driving better-auth's `passkeyClient()` from an SPA on a
// trusted origin on the RP ID's domain (`localhost`): register while signed in, sign out, sign in
// with the passkey, by conditional UI (autofill) too, then list, rename and delete it.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:http";
import { execFileSync } from "node:child_process";
import { chromium } from "playwright-core";
import { BASE, uniqueEmail } from "./helpers.mjs";

const PAGE_ORIGIN = process.env.PASSKEY_PAGE_ORIGIN;
// The same service under the RP ID's name: the page and the API are then one site.
const API_BASE = BASE.replace("127.0.0.1", "localhost");
const PAGE = `<!doctype html><meta charset="utf-8"><title>passkeys</title>
<form><input id="username" name="username" autocomplete="username webauthn"></form>
<script src="/client.js"></script>`;
let server;
let browser;

before(async () => {
  assert.ok(PAGE_ORIGIN, "scripts/e2e.sh sets PASSKEY_PAGE_ORIGIN");
  const bundle = execFileSync(process.env.ESBUILD_BIN ?? "node_modules/.bin/esbuild", ["tests/e2e/passkey/spa.mjs", "--bundle", "--format=iife", "--log-level=error"], { encoding: "utf8" });
  server = createServer((req, res) => {
    if (req.url === "/client.js") return res.writeHead(200, { "content-type": "text/javascript" }).end(bundle);
    res.writeHead(200, { "content-type": "text/html" }).end(PAGE);
  });
  await new Promise((resolve) => server.listen(Number(new URL(PAGE_ORIGIN).port), "127.0.0.1", resolve));
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking", "--disable-component-update"],
  });
});

after(async () => {
  await browser?.close();
  await new Promise((resolve) => server?.close(resolve));
});

/** A page on the SPA's origin with a virtual platform authenticator attached. */
async function pageWithAuthenticator() {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(PAGE_ORIGIN);
  const cdp = await context.newCDPSession(page);
  await cdp.send("WebAuthn.enable");
  const { authenticatorId } = await cdp.send("WebAuthn.addVirtualAuthenticator", {
    options: { protocol: "ctap2", transport: "internal", hasResidentKey: true, hasUserVerification: true, isUserVerified: true, automaticPresenceSimulation: true },
  });
  return { context, page, cdp, authenticatorId };
}

test("a passkey registered while signed in signs in, then is listed, renamed and deleted", async () => {
  const { context, page, cdp, authenticatorId } = await pageWithAuthenticator();
  const email = uniqueEmail("passkey");
  const out = await page.evaluate(async ({ base, email }) => {
    const client = makeClient(base);
    const r = {};
    r.signUp = await client.signUp.email({ name: "Passkey User", email, password: "correct horse battery" });
    r.added = await client.passkey.addPasskey({ name: "laptop" });
    r.listed = await client.passkey.listUserPasskeys();
    await client.signOut();
    r.afterSignOut = (await client.getSession()).data;
    r.signIn = await client.signIn.passkey();
    r.session = (await client.getSession()).data;
    const id = r.listed.data?.[0]?.id;
    r.renamed = await client.passkey.updatePasskey({ id, name: "phone" });
    r.deleted = await client.passkey.deletePasskey({ id });
    r.after = await client.passkey.listUserPasskeys();
    await client.signOut();
    r.signInAfterDelete = await client.signIn.passkey();
    return JSON.parse(JSON.stringify(r));
  }, { base: API_BASE, email });
  assert.equal(out.signUp.error, null, JSON.stringify(out.signUp.error));
  assert.equal(out.added.error, null, JSON.stringify(out.added.error));
  assert.equal(out.added.data.name, "laptop");
  assert.equal(out.listed.data.length, 1);
  assert.equal(out.afterSignOut, null);
  assert.equal(out.signIn.error, null, JSON.stringify(out.signIn.error));
  assert.equal(out.signIn.data.user.email, email);
  assert.equal(out.session.user.email, email);
  assert.equal(out.renamed.data.passkey.name, "phone");
  assert.deepEqual(out.deleted.data, { status: true });
  assert.deepEqual(out.after.data, []);
  assert.equal(out.signInAfterDelete.error?.code, "PASSKEY_NOT_FOUND");

  const { credentials } = await cdp.send("WebAuthn.getCredentials", { authenticatorId });
  assert.equal(credentials.length, 1);
  assert.equal(credentials[0].isResidentCredential, true, "a discoverable credential");
  assert.equal(credentials[0].rpId, "localhost");
  await context.close();
});

test("conditional UI: the autofill request signs in with a discoverable passkey, no user name typed", async () => {
  const { context, page } = await pageWithAuthenticator();
  const email = uniqueEmail("autofill");
  const registered = await page.evaluate(async ({ base, email }) => {
    const client = makeClient(base);
    await client.signUp.email({ name: "Autofill User", email, password: "correct horse battery" });
    const added = await client.passkey.addPasskey();
    await client.signOut();
    window.autofill = client.signIn.passkey({ autoFill: true }).then((r) => JSON.parse(JSON.stringify(r)));
    return added.error;
  }, { base: API_BASE, email });
  assert.equal(registered, null, JSON.stringify(registered));
  const signedIn = await page.evaluate(() => window.autofill);
  assert.equal(signedIn.error, null, JSON.stringify(signedIn.error));
  assert.equal(signedIn.data.user.email, email);
  await context.close();
});
