// Measures a full reconcile against the loopback receiver: fires the cron until the receiver holds
// every user and the queue is empty, then prints cron invocations and subrequests (events and
// manifest requests the receiver saw) as JSON. Used by scripts/bench-sync.sh.
import { startReceiver } from "../tests/e2e/receiver/receiver.mjs";

const [profile, expectedUsers] = [process.argv[2], Number(process.argv[3])];
const base = process.env.BASE_URL;
const receiver = await startReceiver({ port: Number(process.env.RECEIVER_PORT), secrets: [process.env.SYNC_SECRET] });
// Each status call from its own address: the operator endpoints are rate-limited per client.
let caller = 0;
const status = async () =>
  (await fetch(`${base}/api/auth/reconcile/status`, { headers: { "x-reconcile-token": process.env.RECONCILE_TOKEN, "cf-connecting-ip": `198.18.0.${++caller % 250}` } })).json();

const started = Date.now();
let invocations = 0;
while (Date.now() - started < 15 * 60_000) {
  await fetch(`${base}/__scheduled?cron=${encodeURIComponent("* * * * *")}`).then((r) => r.text());
  invocations++;
  if (receiver.users().length >= expectedUsers) {
    const s = await status();
    if (!s.reconciling && s.queueSize === 0) break;
  }
}
const converged = receiver.users().length === expectedUsers;
console.log(JSON.stringify({ profile, users: expectedUsers, converged, cronInvocations: invocations, eventRequests: receiver.stats.requests - receiver.stats.manifests, manifestRequests: receiver.stats.manifests, seconds: Math.round((Date.now() - started) / 1000) }));
await receiver.close();
