#!/usr/bin/env node
// `npm test`: every test, in two jest runs. Tests that measure latency (R12's acknowledgement p99)
// run alone after the rest: on a 2-core machine, a latency measured beside another load test
// measures that test, not ours. Both runs share one battery seed. With --outputFile the two JSON
// reports are merged into that file, so the totals cover every test.
//
// Given a test selection (a path pattern, --testPathPatterns, --selectProjects, -t), it runs jest
// once with exactly those arguments.
const { spawnSync } = require('node:child_process');
const { randomBytes } = require('node:crypto');
const { readFileSync, rmSync, writeFileSync } = require('node:fs');
const { join } = require('node:path');

const ALONE = 'test/reliability/r12-notification-intake';
const jest = join(__dirname, '..', 'node_modules', 'jest', 'bin', 'jest.js');
const args = process.argv.slice(2);

const run = (extra) => spawnSync(process.execPath, [jest, ...extra], { stdio: 'inherit', env: process.env }).status ?? 1;

const OPTIONS_WITH_VALUES = new Set(['--outputFile', '--maxWorkers', '-w', '--testTimeout', '--seed', '--reporters', '--shard']);
const selects = args.some((arg, i) => {
  if (/^(--testPathPatterns|--testNamePattern|-t|--selectProjects|--findRelatedTests|--listTests)(=|$)/.test(arg)) return true;
  return !arg.startsWith('-') && !OPTIONS_WITH_VALUES.has(args[i - 1]);
});
if (selects) process.exit(run(args));

process.env.RELIABILITY_SEED ||= randomBytes(6).toString('hex');
const outputAt = args.findIndex((a) => a === '--outputFile' || a.startsWith('--outputFile='));
const output = outputAt < 0 ? undefined : args[outputAt].includes('=') ? args[outputAt].split('=')[1] : args[outputAt + 1];
const withoutOutput = outputAt < 0 ? args : args.filter((_, i) => i !== outputAt && !(i === outputAt + 1 && !args[outputAt].includes('=')));
const parts = output ? [`${output}.rest`, `${output}.alone`] : [];

const first = run([...withoutOutput, '--testPathIgnorePatterns', ALONE, ...(output ? ['--outputFile', parts[0]] : [])]);
console.log(`\nLatency-measuring tests, alone: ${ALONE}`);
const second = run([
  ...withoutOutput,
  '--selectProjects',
  'e2e',
  '--maxWorkers=1',
  '--testPathPatterns',
  ALONE,
  ...(output ? ['--outputFile', parts[1]] : []),
]);

if (output) {
  const reports = parts.map((p) => {
    try {
      return JSON.parse(readFileSync(p, 'utf8'));
    } catch {
      return { success: false, numPassedTests: 0, numFailedTests: 0, numRuntimeErrorTestSuites: 1, testResults: [] };
    }
  });
  const sum = (key) => reports.reduce((n, r) => n + (r[key] || 0), 0);
  const merged = { ...reports[0], success: reports.every((r) => r.success), testResults: reports.flatMap((r) => r.testResults || []) };
  for (const key of Object.keys(reports[0]).filter((k) => /^num/.test(k))) merged[key] = sum(key);
  writeFileSync(output, JSON.stringify(merged));
  for (const p of parts) rmSync(p, { force: true });
}
process.exit(first !== 0 ? first : second);
