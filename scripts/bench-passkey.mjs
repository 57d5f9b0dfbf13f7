// Times passkey sign-ins against the running wrangler dev (started by bench-passkey.sh): each is
// `GET /passkey/generate-authenticate-options` then `POST /passkey/verify-authentication` with a
// software authenticator's assertion, interleaved with the /api/auth/ok floor; prints medians and
// ratios.
import { createAuthenticator } from "../tests/e2e/passkey/authenticator.mjs";
import { timeAgainstFloor } from "./bench-floor.mjs";

const base = process.env.BASE_URL;
const api = `${base}/api/auth`;
const rpId = new URL(base).hostname;
const cookieOf = (response) => response.headers.getSetCookie().map((c) => c.split(";")[0]).join("; ");
const json = { "content-type": "application/json", origin: base };

/** A user who signed up and registered a passkey of `alg`. */
async function userWithPasskey(alg) {
  const up = await fetch(`${api}/sign-up/email`, { method: "POST", headers: json, body: JSON.stringify({ name: "Bench", email: `passkey-${alg}-${Date.now()}@example.com`, password: "correct horse battery" }) });
  let cookie = cookieOf(up);
  const options = await fetch(`${api}/passkey/generate-register-options`, { headers: { cookie } });
  cookie = `${cookie}; ${cookieOf(options)}`;
  const authenticator = await createAuthenticator(alg, rpId);
  const response = await authenticator.register((await options.json()).challenge, base);
  const done = await fetch(`${api}/passkey/verify-registration`, { method: "POST", headers: { ...json, cookie }, body: JSON.stringify({ response }) });
  if (done.status !== 200) throw new Error(`${alg}: registration ${done.status} ${await done.text()}`);
  return authenticator;
}

async function signIn(authenticator) {
  const options = await fetch(`${api}/passkey/generate-authenticate-options`);
  const cookie = cookieOf(options);
  const response = await authenticator.assert((await options.json()).challenge, base);
  const done = await fetch(`${api}/passkey/verify-authentication`, { method: "POST", headers: { ...json, cookie }, body: JSON.stringify({ response }) });
  if (done.status !== 200) throw new Error(`sign-in ${done.status} ${await done.text()}`);
}

const keys = {};
for (const alg of ["ES256", "EdDSA", "RS256"]) keys[alg] = await userWithPasskey(alg);
const runs = [
  ["GET /ok (floor)", () => fetch(`${api}/ok`).then((r) => r.text())],
  ...Object.entries(keys).map(([alg, authenticator]) => [`passkey sign-in, ${alg} (options + verify)`, () => signIn(authenticator)]),
];
await timeAgainstFloor("passkey sign-in in workerd (wrangler dev), two requests each", runs);
