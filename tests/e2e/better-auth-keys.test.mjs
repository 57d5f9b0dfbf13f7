// Signing keys shared with better-auth in both directions: a `jwks` row written by better-auth's
// own code (tests/e2e/better-auth-key.mjs, seeded by scripts/e2e.sh) signs portcullis tokens, and
// a row written by portcullis opens with better-auth's own symmetricDecrypt.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { createRemoteJWKSet, decodeProtectedHeader, exportJWK, importJWK, jwtVerify, SignJWT } from "jose";
import { symmetricDecrypt } from "better-auth/crypto";
import { API, BASE, Jar, call, uniqueEmail } from "./helpers.mjs";

const IMPORTED_KID = "better-auth-imported-key"; // written by tests/e2e/better-auth-key.mjs

test("a signing key written by better-auth signs portcullis tokens", async () => {
  const jar = new Jar();
  await call("/sign-up/email", { method: "POST", body: { name: "Key User", email: uniqueEmail("key"), password: "correct horse battery" }, jar });
  const token = (await call("/token", { jar })).json.token;
  assert.equal(decodeProtectedHeader(token).kid, IMPORTED_KID);
  await jwtVerify(token, createRemoteJWKSet(new URL(`${API}/jwks`)), { issuer: BASE, audience: BASE });
});

test("better-auth reads a signing key written by portcullis", async () => {
  const secret = process.env.TEST_SECRET;
  const example = spawnSync("cargo", ["run", "-q", "--example", "jwks_row", "--", secret], { encoding: "utf8" });
  assert.equal(example.status, 0, example.stderr);
  const row = JSON.parse(example.stdout);
  const privateJwk = JSON.parse(await symmetricDecrypt({ key: secret, data: JSON.parse(row.privateKey) }));
  const publicJwk = JSON.parse(row.publicKey);
  assert.equal(privateJwk.x, publicJwk.x);
  const token = await new SignJWT({ sub: "u" }).setProtectedHeader({ alg: "EdDSA" }).sign(await importJWK(privateJwk, "EdDSA"));
  const { payload } = await jwtVerify(token, await importJWK(publicJwk, "EdDSA"));
  assert.equal(payload.sub, "u");
  assert.deepEqual(await exportJWK(await importJWK(publicJwk, "EdDSA")), publicJwk);
});
