#!/usr/bin/env node
// `npm run test:variants`: the DOKU contract tests, the money flows and the money battery (reduced
// size) against each of the simulator's answer profiles (simulator/src/profiles.ts,
// docs/simulator-profiles.md): every reading of DOKU's pages that the real DOKU may follow. Prints
// one line per profile, `<profile>: N passed, N failed, money invariants held|BROKEN`, then the
// totals, and exits non-zero if anything failed. With --outputFile F, writes one merged jest JSON
// report there (so CI counts every test). Other arguments are passed to jest. VARIANTS_ONLY="<label> ..."
// runs only those profiles; VARIANTS_LANES (default 2) is how many run side by side.
const { spawn } = require('node:child_process');
const { randomBytes } = require('node:crypto');
const { readFileSync, rmSync, writeFileSync } = require('node:fs');
const { join } = require('node:path');

const jest = join(__dirname, '..', 'node_modules', 'jest', 'bin', 'jest.js');

/** How long `late-status` keeps a new transaction unknown to status queries: under every test's grace period. */
const LATE_STATUS_MS = '1500';

const CONTRACT = ['test/doku-contract.e2e-spec.ts', 'test/doku-notifications.e2e-spec.ts', 'test/money-rules.e2e-spec.ts'];

/**
 * What runs under each profile. The flows assert what the customer sees at once, so they run where
 * DOKU answers at once; where DOKU's status lags (`late-status`) what counts is the battery's
 * convergence against DOKU's ledger. Without refundHistory (`no-refund-history`) nothing can
 * confirm a refund whose answer was lost: the money rules test that it stays reserved, never
 * released and never paid twice, and the battery (which expects every refund confirmed) does not
 * run with it. The battery's determinism check (r2-determinism: one seed run twice, about a minute)
 * runs once, in `npm test`: what a profile changes is DOKU's answers, and the main plan and DANA
 * meet those answers here.
 */
const RUNS = [
  { profile: 'strict', files: CONTRACT },
  { profile: 'no-refund-history', files: ['test/money-rules.e2e-spec.ts', 'test/top-up.e2e-spec.ts', 'test/bank-transfer.e2e-spec.ts'] },
  // The battery meets these codes in the combined run below, which includes this profile.
  { profile: 'alt-success-codes', files: [...CONTRACT, 'test/purchase-refund.e2e-spec.ts'] },
  { profile: 'pretty-notifications', files: ['test/doku-notifications.e2e-spec.ts', 'test/reliability/r4-notifications.e2e-spec.ts'] },
  { profile: 'appended-query', files: ['test/wallet-accounts.e2e-spec.ts', 'test/purchase-refund.e2e-spec.ts'] },
  { profile: 'late-status', files: ['test/reliability/r2-faults.e2e-spec.ts', 'test/reliability/card-battery.e2e-spec.ts'] },
  { profile: 'reordered-notifications', files: ['test/doku-notifications.e2e-spec.ts', 'test/reliability/r4-notifications.e2e-spec.ts'] },
  {
    profile: 'alt-success-codes,pretty-notifications,appended-query,late-status,reordered-notifications',
    label: 'combined',
    files: ['test/reliability/r2-faults.e2e-spec.ts'],
  },
];

const args = process.argv.slice(2);
const outputAt = args.findIndex((a) => a === '--outputFile' || a.startsWith('--outputFile='));
const output = outputAt < 0 ? undefined : args[outputAt].includes('=') ? args[outputAt].split('=')[1] : args[outputAt + 1];
const passThrough = outputAt < 0 ? args : args.filter((_, i) => i !== outputAt && !(i === outputAt + 1 && !args[outputAt].includes('=')));
const only = process.env.VARIANTS_ONLY ? new Set(process.env.VARIANTS_ONLY.split(/\s+/)) : undefined;

process.env.RELIABILITY_SEED ||= randomBytes(6).toString('hex');
console.log(`test:variants: battery seed ${process.env.RELIABILITY_SEED} (replay with RELIABILITY_SEED=${process.env.RELIABILITY_SEED})`);

