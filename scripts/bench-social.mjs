// Times social sign-ins against the running wrangler dev (started by bench-social.sh): each is
// `POST /sign-in/social` then the callback with the provider's code, for a returning user,
// interleaved with the /api/auth/ok floor; prints medians and ratios.
import { startGitHub, startSpoilingProvider } from "../tests/e2e/social/fakes.mjs";
import { timeAgainstFloor } from "./bench-floor.mjs";

const api = `${process.env.BASE_URL}/api/auth`;
const oidc = await startSpoilingProvider({ port: Number(process.env.OIDC_PORT), clientId: "portcullis" });
const github = await startGitHub({ port: Number(process.env.GITHUB_PORT) });
let n = 0;

async function signIn(provider) {
  const started = await fetch(`${api}/sign-in/social`, { method: "POST", headers: { "content-type": "application/json", origin: process.env.BASE_URL }, body: JSON.stringify({ provider, callbackURL: "/done" }) });
  const cookie = started.headers.getSetCookie().map((c) => c.split(";")[0]).join("; ");
  const url = new URL((await started.json()).url);
  const code = provider === "github" ? "github-code" : `code-${n++}`;
  if (provider === "idp") oidc.issue(code, { nonce: url.searchParams.get("nonce"), spoil: (claims, sign) => sign(claims) });
  const done = await fetch(`${api}/callback/${provider}?code=${code}&state=${url.searchParams.get("state")}`, { redirect: "manual", headers: { cookie } });
  if (done.headers.get("location") !== "/done") throw new Error(`${provider}: ${done.headers.get("location")}`);
}

const runs = [
  ["GET /ok (floor)", () => fetch(`${api}/ok`).then((r) => r.text())],
  ["OpenID provider (RS256), sign-in + callback", () => signIn("idp")],
  ["GitHub (OAuth 2.0 + 2 API calls), sign-in + callback", () => signIn("github")],
];
await timeAgainstFloor("social sign-in in workerd (wrangler dev), loopback providers", runs, { width: 54 });
await oidc.close();
await github.close();
