// A real OpenID Provider (npm oidc-provider, OpenID certified) on loopback, with one client for
// portcullis. Sign-ins are decided without pages: the user named by login_hint (or the first one)
// is signed in and consents at once, unless setDecision() says to deny.
import { createServer } from "node:http";
import { generateKeyPairSync } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Provider } from "oidc-provider";

export const USERS = {
  "user-alice": { sub: "user-alice", email: "alice@example.test", email_verified: true, name: "Alice Liddell", picture: "https://img.example.test/alice.png" },
  "user-bob": { sub: "user-bob", email: "bob@example.test", email_verified: false, name: "Bob Builder", picture: "https://img.example.test/bob.png" },
  "user-carol": { sub: "user-carol", email: "carol@example.test", email_verified: true, name: "Carol Danvers", picture: "https://img.example.test/carol.png" },
  "user-dana": { sub: "user-dana", email: "dana@example.test", email_verified: true, name: "Dana Scully", picture: "https://img.example.test/dana.png" },
  "user-erin": { sub: "user-erin", email: "erin@example.test", email_verified: true, name: "Erin Brockovich", picture: "https://img.example.test/erin.png" },
};

function signingKey(kid, type, options, alg) {
  const { privateKey } = generateKeyPairSync(type, options);
  return { ...privateKey.export({ format: "jwk" }), kid, use: "sig", ...(alg ? { alg } : {}) };
}

/**
 * The provider's keys: made on its first start on `port`, kept across its restarts (each suite
 * starts it anew) as a real provider keeps them, so relying parties' kept key sets stay right.
 */
function signingKeys(port) {
  const file = join(tmpdir(), `portcullis-e2e-op-${port}.json`);
  if (existsSync(file)) return JSON.parse(readFileSync(file, "utf8"));
  const keys = [signingKey("rs256-1", "rsa", { modulusLength: 2048 }, "RS256"), signingKey("es256-1", "ec", { namedCurve: "P-256" }, "ES256"), signingKey("ed25519-1", "ed25519")];
  writeFileSync(file, JSON.stringify(keys), { mode: 0o600 });
  return keys;
}

/** Starts the provider on `port`; `client` is portcullis' registration. */
export async function startProvider({ port, client }) {
  let handle = (_req, res) => res.writeHead(503).end();
  const server = createServer((req, res) => handle(req, res));
  await new Promise((resolve, reject) => server.once("error", reject).listen(port, "127.0.0.1", resolve));
  const issuer = `http://127.0.0.1:${port}`;
  const { warn, info } = console;
  const quiet = (original) => (...args) => (typeof args[0] === "string" && args[0].startsWith("oidc-provider ") ? undefined : original(...args));
  console.warn = quiet(warn);
  console.info = quiet(info);
  const provider = new Provider(issuer, {
    clients: [client],
    async findAccount(_ctx, sub) {
      const user = USERS[sub];
      return user && { accountId: sub, claims: async () => ({ ...user }) };
    },
    claims: { openid: ["sub"], email: ["email", "email_verified"], profile: ["name", "picture"] },
    responseTypes: ["code"],
    // Scope claims in the ID token too, as most providers send them.
    conformIdTokenClaims: false,
    features: { devInteractions: { enabled: false } },
    pkce: { required: () => true },
    async issueRefreshToken(_ctx, c) {
      return c.grantTypeAllowed("refresh_token");
    },
    cookies: { keys: ["e2e-op-cookie-key-1"] },
    jwks: { keys: signingKeys(port) },
    ttl: { AccessToken: 600, AuthorizationCode: 60, IdToken: 600, RefreshToken: 3600, Interaction: 600, Session: 3600, Grant: 3600 },
    async renderError(ctx, out) {
      ctx.type = "json";
      ctx.body = out;
    },
  });
  console.warn = warn;
  console.info = info;

  let decision = null;
  async function interaction(req, res) {
    const details = await provider.interactionDetails(req, res);
    if (decision?.error) {
      return provider.interactionFinished(req, res, { error: decision.error, error_description: decision.error_description }, { mergeWithLastSubmission: false });
    }
    const { prompt, params, session } = details;
    const wanted = params.login_hint ?? Object.keys(USERS)[0];
    const accountId = prompt.name === "login" ? (USERS[wanted] ?? Object.values(USERS).find((u) => u.email === wanted))?.sub : session.accountId;
    const grant = details.grantId ? await provider.Grant.find(details.grantId) : new provider.Grant({ accountId, clientId: params.client_id });
    grant.addOIDCScope(params.scope ?? "openid");
    if (prompt.details.missingOIDCClaims) grant.addOIDCClaims(prompt.details.missingOIDCClaims);
    const grantId = await grant.save();
    const result = prompt.name === "login" ? { login: { accountId }, consent: { grantId } } : { consent: { grantId } };
    return provider.interactionFinished(req, res, result, { mergeWithLastSubmission: true });
  }
  const callback = provider.callback();
  handle = (req, res) => {
    if (req.url.startsWith("/interaction/")) {
      return interaction(req, res).catch((e) => res.writeHead(400, { "content-type": "application/json" }).end(JSON.stringify({ error: e.message })));
    }
    return callback(req, res);
  };
  return {
    issuer,
    setDecision: (d) => (decision = d),
    close: () => new Promise((resolve) => {
      server.closeAllConnections();
      server.close(resolve);
    }),
  };
}

/** Follows the provider's redirects (its cookies kept apart) until the browser is sent to `redirectUri`. */
export async function throughProvider(startUrl, redirectUri) {
  const cookies = new Map();
  let url = startUrl;
  for (let hop = 0; hop < 15; hop++) {
    if (url.startsWith(redirectUri)) return url;
    const res = await fetch(url, { redirect: "manual", headers: { cookie: [...cookies].map(([k, v]) => `${k}=${v}`).join("; ") } });
    for (const line of res.headers.getSetCookie()) {
      const [pair] = line.split(";");
      const i = pair.indexOf("=");
      cookies.set(pair.slice(0, i), pair.slice(i + 1));
    }
    const location = res.headers.get("location");
    if (res.status < 300 || res.status >= 400 || !location) throw new Error(`the provider answered ${res.status} at ${url}: ${await res.text()}`);
    url = new URL(location, url).href;
  }
  throw new Error("too many redirects at the provider");
}
