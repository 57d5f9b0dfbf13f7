// Headless Chromium: an SPA on another loopback origin signs up and in with credentialed fetch;
// a page on an untrusted origin is refused by CORS.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { launchChromium, servePage } from "./chromium.mjs";
import { API, BASE, PAGE_ORIGIN, UNTRUSTED_ORIGIN, uniqueEmail } from "./helpers.mjs";

const PAGE = `<!doctype html><meta charset="utf-8"><title>portcullis SPA</title><p id="status">loaded</p>`;
const closers = [];
let browser;

before(async () => {
  assert.ok(PAGE_ORIGIN && UNTRUSTED_ORIGIN, "scripts/e2e.sh sets PAGE_ORIGIN and UNTRUSTED_ORIGIN");
  const page = (_, res) => res.writeHead(200, { "content-type": "text/html" }).end(PAGE);
  closers.push(...(await Promise.all([servePage(PAGE_ORIGIN, page), servePage(UNTRUSTED_ORIGIN, page)])));
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  await Promise.all(closers.map((close) => close()));
});

// Runs in the page: the calls an SPA makes with `credentials: "include"`.
async function spaFlow({ api, email, password }) {
  const post = (path, body) =>
    fetch(api + path, { method: "POST", credentials: "include", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
  const session = async () => (await fetch(api + "/get-session", { credentials: "include" })).json();
  const out = {};
  const up = await post("/sign-up/email", { name: "Browser User", email, password });
  out.signUp = { status: up.status, exposedToken: up.headers.get("set-auth-token") !== null };
  out.afterSignUp = await session();
  out.signOut = (await post("/sign-out", {})).status;
  out.afterSignOut = await session();
  out.signIn = (await post("/sign-in/email", { email, password })).status;
  out.afterSignIn = await session();
  return out;
}

test("a trusted SPA origin signs up, reads its session, signs out and signs in", async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(PAGE_ORIGIN);
  const email = uniqueEmail("browser");
  const result = await page.evaluate(spaFlow, { api: API, email, password: "correct horse battery" });
  assert.equal(result.signUp.status, 200);
  assert.equal(result.signUp.exposedToken, true, "set-auth-token is exposed to the page");
  assert.equal(result.afterSignUp.user.email, email);
  assert.equal(result.signOut, 200);
  assert.equal(result.afterSignOut, null);
  assert.equal(result.signIn, 200);
  assert.equal(result.afterSignIn.user.email, email);
  const cookie = (await context.cookies(BASE)).find((c) => c.name === "better-auth.session_token");
  assert.ok(cookie && cookie.httpOnly && cookie.sameSite === "Lax", JSON.stringify(cookie));
  await context.close();
});

test("a page on an untrusted origin is refused by CORS", async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(UNTRUSTED_ORIGIN);
  const outcome = await page.evaluate(async (api) => {
    const attempt = async (init, path) => {
      try {
        await fetch(api + path, { credentials: "include", ...init });
        return "readable";
      } catch (e) {
        return "blocked";
      }
    };
    return {
      getSession: await attempt({}, "/get-session"),
      signUp: await attempt({ method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ name: "x", email: "evil@example.com", password: "correct horse battery" }) }, "/sign-up/email"),
    };
  }, API);
  assert.deepEqual(outcome, { getSession: "blocked", signUp: "blocked" });
  await context.close();
});
