// Shared by the workerd benchmarks that compare against the /api/auth/ok floor: runs each
// `[what, run]` in turn, `rounds` times after three warm-up rounds (interleaved, so noise falls on
// all alike), then prints each median and its ratio to the first run's (the floor).
export async function timeAgainstFloor(title, runs, { rounds = 30, width = 44 } = {}) {
  const samples = runs.map(() => []);
  for (let i = 0; i < rounds + 3; i++) {
    for (const [j, [, run]] of runs.entries()) {
      const start = performance.now();
      await run();
      if (i >= 3) samples[j].push(performance.now() - start);
    }
  }
  const median = (s) => s.sort((a, b) => a - b)[Math.floor(s.length / 2)];
  const floor = median(samples[0]);
  console.log(`${title}, medians of ${rounds}:`);
  for (const [j, [what]] of runs.entries()) {
    const ms = median(samples[j]);
    console.log(`${what.padEnd(width)} ${ms.toFixed(2).padStart(8)} ms   ${j === 0 ? "" : `${(ms / floor).toFixed(1)}x the /ok floor`}`);
  }
}
