// The collections the sync writes. `users` is the app's user collection, with the fields portcullis
// owns; nothing but the sync endpoints (overrideAccess) may create, change or delete them. The
// other three are the receiver's bookkeeping: replay protection, idempotency and tombstones.
const deny = () => false;
const closed = { read: deny, create: deny, update: deny, delete: deny };

export const baSyncUserFields = [
  { name: "externalId", type: "text", required: true, unique: true, index: true },
  { name: "email", type: "text" },
  { name: "name", type: "text" },
  { name: "emailVerified", type: "checkbox", defaultValue: false },
  { name: "image", type: "text" },
  // Protocol 2: better-auth's roles (comma-separated) and ban, for access rules such as
  // `({ req }) => Boolean(req.user) && !req.user.banned`.
  { name: "role", type: "text" },
  { name: "banned", type: "checkbox", defaultValue: false },
  { name: "baSyncVersion", type: "number", required: true },
];

export const baSyncCollections = [
  {
    slug: "users",
    auth: { disableLocalStrategy: true },
    access: { create: deny, update: deny, delete: deny },
    fields: baSyncUserFields,
  },
  {
    slug: "ba_sync_tombstones",
    access: closed,
    fields: [
      { name: "baUserId", type: "text", required: true, unique: true, index: true },
      { name: "version", type: "number", required: true },
    ],
  },
  { slug: "ba_sync_events", access: closed, fields: [{ name: "eventId", type: "text", required: true, unique: true, index: true }] },
  {
    slug: "ba_sync_nonces",
    access: closed,
    fields: [
      { name: "nonce", type: "text", required: true, unique: true, index: true },
      { name: "expiresAt", type: "number", required: true, index: true },
    ],
  },
];
