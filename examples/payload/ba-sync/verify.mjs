// The receiving side of docs/sync-protocol.md: signature and timestamp checks over the raw bytes.
// Shared by the Payload endpoints here and the loopback receiver of the end-to-end tests.
import { createHash, createHmac, timingSafeEqual } from "node:crypto";

export const WINDOW_SECONDS = 300;
/** 128 random bits, base64url without padding: 22 characters that decode to 16 bytes. */
const NONCE = /^[A-Za-z0-9_-]{21}[AQgw]$/;
const REQUIRED = ["x-ba-sync-id", "x-ba-sync-timestamp", "x-ba-sync-nonce", "x-ba-sync-signature"];

export function signingString({ timestamp, nonce, id, method, path, body }) {
  const digest = createHash("sha256").update(body).digest("hex");
  return `v1\n${timestamp}\n${nonce}\n${id}\n${method.toUpperCase()}\n${path}\n${digest}`;
}

export function sign(secret, parts) {
  return createHmac("sha256", secret).update(signingString(parts)).digest("hex");
}

/**
 * Checks a request. `headers` is a lower-case header object, `body` the exact bytes (Buffer).
 * Returns {ok: true, id, nonce} or {ok: false, reason}.
 */
export function verifyRequest({ headers, method, path, body, secrets, nowSeconds }) {
  for (const name of REQUIRED) {
    if (!headers[name]) return { ok: false, reason: `missing ${name}` };
  }
  if (!NONCE.test(headers["x-ba-sync-nonce"])) return { ok: false, reason: "the nonce is not 128 bits of base64url" };
  const timestamp = Number(headers["x-ba-sync-timestamp"]);
  if (!Number.isInteger(timestamp) || Math.abs(nowSeconds - timestamp) > WINDOW_SECONDS) {
    return { ok: false, reason: "timestamp outside the window" };
  }
  const parts = { timestamp, nonce: headers["x-ba-sync-nonce"], id: headers["x-ba-sync-id"], method, path, body };
  const given = headers["x-ba-sync-signature"].split(" ").filter((s) => s.startsWith("v1=")).map((s) => Buffer.from(s.slice(3)));
  let matched = false;
  for (const secret of secrets) {
    const expected = Buffer.from(sign(secret, parts));
    for (const candidate of given) {
      if (candidate.length === expected.length && timingSafeEqual(candidate, expected)) matched = true;
    }
  }
  return matched ? { ok: true, id: parts.id, nonce: parts.nonce } : { ok: false, reason: "bad signature" };
}
