// A loopback sync receiver (docs/sync-protocol.md) keeping its copy of the users in SQLite, below
// a base path of its own, with switches to inject the faults a real receiver shows: failures,
// refusals, 429s, delays, lost acknowledgements, held requests and clock skew.
import { createServer } from "node:http";
import { DatabaseSync } from "node:sqlite";
import { verifyRequest } from "../../../examples/payload/ba-sync/verify.mjs";

const SCHEMA = `
  create table users (id text primary key, email text not null, name text, version integer not null, role text, banned integer);
  create table tombstones (id text primary key, version integer not null);
  create table events (event_id text primary key);
  create table nonces (nonce text primary key, expires_at integer not null);
`;

export function startReceiver({ port, secrets, basePath = "" }) {
  const db = new DatabaseSync(":memory:");
  db.exec(SCHEMA);
  const faults = { failRate: 0, refuseRate: 0, refuseNext: 0, tooManyRequests: null, delayMs: 0, dropAfterApply: 0, holdNext: false, clockSkewSeconds: 0 };
  const stats = { requests: 0, manifests: 0, applied: 0, duplicates: 0, stale: 0, refused: 0, failed: 0, dropped: 0 };
  const seen = [];
  let held = null;

  const apply = db.prepare("insert into users (id, email, name, version) values (?, ?, ?, ?) on conflict (id) do update set email = excluded.email, name = excluded.name, version = excluded.version");
  const userVersion = db.prepare("select version from users where id = ?");
  const tombstone = db.prepare("select version from tombstones where id = ?");

  function applyEvent(event) {
    if (db.prepare("select 1 from events where event_id = ?").get(event.eventId)) return "duplicate";
    const id = event.type === "user.delete" ? event.userId : event.user?.id;
    if (typeof id !== "string" || !Number.isInteger(event.version)) return "rejected";
    const current = userVersion.get(id)?.version ?? 0;
    const dead = tombstone.get(id)?.version ?? 0;
    if (event.version <= current || event.version <= dead) return "stale";
    if (event.type === "user.upsert") {
      apply.run(id, event.user.email, event.user.name ?? null, event.version);
      // Protocol 2 fields: kept as they were when a sender does not send them.
      if ("role" in event.user) db.prepare("update users set role = ? where id = ?").run(event.user.role ?? null, id);
      if ("banned" in event.user) db.prepare("update users set banned = ? where id = ?").run(event.user.banned ? 1 : 0, id);
    } else {
      db.prepare("delete from users where id = ?").run(id);
      db.prepare("insert into tombstones (id, version) values (?, ?) on conflict (id) do update set version = max(version, excluded.version)").run(id, event.version);
    }
    db.prepare("insert into events (event_id) values (?)").run(event.eventId);
    return "applied";
  }

  // The receiver's users in (after, upTo], ordered by id as SQLite compares text (bytewise).
  function manifest(res, body) {
    let request;
    try {
      request = JSON.parse(body.toString("utf8"));
    } catch {
      return res.writeHead(400).end();
    }
    const limit = Math.min(Number(request.limit) || 500, 1000);
    const rows = db
      .prepare("select id, version from users where (? is null or id > ?) and (? is null or id <= ?) order by id limit ?")
      .all(request.after ?? null, request.after ?? null, request.upTo ?? null, request.upTo ?? null, limit + 1);
    stats.manifests++;
    res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ users: rows.slice(0, limit).map((r) => ({ ...r })), hasMore: rows.length > limit }));
  }

  async function handle(req, res, body) {
    stats.requests++;
    seen.push({ at: Date.now(), headers: { ...req.headers }, path: req.url, body });
    if (faults.delayMs) await new Promise((r) => setTimeout(r, faults.delayMs));
    if (faults.tooManyRequests) {
      stats.failed++;
      return res.writeHead(429, { "retry-after": String(faults.tooManyRequests) }).end();
    }
    if (Math.random() < faults.failRate) {
      stats.failed++;
      return res.writeHead(500).end();
    }
    const nowSeconds = Math.floor(Date.now() / 1000) + faults.clockSkewSeconds;
    const check = verifyRequest({ headers: req.headers, method: req.method, path: req.url, body, secrets, nowSeconds });
    if (!check.ok) {
      stats.refused++;
      return res.writeHead(401, { "content-type": "application/json" }).end(JSON.stringify({ error: check.reason }));
    }
    try {
      db.prepare("insert into nonces (nonce, expires_at) values (?, ?)").run(check.nonce, nowSeconds + 600);
    } catch {
      stats.refused++;
      return res.writeHead(409, { "content-type": "application/json" }).end(JSON.stringify({ error: "replay" }));
    }
    if (req.url === `${basePath}/api/ba-sync/manifest`) return manifest(res, body);
    if (req.url !== `${basePath}/api/ba-sync/events`) return res.writeHead(404).end();
    if (faults.refuseNext > 0 || Math.random() < faults.refuseRate) {
      faults.refuseNext = Math.max(0, faults.refuseNext - 1);
      stats.refused++;
      return res.writeHead(422, { "content-type": "application/json" }).end(JSON.stringify({ error: "cannot apply" }));
    }
    let events;
    try {
      events = JSON.parse(body.toString("utf8")).events;
      if (!Array.isArray(events)) throw new Error("no events");
    } catch {
      return res.writeHead(400).end();
    }
    db.exec("begin");
    const results = events.map((event) => ({ eventId: event.eventId, status: applyEvent(event) }));
    db.exec("commit");
    for (const r of results) stats[{ applied: "applied", duplicate: "duplicates", stale: "stale" }[r.status] ?? "refused"]++;
    if (faults.dropAfterApply > 0) {
      faults.dropAfterApply--;
      stats.dropped++;
      return req.socket.destroy();
    }
    res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ results }));
  }

  const server = createServer((req, res) => {
    const chunks = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", () => {
      const body = Buffer.concat(chunks);
      if (faults.holdNext) {
        faults.holdNext = false;
        held = () => handle(req, res, body);
        return;
      }
      handle(req, res, body).catch(() => res.writeHead(500).end());
    });
  });

  return new Promise((resolve) =>
    server.listen(port, "127.0.0.1", () =>
      resolve({
        faults,
        stats,
        seen,
        users: () => db.prepare("select id, email, name, version from users order by id").all(),
        user: (id) => db.prepare("select id, email, name, version from users where id = ?").get(id),
        /** What protocol 2 tells the receiver about a user's roles and ban. */
        access: (id) => db.prepare("select role, banned from users where id = ?").get(id),
        tombstone: (id) => db.prepare("select version from tombstones where id = ?").get(id),
        /** Changes the receiver's copy behind portcullis' back (data loss, stray rows). */
        forget: (id) => db.prepare("delete from users where id = ?").run(id),
        plant: (id, version) => db.prepare("insert into users (id, email, name, version) values (?, ?, 'Stray', ?)").run(id, `${id}@stray.example`, version),
        releaseHeld: () => held?.(),
        close: () => new Promise((r) => server.close(r)),
      }),
    ),
  );
}
