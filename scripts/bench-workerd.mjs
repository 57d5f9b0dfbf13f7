// Times requests against the running wrangler dev, interleaved so drift hits all alike:
// /api/auth/ok (the floor: a request that does nothing, and is not rate-limited) with /get-session
// (the KV read path), /jwks and /token (JWT issuance), and a failed sign-in for a known address
// (one scrypt hash, one D1 read) with one for an unknown address (which must cost the same), and the
// same pair for password-reset and verification requests (mail to the development mailbox). Every
// request comes from its own cf-connecting-ip, so the per-client limits count but never refuse.
// Prints JSON lines.
const variant = process.argv[2];
const base = process.env.BASE_URL;
const api = `${base}/api/auth`;
let client = 0;
const headers = { "content-type": "application/json", origin: base };
const from = (h = {}) => ({ ...h, "cf-connecting-ip": `198.18.${(client >> 8) & 255}.${client++ & 255}` });
const email = `bench-${Date.now()}@example.com`;
const up = await fetch(`${api}/sign-up/email`, { method: "POST", headers: from(headers), body: JSON.stringify({ name: "Bench", email, password: "correct horse battery" }) });
const bearer = { authorization: `Bearer ${up.headers.get("set-auth-token")}` };

const signIn = (address) => () =>
  fetch(`${api}/sign-in/email`, { method: "POST", headers: from(headers), body: JSON.stringify({ email: address, password: "wrong password" }) }).then((r) => r.text());

/** Medians of the given requests, run round-robin `runs` times after a warm-up. */
async function medians(runs, requests) {
  const samples = requests.map(() => []);
  for (let i = 0; i < runs + 3; i++) {
    for (const [j, request] of requests.entries()) {
      const start = performance.now();
      await request();
      if (i >= 3) samples[j].push(performance.now() - start);
    }
  }
  return samples.map((s) => s.sort((a, b) => a - b)[Math.floor(s.length / 2)]);
}

const get = (path, h) => () => fetch(`${api}${path}`, { headers: from(h) }).then((r) => r.text());
const [ok, session, jwks, token] = await medians(60, [get("/ok"), get("/get-session", bearer), get("/jwks"), get("/token", bearer)]);
const [known, unknown] = await medians(40, [signIn(email), signIn(`nobody-${Date.now()}@example.com`)]);
const post = (path, body) => () => fetch(`${api}${path}`, { method: "POST", headers: from(headers), body: JSON.stringify(body) }).then((r) => r.text());
const nobody = `nobody-mail-${Date.now()}@example.com`;
const [resetKnown, resetUnknown, verifyKnown, verifyUnknown] = await medians(40, [
  post("/request-password-reset", { email }),
  post("/request-password-reset", { email: nobody }),
  post("/send-verification-email", { email }),
  post("/send-verification-email", { email: nobody }),
]);
const where = `workerd (${variant})`;
console.log(JSON.stringify({ where, what: "GET /ok (floor)", ms: ok }));
console.log(JSON.stringify({ where, what: "GET /get-session (KV hit)", ms: session }));
console.log(JSON.stringify({ where, what: "GET /jwks", ms: jwks }));
console.log(JSON.stringify({ where, what: "GET /token (JWT issued)", ms: token }));
console.log(JSON.stringify({ where, what: "failed sign-in (1 scrypt)", ms: known }));
console.log(JSON.stringify({ where, what: "failed sign-in, unknown email", ms: unknown }));
console.log(JSON.stringify({ where, what: "reset request, known email", ms: resetKnown }));
console.log(JSON.stringify({ where, what: "reset request, unknown email", ms: resetUnknown }));
console.log(JSON.stringify({ where, what: "verification request, known", ms: verifyKnown }));
console.log(JSON.stringify({ where, what: "verification request, unknown", ms: verifyUnknown }));
