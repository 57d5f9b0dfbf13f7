// workerd's native scrypt (BoringSSL, through node:crypto) with better-auth's parameters.
// node:crypto is looked up lazily: a static import does not bundle with worker-build, and a
// top-level lookup would break the whole Worker at load time if `process` were missing.
let nodeCrypto;
const crypto = () => (nodeCrypto ??= globalThis.process.getBuiltinModule("node:crypto"));
// maxmem is required: the default (32 MiB) is below what N=16384, r=16 needs.
const OPTIONS = { N: 16384, r: 16, p: 1, maxmem: 128 * 16384 * 16 * 2 };

export function scryptNfkc(password, salt) {
  const key = crypto().scryptSync(password.normalize("NFKC"), salt, 64, OPTIONS);
  return new Uint8Array(key.buffer, key.byteOffset, key.byteLength);
}

export function nfkc(text) {
  return text.normalize("NFKC");
}
