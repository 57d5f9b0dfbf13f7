// A software WebAuthn authenticator for Node: WebCrypto keys (ES256, EdDSA, RS256), attestation
// objects and assertions encoded as browsers send them (`@simplewebauthn/browser`'s JSON), for the
// recorded vectors (tests/fixtures/webauthn.mjs) and the passkey benchmark.
import { webcrypto as crypto } from "node:crypto";
import { isoBase64URL, isoCBOR } from "@simplewebauthn/server/helpers";

export const FLAGS = { UP: 0x01, UV: 0x04, BE: 0x08, BS: 0x10, AT: 0x40 };
const DEFAULT_AAGUID = Uint8Array.from({ length: 16 }, (_, i) => 0xa0 + i);

export const b64url = (bytes) => isoBase64URL.fromBuffer(new Uint8Array(bytes));
const sha256 = async (bytes) => new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
const text = (s) => new TextEncoder().encode(s);
const u32 = (n) => Uint8Array.of(n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255);
export function concat(...parts) {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) { out.set(p, at); at += p.length; }
  return out;
}

/** ECDSA signatures travel DER-encoded in WebAuthn; WebCrypto gives r || s. */
function derSignature(raw) {
  const int = (bytes) => {
    let i = 0;
    while (i < bytes.length - 1 && bytes[i] === 0) i++;
    let v = bytes.slice(i);
    if (v[0] & 0x80) v = concat(Uint8Array.of(0), v);
    return concat(Uint8Array.of(0x02, v.length), v);
  };
  const body = concat(int(raw.slice(0, 32)), int(raw.slice(32)));
  return concat(Uint8Array.of(0x30, body.length), body);
}

async function keyPair(alg) {
  if (alg === "ES256") {
    const keys = await crypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, true, ["sign", "verify"]);
    const jwk = await crypto.subtle.exportKey("jwk", keys.publicKey);
    const cose = new Map([[1, 2], [3, -7], [-1, 1], [-2, isoBase64URL.toBuffer(jwk.x)], [-3, isoBase64URL.toBuffer(jwk.y)]]);
    return { cose, sign: async (data) => derSignature(new Uint8Array(await crypto.subtle.sign({ name: "ECDSA", hash: "SHA-256" }, keys.privateKey, data))) };
  }
  if (alg === "EdDSA") {
    const keys = await crypto.subtle.generateKey({ name: "Ed25519" }, true, ["sign", "verify"]);
    const raw = new Uint8Array(await crypto.subtle.exportKey("raw", keys.publicKey));
    return { cose: new Map([[1, 1], [3, -8], [-1, 6], [-2, raw]]), sign: async (data) => new Uint8Array(await crypto.subtle.sign("Ed25519", keys.privateKey, data)) };
  }
  const keys = await crypto.subtle.generateKey({ name: "RSASSA-PKCS1-v1_5", modulusLength: 2048, publicExponent: Uint8Array.of(1, 0, 1), hash: "SHA-256" }, true, ["sign", "verify"]);
  const jwk = await crypto.subtle.exportKey("jwk", keys.publicKey);
  const cose = new Map([[1, 3], [3, -257], [-1, isoBase64URL.toBuffer(jwk.n)], [-2, isoBase64URL.toBuffer(jwk.e)]]);
  return { cose, sign: async (data) => new Uint8Array(await crypto.subtle.sign("RSASSA-PKCS1-v1_5", keys.privateKey, data)) };
}

/** One credential of `alg` for `rpId`. */
export async function createAuthenticator(alg, rpId) {
  const key = await keyPair(alg);
  const credentialId = crypto.getRandomValues(new Uint8Array(32));
  let counter = 0;
  const clientData = (type, challenge, origin) => text(JSON.stringify({ type, challenge, origin, crossOrigin: false }));
  return {
    credentialId: b64url(credentialId),
    /** The registration response for `challenge`. */
    async register(challenge, origin, { fmt = "none", flags = FLAGS.UP | FLAGS.UV | FLAGS.BE | FLAGS.BS | FLAGS.AT, signedRpId = rpId } = {}) {
      const authData = concat(await sha256(text(signedRpId)), Uint8Array.of(flags), u32(0), DEFAULT_AAGUID,
        Uint8Array.of(0, credentialId.length), credentialId, isoCBOR.encode(key.cose));
      const clientDataJSON = clientData("webauthn.create", challenge, origin);
      let attStmt = new Map();
      if (fmt === "packed") attStmt = new Map([["alg", key.cose.get(3)], ["sig", await key.sign(concat(authData, await sha256(clientDataJSON)))]]);
      const attestationObject = isoCBOR.encode(new Map([["fmt", fmt], ["attStmt", attStmt], ["authData", authData]]));
      return {
        id: b64url(credentialId), rawId: b64url(credentialId), type: "public-key",
        response: { clientDataJSON: b64url(clientDataJSON), attestationObject: b64url(attestationObject), transports: ["internal", "hybrid"] },
        clientExtensionResults: {}, authenticatorAttachment: "platform",
      };
    },
    /** The assertion for `challenge`; the counter moves on unless given. */
    async assert(challenge, origin, { flags = FLAGS.UP | FLAGS.UV | FLAGS.BE | FLAGS.BS, count = counter + 1 } = {}) {
      counter = count;
      const authData = concat(await sha256(text(rpId)), Uint8Array.of(flags), u32(count));
      const clientDataJSON = clientData("webauthn.get", challenge, origin);
      const signature = await key.sign(concat(authData, await sha256(clientDataJSON)));
      return {
        id: b64url(credentialId), rawId: b64url(credentialId), type: "public-key",
        response: { clientDataJSON: b64url(clientDataJSON), authenticatorData: b64url(authData), signature: b64url(signature), userHandle: b64url(text("user-handle")) },
        clientExtensionResults: {},
      };
    },
  };
}
