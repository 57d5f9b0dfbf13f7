// Loopback stand-ins for the end-to-end suite: an OpenID provider that signs whatever ID token a
// test asks for (to prove portcullis refuses each spoiled one), and GitHub's documented token,
// /user and /user/emails answers.
import { createServer } from "node:http";
import { SignJWT, exportJWK, generateKeyPair } from "jose";

async function readForm(req) {
  let body = "";
  for await (const chunk of req) body += chunk;
  return Object.fromEntries(new URLSearchParams(body));
}

function listen(port, handler) {
  const server = createServer((req, res) => handler(req, res).catch((e) => res.writeHead(500).end(String(e))));
  return new Promise((resolve) => server.listen(port, "127.0.0.1", () => resolve(server)));
}

const json = (res, status, body) => res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body));
const b64 = (v) => Buffer.from(JSON.stringify(v)).toString("base64url");

/**
 * An OpenID provider whose token endpoint answers, for a code the test registered with
 * `issue(code, {nonce, spoil})`, an ID token built by `spoil(claims, sign)`.
 */
export async function startSpoilingProvider({ port, clientId }) {
  const issuer = `http://127.0.0.1:${port}`;
  const { publicKey, privateKey } = await generateKeyPair("RS256", { modulusLength: 2048, extractable: true });
  const jwk = { ...(await exportJWK(publicKey)), kid: "spoiler-1", alg: "RS256", use: "sig" };
  const grants = new Map();
  const sign = (claims, header = {}) => new SignJWT(claims).setProtectedHeader({ alg: "RS256", kid: "spoiler-1", ...header }).sign(privateKey);
  const server = await listen(port, async (req, res) => {
    const path = new URL(req.url, issuer).pathname;
    if (path === "/.well-known/openid-configuration") {
      return json(res, 200, { issuer, authorization_endpoint: `${issuer}/authorize`, token_endpoint: `${issuer}/token`, jwks_uri: `${issuer}/jwks`, id_token_signing_alg_values_supported: ["RS256"] });
    }
    if (path === "/jwks") return json(res, 200, { keys: [jwk] });
    if (path === "/token" && req.method === "POST") {
      const form = await readForm(req);
      const grant = grants.get(form.code);
      if (!grant) return json(res, 400, { error: "invalid_grant" });
      grants.delete(form.code);
      const now = Math.floor(Date.now() / 1000);
      const claims = { iss: issuer, sub: "spoiled-user", aud: clientId, iat: now, exp: now + 600, nonce: grant.nonce, email: "spoiled@example.test", email_verified: true, name: "Spoiled" };
      return json(res, 200, { access_token: "spoiler-access", token_type: "Bearer", expires_in: 600, id_token: await grant.spoil(claims, sign) });
    }
    res.writeHead(404).end();
  });
  return {
    issuer,
    issue: (code, grant) => grants.set(code, grant),
    unsigned: (claims, header) => `${b64(header)}.${b64(claims)}.`,
    close: () => new Promise((r) => server.close(r)),
  };
}

/** GitHub's OAuth and API answers, for a user whose only address is private, primary and unverified. */
export async function startGitHub({ port }) {
  const base = `http://127.0.0.1:${port}`;
  const seen = [];
  const server = await listen(port, async (req, res) => {
    const path = new URL(req.url, base).pathname;
    seen.push(`${req.method} ${path}`);
    if (path === "/login/oauth/access_token" && req.method === "POST") {
      const form = await readForm(req);
      // GitHub answers a bad code with a 200 and an error.
      if (form.code !== "github-code") return json(res, 200, { error: "bad_verification_code", error_description: "The code passed is incorrect or expired." });
      return json(res, 200, { access_token: "gho_e2e", token_type: "bearer", scope: "read:user,user:email" });
    }
    if (req.headers.authorization !== "Bearer gho_e2e") return json(res, 401, { message: "Bad credentials" });
    if (path === "/user") return json(res, 200, { login: "octocat", id: 583231, avatar_url: "https://avatars.example.test/u/583231", name: null, email: null });
    if (path === "/user/emails") {
      return json(res, 200, [
        { email: "583231+octocat@users.noreply.example.test", primary: false, verified: true, visibility: null },
        { email: "octocat@example.test", primary: true, verified: false, visibility: "private" },
      ]);
    }
    res.writeHead(404).end();
  });
  return { base, seen, close: () => new Promise((r) => server.close(r)) };
}
