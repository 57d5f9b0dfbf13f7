// The receiving side checks the vectors of docs/sync-protocol.md (the Rust signer checks them too).
import { test } from "node:test";
import assert from "node:assert/strict";
import { sign, signingString, verifyRequest } from "../../examples/payload/ba-sync/verify.mjs";

const SECRET = "portcullis-sync-test-secret-0123456789abcdef";
const NEXT = "portcullis-sync-next-secret-fedcba9876543210";
const BODY = Buffer.from('{"type":"user.delete","eventId":"evt_01","version":2,"occurredAt":"2026-01-01T00:00:00.000Z","userId":"u_1"}');
const EVENT = { timestamp: 1767225600, nonce: "bm9uY2Utbm9uY2Utbm9uYw", id: "evt_01", method: "POST", path: "/api/ba-sync/events", body: BODY };

function headersFor(parts, signature) {
  return { "x-ba-sync-id": parts.id, "x-ba-sync-timestamp": String(parts.timestamp), "x-ba-sync-nonce": parts.nonce, "x-ba-sync-signature": signature };
}

test("the documented signatures", () => {
  assert.equal(signingString(EVENT), "v1\n1767225600\nbm9uY2Utbm9uY2Utbm9uYw\nevt_01\nPOST\n/api/ba-sync/events\nc37f2f64fa16133ac219cf459f06a92fb51b6ac4b23deba2c383f81090146d11");
  assert.equal(sign(SECRET, EVENT), "3a75ae1df994547bb3782e7a4867c795aa95d510ddeb90653b09db9432def6c3");
  assert.equal(sign(NEXT, EVENT), "e51decdd86b13c49aa83d41a6660fbce50806e937f82bb835bbfd26afd056ee7");
  const manifest = { timestamp: 1767225600, nonce: "bWFuaWZlc3Qtbm9uY2UtMQ", id: "manifest_01", method: "POST", path: "/api/ba-sync/manifest", body: Buffer.from('{"after":null,"upTo":null,"limit":500}') };
  assert.equal(sign(SECRET, manifest), "2b2fe0b63bf4398e0cebdb54be53bebf62261cb44c101267e8bc2602b67b7296");
});

test("verification accepts the vector, either rotated secret, and nothing altered", () => {
  const header = `v1=${sign(SECRET, EVENT)} v1=${sign(NEXT, EVENT)}`;
  const check = (parts, secrets, nowSeconds = 1767225600) => verifyRequest({ headers: headersFor(parts, header), method: parts.method, path: parts.path, body: parts.body, secrets, nowSeconds }).ok;
  assert.equal(check(EVENT, [SECRET]), true);
  assert.equal(check(EVENT, [NEXT]), true);
  assert.equal(check(EVENT, [SECRET], 1767225600 + 301), false);
  assert.equal(check(EVENT, [SECRET], 1767225600 - 301), false);
  assert.equal(check({ ...EVENT, body: Buffer.from(BODY.toString().replace('"version":2', '"version":3')) }, [SECRET]), false);
  assert.equal(check({ ...EVENT, path: "/api/ba-sync/manifest" }, [SECRET]), false);
  assert.equal(check(EVENT, ["some-other-secret-some-other-secret"]), false);
  const retimed = verifyRequest({ headers: { ...headersFor(EVENT, header), "x-ba-sync-timestamp": "1767225601" }, method: "POST", path: EVENT.path, body: BODY, secrets: [SECRET], nowSeconds: 1767225600 });
  assert.equal(retimed.ok, false);
});

test("the documented whole request verifies exactly as sent", () => {
  const body = Buffer.from('{"events":[{"type":"user.upsert","eventId":"evt_02","version":1,"occurredAt":"2026-01-01T00:00:00.000Z","user":{"id":"u_2","name":"Ada","email":"ada@example.com","emailVerified":true,"image":null,"createdAt":"2026-01-01T00:00:00.000Z","updatedAt":"2026-01-01T00:00:00.000Z"},"accounts":[{"id":"acc_2","providerId":"credential","accountId":"u_2"}]},{"type":"user.delete","eventId":"evt_01","version":2,"occurredAt":"2026-01-01T00:00:00.000Z","userId":"u_1"}]}');
  const headers = {
    "content-type": "application/json",
    "x-ba-sync-id": "dlv_01",
    "x-ba-sync-timestamp": "1767225600",
    "x-ba-sync-nonce": "YmF0Y2gtbm9uY2UtMDAwMQ",
    "x-ba-sync-key-id": "1",
    "x-ba-sync-signature": "v1=3915e2ac4036d3fca7d8a637f4bedd3b9f15094a5a2775f51233108430b9824a",
  };
  const check = (path) => verifyRequest({ headers, method: "POST", path, body, secrets: [SECRET], nowSeconds: 1767225600 }).ok;
  assert.equal(check("/cms/api/ba-sync/events"), true);
  assert.equal(check("/api/ba-sync/events"), false, "the path signed is the one requested");
});

test("the documented protocol 2 delivery verifies exactly as sent", () => {
  const body = Buffer.from('{"events":[{"type":"user.upsert","eventId":"evt_03","version":3,"occurredAt":"2026-01-02T00:00:00.000Z","user":{"id":"u_2","name":"Ada","email":"ada@example.com","emailVerified":true,"image":null,"createdAt":"2026-01-01T00:00:00.000Z","updatedAt":"2026-01-02T00:00:00.000Z","role":"admin,editor","banned":false},"accounts":[{"id":"acc_2","providerId":"credential","accountId":"u_2"}]}]}');
  const headers = {
    "content-type": "application/json",
    "x-ba-sync-id": "dlv_02",
    "x-ba-sync-timestamp": "1767312000",
    "x-ba-sync-nonce": "cHJvdG9jb2wtMi1ub25jZQ",
    "x-ba-sync-key-id": "1",
    "x-ba-sync-signature": "v1=c3485dfc244571fac8d09762a4f1072c8305980bc3fecc751084653db101d92c",
    "x-ba-sync-protocol": "2",
  };
  const check = (bytes) => verifyRequest({ headers, method: "POST", path: "/cms/api/ba-sync/events", body: bytes, secrets: [SECRET], nowSeconds: 1767312000 }).ok;
  assert.equal(check(body), true);
  assert.equal(check(Buffer.from(body.toString().replace('"banned":false', '"banned":true'))), false, "the ban is signed with the rest");
});
