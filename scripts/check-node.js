#!/usr/bin/env node
// Refuses to go on under a Node older than package.json's `engines.node`, with one clear sentence
// instead of a stack trace from deep inside a dependency. Run first by `npm start`, `npm run
// simulator` and the management commands. Plain CommonJS, no dependencies: it must itself run on
// any old Node.
//
// Understands the range forms package.json uses: alternatives joined by `||`, each `^a.b.c`
// (same major, at least a.b.c) or `>=x.y.z` (at least x.y.z). `FAKE_NODE_VERSION` replaces the
// running version (for the tests).
'use strict';
const { readFileSync } = require('node:fs');
const { join } = require('node:path');

function parseVersion(text) {
  const m = /^v?(\d+)(?:\.(\d+))?(?:\.(\d+))?$/.exec(String(text).trim());
  if (!m) return undefined;
  return [Number(m[1]), Number(m[2] || 0), Number(m[3] || 0)];
}

function compare(a, b) {
  for (let i = 0; i < 3; i++) if (a[i] !== b[i]) return a[i] < b[i] ? -1 : 1;
  return 0;
}

/** `^22.13.0 || >=24.11.0` → [{ op: '^', version: [22, 13, 0] }, { op: '>=', version: [24, 11, 0] }]. */
function parseRange(range) {
  return String(range)
    .split('||')
    .map((part) => {
      const m = /^\s*(\^|>=)\s*(\S+)\s*$/.exec(part);
      const version = m && parseVersion(m[2]);
      if (!version) throw new Error(`unsupported engines.node range "${range}" (use ^a.b.c and >=x.y.z joined by ||)`);
      return { op: m[1], version };
    });
}

function satisfies(version, range) {
  return parseRange(range).some(({ op, version: floor }) =>
    op === '^' ? version[0] === floor[0] && compare(version, floor) >= 0 : compare(version, floor) >= 0,
  );
}

/** `^22.13.0 || >=24.11.0` → `22.13+ or 24.11+`. */
function describeRange(range) {
  return parseRange(range)
    .map(({ version: [major, minor, patch] }) => `${major}.${minor}${patch ? `.${patch}` : ''}+`)
    .join(' or ');
}

/** Returns undefined when `version` satisfies `range`, else the sentence to print. */
function problem(version, range) {
  const parsed = parseVersion(version);
  if (parsed && satisfies(parsed, range)) return undefined;
  const first = parseRange(range)[0].version[0];
  return (
    `This backend needs Node ${describeRange(range)}; this is Node ${String(version).replace(/^v/, '')}. ` +
    `Install a supported Node (for example \`nvm install ${first}\`, or from https://nodejs.org) and run the command again.`
  );
}

function main() {
  const pkg = JSON.parse(readFileSync(join(__dirname, '..', 'package.json'), 'utf8'));
  const range = pkg.engines && pkg.engines.node;
  if (!range) return 0;
  let message;
  try {
    message = problem(process.env.FAKE_NODE_VERSION || process.versions.node, range);
  } catch (e) {
    process.stderr.write(`check-node: ${e.message}\n`);
    return 2;
  }
  if (!message) return 0;
  process.stderr.write(`${message}\n`);
  return 1;
}

if (require.main === module) process.exit(main());

module.exports = { parseRange, satisfies, problem, describeRange };
