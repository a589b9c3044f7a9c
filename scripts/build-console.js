#!/usr/bin/env node
// Bundles the back-office console (console/src, react-admin) into dist/console with esbuild:
// dist/console/index.html and dist/console/assets/console-<hash>.js, served by the backend at /admin
// (src/console/). Part of `npm run build`; the test run calls it too (test/support/global-setup.ts).
//
//   node scripts/build-console.js             build
//   node scripts/build-console.js --if-stale  build only when a file under console/, package-lock.json
//                                             or this script changed since the last build
'use strict';
const { existsSync, mkdirSync, readdirSync, rmSync, statSync, utimesSync, writeFileSync } = require('node:fs');
const { join, relative } = require('node:path');

const root = join(__dirname, '..');
const source = join(root, 'console');
const out = join(root, 'dist', 'console');
const STAMP = join(out, '.build-stamp');

/** The newest modification time (ms) among the console's inputs. */
function newestInput() {
  let newest = Math.max(statSync(join(root, 'package-lock.json')).mtimeMs, statSync(__filename).mtimeMs);
  const walk = (dir) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else newest = Math.max(newest, statSync(path).mtimeMs);
    }
  };
  walk(source);
  return newest;
}

function isStale() {
  return !existsSync(STAMP) || !existsSync(join(out, 'index.html')) || statSync(STAMP).mtimeMs < newestInput();
}

const page = (script) => `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <meta name="robots" content="noindex" />
    <title>Back office</title>
  </head>
  <body>
    <div id="root"></div>
    <script src="/admin/assets/${script}"></script>
  </body>
</html>
`;

/** Builds the console; resolves to what it did ("up to date" or the bundle's name and size). */
async function buildConsole({ ifStale = false } = {}) {
  if (ifStale && !isStale()) return 'console: up to date (dist/console)';
  const started = Date.now();
  // Loaded here: `npm start` on an installation without devDependencies never bundles.
  const esbuild = require('esbuild');
  rmSync(out, { recursive: true, force: true });
  mkdirSync(join(out, 'assets'), { recursive: true });
  const result = await esbuild.build({
    entryPoints: [join(source, 'src', 'main.tsx')],
    bundle: true,
    minify: true,
    format: 'iife',
    target: ['es2020'],
    platform: 'browser',
    jsx: 'automatic',
    outdir: join(out, 'assets'),
    entryNames: 'console-[hash]',
    define: { 'process.env.NODE_ENV': '"production"' },
    legalComments: 'none',
    logLevel: 'warning',
    metafile: true,
  });
  const [script] = Object.keys(result.metafile.outputs).filter((f) => f.endsWith('.js'));
  const name = relative(join(out, 'assets'), join(process.cwd(), script));
  writeFileSync(join(out, 'index.html'), page(name));
  // The stamp carries the time the build started: a file saved during the build is rebuilt next time.
  writeFileSync(STAMP, `${new Date(started).toISOString()}\n`);
  utimesSync(STAMP, new Date(started), new Date(started));
  const size = statSync(join(out, 'assets', name)).size;
  return `console: built dist/console/assets/${name} (${Math.round(size / 1024)} KiB) in ${Date.now() - started} ms`;
}

module.exports = { buildConsole };

if (require.main === module) {
  buildConsole({ ifStale: process.argv.includes('--if-stale') }).then(
    (what) => process.stderr.write(`${what}\n`),
    (e) => {
      process.stderr.write(`console build failed: ${e instanceof Error ? e.message : String(e)}\n`);
      process.exit(1);
    },
  );
}
