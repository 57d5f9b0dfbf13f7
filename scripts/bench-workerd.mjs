// Times requests against the running wrangler dev: /api/auth/ok (the floor: a request that does
// nothing) and a failed sign-in (one scrypt hash and one D1 read). Prints JSON lines.
const variant = process.argv[2];
const base = process.env.BASE_URL;
const api = `${base}/api/auth`;
const headers = { "content-type": "application/json", origin: base };
const email = `bench-${Date.now()}@example.com`;
await fetch(`${api}/sign-up/email`, { method: "POST", headers, body: JSON.stringify({ name: "Bench", email, password: "correct horse battery" }) });

async function median(runs, request) {
  for (let i = 0; i < 3; i++) await request();
  const samples = [];
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    await request();
    samples.push(performance.now() - start);
  }
  samples.sort((a, b) => a - b);
  return samples[Math.floor(runs / 2)];
}

const ok = await median(40, () => fetch(`${api}/ok`).then((r) => r.text()));
const signIn = await median(20, () =>
  fetch(`${api}/sign-in/email`, { method: "POST", headers, body: JSON.stringify({ email, password: "wrong password" }) }).then((r) => r.text()),
);
console.log(JSON.stringify({ where: `workerd (${variant})`, what: "GET /ok (floor)", ms: ok }));
console.log(JSON.stringify({ where: `workerd (${variant})`, what: "failed sign-in (1 scrypt)", ms: signIn }));
