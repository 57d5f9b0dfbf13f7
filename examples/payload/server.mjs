// Serves the Payload config's endpoints (including Payload's REST API) from node:http through
// Payload's framework-agnostic handleEndpoints, without Next.js. `GET /_state` (this server only,
// for tests) shows the synced users and tombstones. Prints {"listening": port} when ready.
import { createServer } from "node:http";
import { getPayload, handleEndpoints } from "payload";
import config from "./payload.config.mjs";

const payload = await getPayload({ config });

async function state() {
  const all = (collection) => payload.find({ collection, limit: 0, pagination: false, depth: 0, overrideAccess: true }).then((r) => r.docs);
  const users = (await all("users")).map((u) => ({ id: u.externalId, email: u.email, name: u.name, role: u.role ?? null, banned: Boolean(u.banned), version: u.baSyncVersion }));
  const tombstones = (await all("ba_sync_tombstones")).map((t) => ({ id: t.baUserId, version: t.version }));
  return { users, tombstones };
}

const server = createServer(async (req, res) => {
  try {
    if (req.method === "GET" && req.url === "/_state") {
      return res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(await state()));
    }
    const chunks = [];
    for await (const chunk of req) chunks.push(chunk);
    const body = req.method === "GET" || req.method === "HEAD" ? undefined : Buffer.concat(chunks);
    const request = new Request(new URL(req.url, `http://${req.headers.host}`), { method: req.method, headers: Object.entries(req.headers).flatMap(([k, v]) => (Array.isArray(v) ? v.map((x) => [k, x]) : [[k, v]])), body });
    const response = await handleEndpoints({ config, request });
    res.writeHead(response.status, Object.fromEntries(response.headers));
    res.end(Buffer.from(await response.arrayBuffer()));
  } catch (error) {
    res.writeHead(500, { "content-type": "application/json" }).end(JSON.stringify({ error: String(error?.message ?? error) }));
  }
});

server.listen(Number(process.env.PORT || 0), "127.0.0.1", () => console.log(JSON.stringify({ listening: server.address().port })));
process.on("SIGTERM", () => server.close(async () => {
  await payload.destroy();
  process.exit(0);
}));
