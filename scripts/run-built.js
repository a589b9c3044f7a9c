#!/usr/bin/env node
// Runs a compiled entry point (`dist/...js`), building first only when the build is missing or
// older than the sources: `npm start`, `npm run simulator` and the management commands used to
// rebuild every time (20-36 s). Usage:
//
//   node scripts/run-built.js [--dry-run] <dist entry> [args for the entry...]
//
// The build is needed when `dist/.build-stamp` is missing, when the entry is missing, or when any
// file under src/, simulator/, migrations/, bench/, console/ (or tsconfig*.json, package.json) changed after
// the stamp. The stamp carries the time the last successful build *started*, so a file saved during
// a build is rebuilt next time. `--dry-run` prints "build: up to date" or "build: needed (why)" and
// stops. The entry then runs in this same process with the remaining arguments (no extra process
// between Ctrl-C and the app's own shutdown).
'use strict';
const { spawnSync } = require('node:child_process');
const { existsSync, readdirSync, statSync, utimesSync, writeFileSync } = require('node:fs');
const { join, relative, resolve } = require('node:path');

const root = resolve(process.env.RUN_BUILT_ROOT || join(__dirname, '..'));
const STAMP = join(root, 'dist', '.build-stamp');
const SOURCE_DIRS = ['src', 'simulator', 'migrations', 'bench', 'console'];
// What tsconfig.build.json leaves out never makes a build stale.
const SKIP_DIRS = new Set(['node_modules', 'dist', '.data', '.git', 'coverage', 'test']);
const SKIP_FILE = /\.spec\.ts$|\.md$/;

/** The first source file newer than `since` (ms), or undefined. */
function newerSource(since) {
  const walk = (dir) => {
    let entries;
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      return undefined;
    }
    for (const entry of entries) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) {
        if (SKIP_DIRS.has(entry.name)) continue;
        const found = walk(path);
        if (found) return found;
      } else if (!SKIP_FILE.test(entry.name) && statSync(path).mtimeMs > since) {
        return path;
      }
    }
    return undefined;
  };
  for (const dir of SOURCE_DIRS) {
    const found = walk(join(root, dir));
    if (found) return found;
  }
  for (const name of readdirSync(root)) {
    if (/^tsconfig.*\.json$/.test(name) || name === 'package.json') {
      const path = join(root, name);
      if (statSync(path).mtimeMs > since) return path;
    }
  }
  return undefined;
}

/** Why a build is needed, or undefined when dist is up to date. */
function buildReason(entry) {
  if (!existsSync(STAMP)) return `${relative(root, STAMP)} missing`;
  if (entry && !existsSync(resolve(root, entry))) return `${entry} missing`;
  const changed = newerSource(statSync(STAMP).mtimeMs);
  return changed ? `${relative(root, changed)} changed since the last build` : undefined;
}

function build() {
  const started = new Date();
  // The build's output goes to stderr: a management command's stdout is its JSON result only.
  const result = spawnSync('npm', ['run', 'build'], { cwd: root, stdio: ['ignore', 2, 2], shell: process.platform === 'win32' });
  if (result.status !== 0) return result.status ?? 1;
  writeFileSync(STAMP, `${JSON.stringify({ buildStarted: started.toISOString(), node: process.version })}\n`);
  utimesSync(STAMP, started, started);
  return 0;
}

function main() {
  const args = process.argv.slice(2);
  const dryRun = args[0] === '--dry-run';
  if (dryRun) args.shift();
  const [entry, ...rest] = args;
  if (!entry) {
    process.stderr.write('Usage: node scripts/run-built.js [--dry-run] <dist entry> [args...]\n');
    process.exit(2);
  }
  const reason = buildReason(entry);
  if (dryRun) {
    process.stdout.write(reason ? `build: needed (${reason})\n` : 'build: up to date\n');
    return;
  }
  if (reason) {
    process.stderr.write(`build: needed (${reason})\n`);
    const status = build();
    if (status !== 0) process.exit(status);
  }
  const file = resolve(root, entry);
  if (!existsSync(file)) {
    process.stderr.write(`${entry} does not exist after the build\n`);
    process.exit(1);
  }
  process.argv = [process.argv[0], file, ...rest];
  require(file);
}

main();
