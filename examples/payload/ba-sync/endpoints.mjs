// Payload custom endpoints that receive portcullis' user sync (docs/sync-protocol.md):
// POST /api/ba-sync/events and POST /api/ba-sync/manifest. Each request is verified on its raw
// bytes before anything parses it; its nonce is inserted under a unique index (a conflict is a
// replay); each event is applied in its own transaction behind the version guard.
import { commitTransaction, createLocalReq, initTransaction, killTransaction } from "payload";
import { verifyRequest } from "./verify.mjs";

const NONCE_TTL_SECONDS = 600;

// One event at a time: the version guard reads then writes, so concurrent events for one user
// must not interleave.
let chain = Promise.resolve();
const serialize = (fn) => {
  const run = chain.then(fn, fn);
  chain = run.catch(() => {});
  return run;
};

async function inTransaction(payload, fn) {
  const req = await createLocalReq({ context: { baSync: true } }, payload);
  await initTransaction(req);
  try {
    const result = await fn(req);
    await commitTransaction(req);
    return result;
  } catch (error) {
    await killTransaction(req);
    throw error;
  }
}

const one = async (payload, req, collection, field, value) =>
  (await payload.find({ collection, where: { [field]: { equals: value } }, limit: 1, depth: 0, pagination: false, overrideAccess: true, req })).docs[0];

async function applyEvent(payload, req, event) {
  const id = event?.type === "user.delete" ? event.userId : event?.user?.id;
  if (typeof id !== "string" || !Number.isInteger(event.version) || typeof event.eventId !== "string") return "rejected";
  if (await one(payload, req, "ba_sync_events", "eventId", event.eventId)) return "duplicate";
  const tombstone = await one(payload, req, "ba_sync_tombstones", "baUserId", id);
  const current = await one(payload, req, "users", "externalId", id);
  if ((tombstone && tombstone.version >= event.version) || (current && current.baSyncVersion >= event.version)) return "stale";
  const write = { req, overrideAccess: true, depth: 0 };
  if (event.type === "user.upsert") {
    const { email, name, emailVerified, image } = event.user;
    const data = { externalId: id, email, name, emailVerified: Boolean(emailVerified), image: image ?? null, baSyncVersion: event.version };
    // Protocol 2 fields; a protocol 1 sender leaves what is stored alone.
    if ("role" in event.user) data.role = event.user.role ?? null;
    if ("banned" in event.user) data.banned = Boolean(event.user.banned);
    if (current) await payload.update({ collection: "users", id: current.id, data, ...write });
    else await payload.create({ collection: "users", data, ...write });
  } else {
    if (current) await payload.delete({ collection: "users", id: current.id, ...write });
    if (tombstone) await payload.update({ collection: "ba_sync_tombstones", id: tombstone.id, data: { version: event.version }, ...write });
    else await payload.create({ collection: "ba_sync_tombstones", data: { baUserId: id, version: event.version }, ...write });
  }
  await payload.create({ collection: "ba_sync_events", data: { eventId: event.eventId }, ...write });
  return "applied";
}

/** Verifies the request and records its nonce; returns the raw body, or the answer to send. */
async function admit(req, secrets) {
  const body = Buffer.from(await req.text());
  const nowSeconds = Math.floor(Date.now() / 1000);
  const check = verifyRequest({ headers: Object.fromEntries(req.headers), method: req.method, path: new URL(req.url).pathname, body, secrets: secrets(), nowSeconds });
  if (!check.ok) return { answer: Response.json({ error: check.reason }, { status: 401 }) };
  try {
    await req.payload.create({ collection: "ba_sync_nonces", data: { nonce: check.nonce, expiresAt: nowSeconds + NONCE_TTL_SECONDS }, overrideAccess: true });
  } catch {
    return { answer: Response.json({ error: "replay" }, { status: 409 }) };
  }
  await req.payload.delete({ collection: "ba_sync_nonces", where: { expiresAt: { less_than: nowSeconds } }, overrideAccess: true });
  return { body };
}

function parse(body) {
  try {
    return JSON.parse(body.toString("utf8"));
  } catch {
    return null;
  }
}

/** `secrets()` returns the accepted secrets: the current one and, during a rotation, the previous. */
export function baSyncEndpoints({ secrets }) {
  return [
    {
      path: "/ba-sync/events",
      method: "post",
      handler: async (req) => {
        const { body, answer } = await admit(req, secrets);
        if (answer) return answer;
        const events = parse(body)?.events;
        if (!Array.isArray(events)) return Response.json({ error: "bad json" }, { status: 400 });
        const results = [];
        for (const event of events) {
          const status = await serialize(() => inTransaction(req.payload, (tx) => applyEvent(req.payload, tx, event)));
          results.push({ eventId: event?.eventId, status });
        }
        return Response.json({ results });
      },
    },
    {
      path: "/ba-sync/manifest",
      method: "post",
      handler: async (req) => {
        const { body, answer } = await admit(req, secrets);
        if (answer) return answer;
        const request = parse(body);
        if (!request) return Response.json({ error: "bad json" }, { status: 400 });
        const limit = Math.min(Number(request.limit) || 500, 1000);
        const bounds = [];
        if (request.after) bounds.push({ externalId: { greater_than: request.after } });
        if (request.upTo) bounds.push({ externalId: { less_than_equal: request.upTo } });
        const found = await req.payload.find({ collection: "users", where: bounds.length ? { and: bounds } : {}, sort: "externalId", limit: limit + 1, pagination: false, depth: 0, overrideAccess: true });
        const users = found.docs.slice(0, limit).map((u) => ({ id: u.externalId, version: u.baSyncVersion }));
        return Response.json({ users, hasMore: found.docs.length > limit });
      },
    },
  ];
}
