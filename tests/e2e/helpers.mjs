// Shared by the end-to-end suites: the service under test and a tiny cookie-keeping client.
export const BASE = process.env.BASE_URL ?? "http://127.0.0.1:8787";
export const API = `${BASE}/api/auth`;
export const PAGE_ORIGIN = process.env.PAGE_ORIGIN;
export const UNTRUSTED_ORIGIN = process.env.UNTRUSTED_ORIGIN;

let counter = 0;
/** A unique address per call, so suites never collide in the shared database. */
export function uniqueEmail(tag) {
  return `${tag}-${process.pid}-${Date.now()}-${counter++}@example.com`;
}

// Each test process starts at its own random place, so processes do not share addresses.
let clients = Math.floor(Math.random() * 131072);
/**
 * A client address no other request of this process has used (198.18.0.0/15, the benchmarking
 * range), sent as `cf-connecting-ip`: the rate limits count every client apart, as Cloudflare's
 * edge would (locally, wrangler keeps a header the client sets).
 */
export function freshIp() {
  const n = clients++ % 131072;
  return `198.${18 + Math.floor(n / 65536)}.${Math.floor(n / 256) % 256}.${n % 256}`;
}

/** Keeps cookies across requests like a browser on the service's own origin, from one address. */
export class Jar {
  cookies = new Map();
  ip = freshIp();

  header() {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join("; ");
  }

  store(response) {
    for (const line of response.headers.getSetCookie()) {
      const [pair] = line.split(";");
      const i = pair.indexOf("=");
      const name = pair.slice(0, i);
      if (/Max-Age=0/i.test(line)) this.cookies.delete(name);
      else this.cookies.set(name, pair.slice(i + 1));
    }
  }

  /** A `fetch` that sends and stores this jar's cookies (for better-auth's client in Node). */
  fetch = async (input, init = {}) => {
    const headers = new Headers(init.headers);
    if (!headers.has("cf-connecting-ip")) headers.set("cf-connecting-ip", this.ip);
    if (this.cookies.size) headers.set("cookie", this.header());
    const response = await fetch(input, { ...init, headers });
    this.store(response);
    return response;
  };
}

/**
 * Calls the API, from the jar's address or a fresh one. Node's fetch sends `Sec-Fetch-Mode: cors`,
 * so it names its origin as a browser would.
 */
export async function call(path, { method = "GET", body, headers = {}, jar } = {}) {
  const h = new Headers({ origin: BASE, "cf-connecting-ip": jar?.ip ?? freshIp(), ...headers });
  let payload = body;
  if (body !== undefined && typeof body !== "string" && !(body instanceof Uint8Array)) {
    h.set("content-type", "application/json");
    payload = JSON.stringify(body);
  }
  if (jar?.cookies.size) h.set("cookie", jar.header());
  const response = await fetch(`${API}${path}`, { method, body: payload, headers: h });
  jar?.store(response);
  const text = await response.text();
  let json;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  return { status: response.status, headers: response.headers, text, json };
}
