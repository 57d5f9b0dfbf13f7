// The contract, served: the OpenAPI document describes every endpoint the catalogue routes, and the
// reference page renders every operation of it in headless Chromium, on a phone and a desktop,
// without console errors or any request beyond the page itself.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { chromium } from "playwright-core";
import { API, BASE } from "../helpers.mjs";

let browser;
let document;

before(async () => {
  const res = await fetch(`${API}/open-api/generate-schema`);
  assert.equal(res.status, 200);
  assert.match(res.headers.get("content-type"), /application\/json/);
  document = await res.json();
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
  });
});

after(async () => {
  await browser?.close();
});

function operations(doc) {
  return Object.entries(doc.paths).flatMap(([path, item]) =>
    Object.entries(item).map(([method, op]) => ({ method: method.toUpperCase(), path, op })),
  );
}

test("the document describes each endpoint once, with its errors and its security", () => {
  assert.equal(document.openapi, "3.1.0");
  const ops = operations(document);
  const ids = ops.map((o) => o.op.operationId);
  assert.equal(new Set(ids).size, ids.length, "operation ids are unique");
  for (const name of ["signUpEmail", "signInEmail", "getSession", "listSessions", "resetPasswordCallback", "reconcileStatus", "generateOpenAPISchema"]) {
    assert.ok(ids.includes(name), `${name} is documented`);
  }
  assert.ok(document.paths["/reset-password/{token}"].get.parameters.some((p) => p.in === "path" && p.name === "token"));
  const signIn = document.paths["/sign-in/email"].post;
  assert.ok(signIn.requestBody.content["application/x-www-form-urlencoded"], "sign-in takes forms");
  assert.deepEqual(signIn.responses["401"].content["application/json"].schema.allOf[1].properties.code.enum, ["INVALID_EMAIL_OR_PASSWORD"]);
  assert.ok(signIn.responses["429"], "a rate-limited endpoint documents 429");
  assert.deepEqual(document.paths["/list-sessions"].get.security, [{ sessionCookie: [] }, { bearerToken: [] }]);
  assert.deepEqual(document.paths["/reconcile/status"].get.security, [{ reconcileToken: [] }]);
  for (const schema of ["User", "Session", "Account", "JWKS", "Error"]) {
    assert.ok(document.components.schemas[schema], `components.schemas.${schema}`);
  }
  assert.equal(document.servers[0].url, `${BASE}/api/auth`);
});

for (const [name, viewport] of [["phone", { width: 390, height: 844 }], ["desktop", { width: 1280, height: 900 }]]) {
  test(`the reference page renders every operation on a ${name}`, async () => {
    const context = await browser.newContext({ viewport });
    const page = await context.newPage();
    const problems = [];
    const requested = [];
    page.on("console", (m) => m.type() === "error" && problems.push(m.text()));
    page.on("pageerror", (e) => problems.push(e.message));
    page.on("request", (r) => requested.push(r.url()));
    const res = await page.goto(`${API}/reference`);
    assert.equal(res.status(), 200);
    assert.match(res.headers()["content-security-policy"], /default-src 'none'/);
    const rendered = await page.$$eval("article.op", (nodes) =>
      nodes.map((n) => `${n.querySelector(".verb").textContent} ${n.querySelector(".path").textContent}`),
    );
    const expected = operations(document).map((o) => `${o.method} ${o.path}`);
    assert.deepEqual([...rendered].sort(), [...expected].sort(), "one article per operation");
    const sections = await page.$$eval("section h2", (nodes) => nodes.map((n) => n.textContent));
    assert.deepEqual(sections, document.tags.map((t) => t.name), "grouped by feature, in order");
    // Nothing is wider than the screen: tables scroll inside their own box.
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 0, `the page is ${overflow}px wider than the ${name} screen`);
    assert.deepEqual(problems, [], "no console errors (the CSP allows the page's own style)");
    assert.deepEqual(requested, [`${API}/reference`], "the page loads nothing else");
    if (process.env.REFERENCE_SCREENSHOTS) {
      await page.screenshot({ path: `${process.env.REFERENCE_SCREENSHOTS}/reference-${name}.png`, fullPage: false });
    }
    await context.close();
  });
}

test("OPENAPI_ENABLED is on by default; the document is served fresh to the reference page", async () => {
  const res = await fetch(`${API}/reference`);
  assert.equal(res.status, 200);
  assert.match(res.headers.get("content-type"), /text\/html/);
  const html = await res.text();
  assert.ok(!/<script/i.test(html), "no script");
  assert.ok(!/https?:\/\/(?!127\.0\.0\.1)/.test(html.replace(/<code>[^<]*<\/code>/g, "")), "no external resource");
});
