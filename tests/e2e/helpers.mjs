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

/** Keeps cookies across requests like a browser on the service's own origin. */
export class Jar {
  cookies = new Map();

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
    if (this.cookies.size) headers.set("cookie", this.header());
    const response = await fetch(input, { ...init, headers });
    this.store(response);
    return response;
  };
}

/** Calls the API. Node's fetch sends `Sec-Fetch-Mode: cors`, so it names its origin as a browser would. */
export async function call(path, { method = "GET", body, headers = {}, jar } = {}) {
  const h = new Headers({ origin: BASE, ...headers });
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
