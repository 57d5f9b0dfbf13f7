// Social and OpenID Connect sign-in against wrangler dev: a real OpenID Provider on loopback (npm
// oidc-provider) through the whole redirect dance, a provider that signs spoiled ID tokens, and
// GitHub's API shapes. scripts/e2e.sh configures the providers `acme`, `spoiler` and `github`.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startProvider, throughProvider } from "./social/op.mjs";
import { startGitHub, startSpoilingProvider } from "./social/fakes.mjs";
import { API, BASE, Jar, call } from "./helpers.mjs";

const PASSWORD = "correct horse battery";
const CLIENT_ID = "portcullis";
let op;
let spoiler;
let github;

before(async () => {
  op = await startProvider({
    port: Number(process.env.OP_PORT),
    client: {
      client_id: CLIENT_ID,
      client_secret: process.env.OP_CLIENT_SECRET,
      redirect_uris: [`${API}/callback/acme`],
      grant_types: ["authorization_code", "refresh_token"],
      token_endpoint_auth_method: "client_secret_post",
    },
  });
  spoiler = await startSpoilingProvider({ port: Number(process.env.SPOILER_PORT), clientId: CLIENT_ID });
  github = await startGitHub({ port: Number(process.env.GITHUB_PORT) });
});
after(async () => {
  await op?.close();
  await spoiler?.close();
  await github?.close();
});

/** A GET to portcullis that does not follow redirects, with the jar's cookies. */
async function visit(url, jar) {
  const res = await fetch(url.startsWith("http") ? url : `${BASE}${url}`, { redirect: "manual", headers: { cookie: jar.header(), "cf-connecting-ip": jar.ip } });
  jar.store(res);
  return { status: res.status, location: res.headers.get("location") };
}

/** Starts a sign-in (or link) at portcullis and lets the real provider answer; the callback URL. */
async function throughAcme(jar, { path = "/sign-in/social", loginHint = "user-alice", body = {} } = {}) {
  const started = await call(path, { method: "POST", body: { provider: "acme", callbackURL: "/dashboard", newUserCallbackURL: "/welcome", errorCallbackURL: "/oops", loginHint, ...body }, jar });
  assert.equal(started.status, 200, started.text);
  const url = new URL(started.json.url);
  assert.equal(url.origin, op.issuer);
  for (const p of ["state", "nonce", "code_challenge"]) assert.ok(url.searchParams.get(p), p);
  assert.equal(url.searchParams.get("code_challenge_method"), "S256");
  return throughProvider(started.json.url, `${API}/callback/acme`);
}

test("sign-up, then sign-in, through a real OpenID Provider", async () => {
  const jar = new Jar();
  const callback = await throughAcme(jar);
  const first = await visit(callback, jar);
  assert.equal(first.status, 302);
  assert.equal(first.location, "/welcome", "a new user goes to newUserCallbackURL");
  const session = (await call("/get-session", { jar })).json;
  assert.equal(session.user.email, "alice@example.test");
  assert.equal(session.user.emailVerified, true);
  assert.equal(session.user.name, "Alice Liddell");

  const again = new Jar();
  const returning = await visit(await throughAcme(again), again);
  assert.equal(returning.location, "/dashboard", "a returning user goes to callbackURL");
  assert.equal((await call("/get-session", { jar: again })).json.user.id, session.user.id);
  const accounts = (await call("/list-accounts", { jar })).json;
  const acme = accounts.find((a) => a.providerId === "acme");
  assert.equal(acme.accountId, "user-alice");
  const token = await call("/get-access-token", { method: "POST", body: { accountId: acme.id }, jar });
  assert.equal(token.status, 200, token.text);
  assert.ok(token.json.accessToken, "the provider's access token, in clear for its owner");
  const refreshed = await call("/refresh-token", { method: "POST", body: { accountId: acme.id }, jar });
  assert.equal(refreshed.status, 200, refreshed.text);
  assert.notEqual(refreshed.json.accessToken, token.json.accessToken);
});

test("a replayed callback (state and code) is refused, and so is one from another browser", async () => {
  const jar = new Jar();
  const callback = await throughAcme(jar, { loginHint: "user-carol" });
  const stranger = await visit(callback, new Jar());
  assert.equal(stranger.location, "/oops?error=state_mismatch");
  assert.equal((await visit(callback, jar)).location, "/welcome");
  const replay = await visit(callback, jar);
  assert.match(replay.location, /\/api\/auth\/error\?error=state_mismatch$/);
});

