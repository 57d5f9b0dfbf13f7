// Reads the benchmark's JSON lines and prints them with ratios against the floors of the same run.
const lines = (await new Response(process.stdin).text()).trim().split("\n").map((l) => JSON.parse(l));
const find = (where, what) => lines.find((l) => l.where === where && l.what.startsWith(what))?.ms;
const nativeScrypt = find("native", "scrypt");
console.log("where                    what                          median ms   ratio");
for (const l of lines) {
  let ratio = "";
  if (l.what.startsWith("failed sign-in (")) {
    const floor = find(l.where, "GET /ok");
    const hash = l.ms - floor;
    ratio = `${(l.ms / floor).toFixed(1)}x the /ok floor; hash ≈ ${hash.toFixed(1)} ms = ${(hash / nativeScrypt).toFixed(2)}x native Rust scrypt`;
  } else if (l.what.startsWith("failed sign-in, unknown")) {
    ratio = `${(l.ms / find(l.where, "failed sign-in (")).toFixed(2)}x a known address's failed sign-in`;
  } else if (/ request, known/.test(l.what)) {
    ratio = `${(l.ms / find(l.where, "GET /ok")).toFixed(2)}x the /ok floor`;
  } else if (/ request, unknown/.test(l.what)) {
    const kind = l.what.split(",")[0];
    ratio = `${(l.ms / find(l.where, `${kind}, known`)).toFixed(2)}x the same request for a known address`;
  } else if (l.what.startsWith("GET /jwks") || l.what.startsWith("GET /token") || l.what.startsWith("GET /get-session")) {
    ratio = `${(l.ms / find(l.where, "GET /ok")).toFixed(2)}x the /ok floor`;
  } else if (l.what.startsWith("kernel: ") && !l.what.includes("(floor)")) {
    const floor = find(l.where, "kernel: GET /health");
    ratio = `${(l.ms / floor).toFixed(2)}x /health (+${((l.ms - floor) * 1000).toFixed(1)} µs)`;
  } else if (l.what.startsWith("Ed25519")) {
    ratio = `${(l.ms / find(l.where, "HMAC")).toFixed(0)}x one HMAC; ${(l.ms / find("native", l.what)).toFixed(1)}x native`;
  } else if (l.what.startsWith("scrypt")) {
    ratio = `${(l.ms / find("native", "HMAC")).toFixed(0)}x one HMAC`;
  }
  console.log(`${l.where.padEnd(24)} ${l.what.padEnd(29)} ${(l.ms < 0.01 ? l.ms.toExponential(2) : l.ms.toFixed(3)).padStart(9)}   ${ratio}`);
}
