// A minimal Payload config with the sync receiver: the collections and endpoints from ./ba-sync.
// In an existing project, add `baSyncEndpoints(...)` to `endpoints`, the fields of
// `baSyncUserFields` and the access rules to your users collection, and the three bookkeeping
// collections.
import { buildConfig } from "payload";
import { sqliteAdapter } from "@payloadcms/db-sqlite";
import { baSyncCollections } from "./ba-sync/collections.mjs";
import { baSyncEndpoints } from "./ba-sync/endpoints.mjs";

const secrets = () => [process.env.BA_TO_PAYLOAD_SECRET, process.env.BA_TO_PAYLOAD_PREVIOUS_SECRET].filter(Boolean);

export default buildConfig({
  secret: process.env.PAYLOAD_SECRET,
  telemetry: false,
  graphQL: { disable: true },
  typescript: { autoGenerate: false },
  admin: { user: "users" },
  endpoints: baSyncEndpoints({ secrets }),
  collections: baSyncCollections,
  // Transactions on (they are off by default in db-sqlite), so the version guard is atomic.
  db: sqliteAdapter({ client: { url: process.env.PAYLOAD_DB_URL || "file:./payload.db" }, transactionOptions: {}, wal: true, busyTimeout: 5000 }),
});