test("a denied consent reaches the error URL with the provider's words", async () => {
  op.setDecision({ error: "access_denied", error_description: "The user said no" });
  try {
    const jar = new Jar();
    const callback = await throughAcme(jar);
    assert.equal(new URL(callback).searchParams.get("error"), "access_denied");
    const refused = await visit(callback, jar);
    assert.equal(refused.location, "/oops?error=access_denied&error_description=The%20user%20said%20no");
    assert.equal((await call("/get-session", { jar })).json, null);
  } finally {
    op.setDecision(null);
  }
});

test("an unverified address at the provider does not take over a password account; linking from the account does", async () => {
  const jar = new Jar();
  const email = "bob@example.test";
  const up = await call("/sign-up/email", { method: "POST", body: { name: "Bob", email, password: PASSWORD }, jar });
  assert.equal(up.status, 200, up.text);
  const stranger = new Jar();
  const taken = await visit(await throughAcme(stranger, { loginHint: "user-bob" }), stranger);
  assert.equal(taken.location, "/oops?error=account_not_linked");
  // From Bob's own session, linking needs the provider to vouch for the address: it does not.
  const linkJar = jar;
  const refused = await visit(await throughAcme(linkJar, { path: "/link-social", loginHint: "user-bob", body: { callbackURL: "/settings" } }), linkJar);
  assert.equal(refused.location, "/oops?error=unable_to_link_account");

  // Dana's address is vouched for: she links, then unlinks, and cannot unlink her last account.
  const danaJar = new Jar();
  const dana = await call("/sign-up/email", { method: "POST", body: { name: "Dana", email: "dana@example.test", password: PASSWORD }, jar: danaJar });
  assert.equal(dana.status, 200, dana.text);
  const linked = await visit(await throughAcme(danaJar, { path: "/link-social", loginHint: "user-dana", body: { callbackURL: "/settings" } }), danaJar);
  assert.equal(linked.location, "/settings");
  const accounts = (await call("/list-accounts", { jar: danaJar })).json;
  assert.deepEqual(accounts.map((a) => a.providerId).sort(), ["acme", "credential"]);
  const acme = accounts.find((a) => a.providerId === "acme");
  assert.equal((await call("/unlink-account", { method: "POST", body: { accountId: acme.id }, jar: danaJar })).status, 200);
  const credential = accounts.find((a) => a.providerId === "credential");
  const last = await call("/unlink-account", { method: "POST", body: { accountId: credential.id }, jar: danaJar });
  assert.equal(last.status, 400);
  assert.equal(last.json.code, "FAILED_TO_UNLINK_LAST_ACCOUNT");
});

test("every spoiled ID token is refused", async () => {
  const spoils = {
    "wrong iss": (c, sign) => sign({ ...c, iss: "http://127.0.0.1:1" }),
    "wrong aud": (c, sign) => sign({ ...c, aud: "someone-else" }),
    "two audiences, no azp": (c, sign) => sign({ ...c, aud: [CLIENT_ID, "someone-else"] }),
    "foreign azp": (c, sign) => sign({ ...c, azp: "someone-else" }),
    expired: (c, sign) => sign({ ...c, iat: c.iat - 3600, exp: c.iat - 60 }),
    "issued in the future": (c, sign) => sign({ ...c, iat: c.iat + 600, exp: c.exp + 600 }),
    "missing nonce": (c, sign) => sign({ ...c, nonce: undefined }),
    "changed nonce": (c, sign) => sign({ ...c, nonce: "not-the-one-sent" }),
    "bad signature": async (c, sign) => {
      const [h, , s] = (await sign(c)).split(".");
      return `${h}.${Buffer.from(JSON.stringify({ ...c, sub: "someone-else" })).toString("base64url")}.${s}`;
    },
    "alg none": async (c) => spoiler.unsigned(c, { alg: "none", kid: "spoiler-1" }),
    HS256: async (c) => {
      const { SignJWT } = await import("jose");
      return new SignJWT(c).setProtectedHeader({ alg: "HS256", kid: "spoiler-1" }).sign(new TextEncoder().encode("a-shared-secret-of-enough-length-000"));
    },
  };
  for (const [what, spoil] of Object.entries(spoils)) {
    const jar = new Jar();
    const started = await call("/sign-in/social", { method: "POST", body: { provider: "spoiler", errorCallbackURL: "/oops" }, jar });
    assert.equal(started.status, 200, started.text);
    const url = new URL(started.json.url);
    const code = `code-${what.replaceAll(" ", "-")}`;
    spoiler.issue(code, { nonce: url.searchParams.get("nonce"), spoil });
    const refused = await visit(`${API}/callback/spoiler?code=${code}&state=${url.searchParams.get("state")}`, jar);
    assert.equal(refused.location, "/oops?error=unable_to_get_user_info", what);
  }
  // The same provider, unspoiled, signs in: the refusals above were the spoils.
  const jar = new Jar();
  const started = await call("/sign-in/social", { method: "POST", body: { provider: "spoiler", errorCallbackURL: "/oops", callbackURL: "/fine" }, jar });
  const url = new URL(started.json.url);
  spoiler.issue("code-clean", { nonce: url.searchParams.get("nonce"), spoil: (c, sign) => sign(c) });
  assert.equal((await visit(`${API}/callback/spoiler?code=code-clean&state=${url.searchParams.get("state")}`, jar)).location, "/fine");
});