/**
 * Profiles run in VARIANTS_LANES jest processes side by side, each with jest's two workers
 * (default 2 lanes: the batteries' clients wait 1 s for DOKU, and on a 2-core machine three
 * batteries beside each other left a call with no fault on it queued past that second; the backend
 * then rightly answered 503, and the battery rightly counted it as a failure). Each run's output is
 * printed whole when it ends, so the
 * log reads profile by profile; the summary keeps the order above.
 */
const LANES = Math.max(1, Number(process.env.VARIANTS_LANES) || 2);

function runProfile(run) {
  const label = run.label ?? run.profile;
  const file = join(require('node:os').tmpdir(), `variants-${process.pid}-${label}.json`);
  const started = Date.now();
  return new Promise((resolve) => {
    const child = spawn(
      process.execPath,
      [jest, '--selectProjects', 'e2e', '--runTestsByPath', ...run.files, '--json', '--outputFile', file, ...passThrough],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
        env: { ...process.env, DOKU_SIM_PROFILES: run.profile, DOKU_SIM_LATE_STATUS_MS: LATE_STATUS_MS, FORCE_COLOR: '0' },
      },
    );
    const output = [];
    child.stdout.on('data', (d) => output.push(d));
    child.stderr.on('data', (d) => output.push(d));
    child.on('close', (code) => {
      process.stdout.write(`\n=== DOKU_SIM_PROFILES=${run.profile}\n`);
      process.stdout.write(Buffer.concat(output));
      let report;
      try {
        report = JSON.parse(readFileSync(file, 'utf8'));
      } catch {
        report = { success: false, numPassedTests: 0, numFailedTests: 0, numRuntimeErrorTestSuites: 1, testResults: [] };
      }
      rmSync(file, { force: true });
      // Name each test after its profile, so a failure says under which reading of DOKU it failed.
      for (const suite of report.testResults ?? []) {
        for (const t of suite.assertionResults ?? []) t.fullName = `[${label}] ${t.fullName}`;
      }
      const status = code ?? 1;
      const failed =
        (report.numFailedTests ?? 0) + (report.numRuntimeErrorTestSuites ?? 0) + (status !== 0 && report.numFailedTests === 0 ? 1 : 0);
      const batteryBroken = (report.testResults ?? []).some((s) => /test\/reliability\//.test(s.name ?? '') && s.status !== 'passed');
      const ranBattery = run.files.some((f) => f.startsWith('test/reliability/'));
      resolve({
        report,
        line: `${label}: ${report.numPassedTests ?? 0} passed, ${failed} failed, money invariants ${ranBattery ? (batteryBroken ? 'BROKEN' : 'held') : failed ? 'BROKEN' : 'held'} (${Math.round((Date.now() - started) / 1000)} s)`,
        failed,
      });
    });
  });
}

async function main() {
  const selected = RUNS.filter((run) => !only || only.has(run.label ?? run.profile));
  const results = new Array(selected.length);
  // The battery runs (the long ones) start first, so the lanes end close together.
  const battery = (run) => run.files.some((f) => /^test\/reliability\/(r2-|card-)/.test(f));
  const queue = selected.map((run, i) => ({ run, i })).sort((a, b) => Number(battery(b.run)) - Number(battery(a.run)));
  await Promise.all(
    Array.from({ length: Math.min(LANES, queue.length) }, async () => {
      for (let item = queue.shift(); item; item = queue.shift()) results[item.i] = await runProfile(item.run);
    }),
  );
  const reports = results.map((r) => r.report);
  const lines = results;
  console.log('\ntest:variants, one line per DOKU answer profile:');
  for (const l of lines) console.log(l.line);
  const passed = reports.reduce((n, r) => n + (r.numPassedTests ?? 0), 0);
  const failed = lines.reduce((n, l) => n + l.failed, 0);
  if (output) {
    const merged = { ...reports[0], success: failed === 0, testResults: reports.flatMap((r) => r.testResults ?? []) };
    for (const key of Object.keys(reports[0] ?? {}).filter((k) => /^num/.test(k)))
      merged[key] = reports.reduce((n, r) => n + (r[key] ?? 0), 0);
    merged.numFailedTests = failed;
    merged.numRuntimeErrorTestSuites = 0;
    writeFileSync(output, JSON.stringify(merged));
  }
  console.log(`${passed} passed, ${failed} failed`);
  process.exit(failed === 0 ? 0 : 1);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
