// Headless Chromium: supabase-js's browser build in an SPA on another origin, calling /auth/v1
// across origins (CORS with supabase-js's headers, the API version exposed) and verifying its
// access token with the browser's own WebCrypto; a page on an untrusted origin is refused.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { launchChromium, servePage } from "./chromium.mjs";
import { BASE, PAGE_ORIGIN, UNTRUSTED_ORIGIN, uniqueEmail } from "./helpers.mjs";

const require = createRequire(import.meta.url);
const BUNDLE = readFileSync(join(dirname(require.resolve("@supabase/supabase-js/package.json")), "dist/umd/supabase.js"));
const PAGE = `<!doctype html><meta charset="utf-8"><title>supabase-js SPA</title><script src="/supabase.js"></script><p>loaded</p>`;
const closers = [];
let browser;

function page(req, res) {
  if (req.url === "/supabase.js") return res.writeHead(200, { "content-type": "text/javascript" }).end(BUNDLE);
  res.writeHead(200, { "content-type": "text/html" }).end(PAGE);
}

before(async () => {
  assert.ok(PAGE_ORIGIN && UNTRUSTED_ORIGIN, "scripts/e2e.sh sets PAGE_ORIGIN and UNTRUSTED_ORIGIN");
  closers.push(...(await Promise.all([servePage(PAGE_ORIGIN, page), servePage(UNTRUSTED_ORIGIN, page)])));
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  await Promise.all(closers.map((close) => close()));
});

// Runs in the page.
async function spaFlow({ base, email, password }) {
  const client = window.supabase.createClient(base, "public-anon-key", { auth: { flowType: "pkce" } });
  const out = { events: [] };
  client.auth.onAuthStateChange((event) => out.events.push(event));
  const up = await client.auth.signUp({ email, password, options: { data: { plan: "pro" } } });
  out.signUp = up.error ? { error: up.error.message, code: up.error.code } : { email: up.data.user.email };
  const user = await client.auth.getUser();
  out.user = user.error ? { error: user.error.message } : { plan: user.data.user.user_metadata.plan };
  const claims = await client.auth.getClaims();
  out.claims = claims.error ? { error: claims.error.message } : { alg: claims.data.header.alg, email: claims.data.claims.email };
  const wrong = await client.auth.signInWithPassword({ email, password: "not the password" });
  out.wrongCode = wrong.error?.code;
  out.signOut = (await client.auth.signOut()).error?.message ?? null;
  out.afterSignOut = (await client.auth.getSession()).data.session;
  return out;
}

test("supabase-js in a browser on a trusted origin: sign-up, user, claims by WebCrypto, codes, sign-out", async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(PAGE_ORIGIN);
  const email = uniqueEmail("sb-browser");
  const result = await page.evaluate(spaFlow, { base: BASE, email, password: "correct horse battery" });
  assert.deepEqual(result.signUp, { email });
  assert.deepEqual(result.user, { plan: "pro" });
  assert.deepEqual(result.claims, { alg: "ES256", email });
  assert.equal(result.wrongCode, "invalid_credentials", "the error code is read: the API version header is exposed");
  assert.equal(result.signOut, null);
  assert.equal(result.afterSignOut, null);
  assert.deepEqual(result.events.filter((e) => e !== "INITIAL_SESSION"), ["SIGNED_IN", "SIGNED_OUT"]);
  await context.close();
});

test("a page on an untrusted origin is refused by CORS", async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(UNTRUSTED_ORIGIN);
  const result = await page.evaluate(async ({ base }) => {
    const client = window.supabase.createClient(base, "public-anon-key");
    const { error } = await client.auth.signInWithPassword({ email: "x@example.com", password: "whatever password" });
    return { name: error?.name, status: error?.status };
  }, { base: BASE });
  assert.equal(result.name, "AuthRetryableFetchError", "the browser blocked the answer");
  await context.close();
});