test("GitHub: its token, /user and /user/emails answers, a private unverified primary address", async () => {
  const jar = new Jar();
  const started = await call("/sign-in/social", { method: "POST", body: { provider: "github", callbackURL: "/dashboard", errorCallbackURL: "/oops" }, jar });
  const url = new URL(started.json.url);
  assert.equal(url.searchParams.get("scope"), "read:user user:email");
  const wrong = await visit(`${API}/callback/github?code=wrong-code&state=${url.searchParams.get("state")}`, jar);
  assert.equal(wrong.location, "/oops?error=invalid_code", "GitHub's 200 with an error is a refusal");

  const again = new Jar();
  const second = new URL((await call("/sign-in/social", { method: "POST", body: { provider: "github", callbackURL: "/dashboard" }, jar: again })).json.url);
  assert.equal((await visit(`${API}/callback/github?code=github-code&state=${second.searchParams.get("state")}`, again)).location, "/dashboard");
  const { user } = (await call("/get-session", { jar: again })).json;
  assert.equal(user.email, "octocat@example.test");
  assert.equal(user.emailVerified, false);
  assert.equal(user.name, "octocat");
  assert.ok(github.seen.includes("GET /user/emails"));
});

test("an unknown provider answers PROVIDER_NOT_FOUND", async () => {
  const res = await call("/sign-in/social", { method: "POST", body: { provider: "nope" }, jar: new Jar() });
  assert.equal(res.status, 404);
  assert.equal(res.json.code, "PROVIDER_NOT_FOUND");
});

test("headless Chromium: an SPA on a trusted origin signs in with better-auth's signIn.social", async () => {
  const { chromium } = await import("playwright-core");
  const { createServer } = await import("node:http");
  const { execFileSync } = await import("node:child_process");
  const bundle = execFileSync(process.env.ESBUILD_BIN ?? "node_modules/.bin/esbuild", ["tests/e2e/social/spa.mjs", "--bundle", "--format=iife", "--log-level=error"], { encoding: "utf8" });
  const origin = process.env.PAGE_ORIGIN;
  const page = `<!doctype html><meta charset="utf-8"><title>SPA</title><p id="status">loaded</p><script src="/client.js"></script>
<script>
  window.client = createAuthClient({ baseURL: ${JSON.stringify(BASE)} });
  if (location.pathname === "/signed-in") {
    client.getSession().then(({ data }) => { document.getElementById("status").textContent = "signed in as " + (data && data.user.email); });
  }
</script>`;
  const spa = createServer((req, res) => {
    if (req.url === "/client.js") return res.writeHead(200, { "content-type": "text/javascript" }).end(bundle);
    res.writeHead(200, { "content-type": "text/html" }).end(page);
  });
  await new Promise((resolve) => spa.listen(Number(new URL(origin).port), "127.0.0.1", resolve));
  const browser = await chromium.launch({ executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium", args: ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run"] });
  try {
    const tab = await (await browser.newContext()).newPage();
    await tab.goto(`${origin}/`);
    await tab.evaluate((callbackURL) => client.signIn.social({ provider: "acme", callbackURL, loginHint: "user-alice" }), `${origin}/signed-in`);
    await tab.waitForURL(`${origin}/signed-in`, { timeout: 15_000 });
    await tab.waitForFunction(() => document.getElementById("status").textContent.startsWith("signed in"), null, { timeout: 10_000 });
    assert.equal(await tab.textContent("#status"), "signed in as alice@example.test");
  } finally {
    await browser.close();
    await new Promise((r) => spa.close(r));
  }
});
