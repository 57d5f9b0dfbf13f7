// Prints SQL inserting a `jwks` row made exactly as better-auth's JWT plugin makes one (jose key
// pair, private JWK sealed with better-auth's own symmetricEncrypt under TEST_SECRET), created an
// hour ago without an expiry, so that portcullis signs with it.
import { exportJWK, generateKeyPair } from "jose";
import { symmetricEncrypt } from "better-auth/crypto";

const IMPORTED_KID = "better-auth-imported-key"; // tests/e2e/jwt.test.mjs expects this kid
const secret = process.env.TEST_SECRET;
if (!secret) throw new Error("TEST_SECRET is not set");

const { publicKey, privateKey } = await generateKeyPair("EdDSA", { crv: "Ed25519", extractable: true });
const publicJwk = JSON.stringify(await exportJWK(publicKey));
const sealed = JSON.stringify(await symmetricEncrypt({ key: secret, data: JSON.stringify(await exportJWK(privateKey)) }));
const created = new Date(Date.now() - 3600_000).toISOString();
const q = (s) => `'${s.replaceAll("'", "''")}'`;
console.log(`insert into "jwks" ("id", "publicKey", "privateKey", "createdAt", "expiresAt", "alg", "crv") values (${q(IMPORTED_KID)}, ${q(publicJwk)}, ${q(sealed)}, ${q(created)}, null, 'EdDSA', 'Ed25519');`);
