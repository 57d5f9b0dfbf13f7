// Times social sign-ins against the running wrangler dev (started by bench-social.sh): each is
// `POST /sign-in/social` then the callback with the provider's code, for a returning user,
// interleaved with the /api/auth/ok floor; prints medians and ratios.
import { startGitHub, startSpoilingProvider } from "../tests/e2e/social/fakes.mjs";

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
const samples = runs.map(() => []);
for (let i = 0; i < 33; i++) {
  for (const [j, [, run]] of runs.entries()) {
    const start = performance.now();
    await run();
    if (i >= 3) samples[j].push(performance.now() - start);
  }
}
const median = (s) => s.sort((a, b) => a - b)[Math.floor(s.length / 2)];
const floor = median(samples[0]);
console.log("social sign-in in workerd (wrangler dev), loopback providers, medians of 30:");
for (const [j, [what]] of runs.entries()) {
  const ms = median(samples[j]);
  console.log(`${what.padEnd(54)} ${ms.toFixed(2).padStart(8)} ms   ${j === 0 ? "" : `${(ms / floor).toFixed(1)}x the /ok floor`}`);
}
await oidc.close();
await github.close();
