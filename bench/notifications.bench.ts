/**
 * P5 of docs/reliability.md#performance-targets (ratios side by side in one run): DOKU's signed
 * notifications against an unsigned echo route in the same app.
 *
 *   npm run bench:notifications                (defaults below; a minute or two: a backend that acknowledges
 *                                               fewer than BENCH_RATE per second makes the open loop wait for it)
 *   BENCH_ROUNDS=2 BENCH_SECONDS=1 BENCH_OPEN_SECONDS=1 BENCH_PURCHASES=200 npm run bench:notifications   (a quick look)
 *
 * The backend runs in its own process (bench/support/app-process.ts: src/bootstrap createApp,
 * NODE_ENV=production) on a fresh database (bench/support/bench-env.ts), with the DOKU simulator
 * in another; this process plays DOKU and generates the load. What is measured, and how, is
 * bench/support/notification-bench.ts (`npm run bench:purchase` runs the same as its P5 phase).
 *
 * Options (defaults): BENCH_CONNECTIONS (32), BENCH_ROUNDS (3), BENCH_SECONDS (3),
 * BENCH_WARMUP_SECONDS (3), BENCH_RATE (500), BENCH_OPEN_SECONDS (2), BENCH_OPEN_ROUNDS (2),
 * BENCH_PURCHASES (500), BENCH_USERS (4), BENCH_SQL_SAMPLE (300).
 *
 * Prints every round, the final figures, and one JSON line of figures at the end. Missed targets
 * print as MISSED; the exit code is non-zero only when the bench itself failed.
 */
import { benchDatabase, machineLine, startAppProcess, startSimulatorProcess } from './support/bench-env';
import { measureNotifications, notificationBenchOptions } from './support/notification-bench';

async function main(): Promise<void> {
  const t0 = Date.now();
  const out = (line = ''): boolean => process.stdout.write(`${line}\n`);
  out(`Notification bench (docs/reliability.md P5) — ${machineLine()}`);
  const db = await benchDatabase('notify');
  const cleanup: Array<() => Promise<void>> = [() => db.drop()];
  let failed = false;
  try {
    const sim = await startSimulatorProcess();
    cleanup.unshift(() => sim.stop());
    const app = await startAppProcess(db.url, sim.url);
    cleanup.unshift(() => app.stop());
    out(`database: ${db.where}`);
    const result = await measureNotifications(app, sim, db.url, notificationBenchOptions('BENCH_'), out);
    if (result.failures.length) {
      failed = true;
      out();
      out(`FAILURES (the figures above are not trustworthy):`);
      for (const f of result.failures) out(`  ${f}`);
    }
    out();
    out(`total ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    out(JSON.stringify(result.figures));
  } finally {
    for (const step of cleanup) await step().catch((e: unknown) => process.stderr.write(`cleanup: ${(e as Error).message}\n`));
  }
  if (failed) process.exitCode = 1;
}

main().catch((e: unknown) => {
  process.stderr.write(`${String((e as Error)?.stack ?? e)}\n`);
  process.exit(1);
});
