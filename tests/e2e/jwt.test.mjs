// JWTs from the real runtime, verified by libraries nobody here wrote: jose (Node) and PyJWT
// (Python), with issuer and audience checks. scripts/e2e.sh runs this against a server signing
// with a key better-auth made and against one signing with a key of its own.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { createRemoteJWKSet, jwtVerify } from "jose";
import { API, BASE, Jar, call, uniqueEmail } from "./helpers.mjs";

const PASSWORD = "correct horse battery";

async function signedInUser() {
  const jar = new Jar();
  const email = uniqueEmail("jwt");
  const up = await call("/sign-up/email", { method: "POST", body: { name: "Jwt User", email, password: PASSWORD }, jar });
  assert.equal(up.status, 200, up.text);
  return { jar, email, user: up.json.user };
}

function pyjwt(token, audience = BASE) {
  const python = existsSync(".venv/bin/python") ? ".venv/bin/python" : "python3";
  return spawnSync(python, ["tests/e2e/verify_jwt.py", token, `${API}/jwks`, BASE, audience], { encoding: "utf8" });
}

test("jose verifies /token and set-auth-jwt tokens against the JWKS", async () => {
  const { jar, email, user } = await signedInUser();
  const fromToken = (await call("/token", { jar })).json.token;
  const session = await call("/get-session", { jar });
  const fromHeader = session.headers.get("set-auth-jwt");
  assert.ok(fromHeader, "get-session sends set-auth-jwt");
  for (const jwks of [createRemoteJWKSet(new URL(`${API}/jwks`)), createRemoteJWKSet(new URL(`${BASE}/.well-known/jwks.json`))]) {
    for (const token of [fromToken, fromHeader]) {
      const { payload, protectedHeader } = await jwtVerify(token, jwks, { issuer: BASE, audience: BASE, algorithms: ["EdDSA"] });
      assert.equal(protectedHeader.typ, "JWT");
      assert.equal(payload.sub, user.id);
      assert.equal(payload.email, email);
      assert.equal(payload.exp - payload.iat, 900);
    }
  }
  await assert.rejects(jwtVerify(fromToken, createRemoteJWKSet(new URL(`${API}/jwks`)), { issuer: BASE, audience: "https://other.example.com" }));
});

test("PyJWT's PyJWKClient verifies the same tokens with issuer and audience checks", async () => {
  const { jar, user } = await signedInUser();
  const token = (await call("/token", { jar })).json.token;
  const ok = pyjwt(token);
  assert.equal(ok.status, 0, ok.stderr);
  assert.equal(JSON.parse(ok.stdout).sub, user.id);
  const wrongAudience = pyjwt(token, "https://other.example.com");
  assert.equal(wrongAudience.status, 1);
  assert.match(wrongAudience.stderr, /InvalidAudienceError/);
  const header = (await call("/get-session", { jar })).headers.get("set-auth-jwt");
  assert.equal(pyjwt(header).status, 0);
});

test("discovery documents point at the keys and answer any origin", async () => {
  const res = await fetch(`${BASE}/.well-known/openid-configuration`, { headers: { origin: "https://anywhere.example" } });
  const doc = await res.json();
  assert.equal(doc.issuer, BASE);
  assert.equal(doc.jwks_uri, `${API}/jwks`);
  assert.deepEqual(doc.id_token_signing_alg_values_supported, ["EdDSA"]);
  assert.equal(res.headers.get("access-control-allow-origin"), "*");
  const jwks = await fetch(`${API}/jwks`);
  assert.equal(jwks.headers.get("cache-control"), "public, max-age=300");
  for (const key of (await jwks.json()).keys) {
    assert.deepEqual(Object.keys(key).sort(), ["alg", "crv", "kid", "kty", "x"]);
  }
});
