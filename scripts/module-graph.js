#!/usr/bin/env node
// Draws the module graph of src/ (folders as nodes, imports as arrows, as dependency-cruiser sees
// them with the rules of .dependency-cruiser.cjs) into docs/module-graph.svg, with Graphviz compiled
// to WebAssembly (@viz-js/viz), so no system Graphviz is needed. `npm run deps:graph`.
'use strict';
const { execFileSync } = require('node:child_process');
const { writeFileSync } = require('node:fs');
const { join } = require('node:path');

const root = join(__dirname, '..');
const dot = execFileSync(
  process.execPath,
  [
    join(root, 'node_modules', 'dependency-cruiser', 'bin', 'dependency-cruiser.mjs'),
    'src',
    '--config',
    '.dependency-cruiser.cjs',
    '--output-type',
    'archi',
    '--exclude',
    '\\.spec\\.ts$|^src/(main|bootstrap|app\\.module)\\.ts$',
  ],
  { cwd: root, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 },
);
import('@viz-js/viz')
  .then(async ({ instance }) => {
    const viz = await instance();
    const svg = viz.renderString(dot, { format: 'svg' });
    writeFileSync(join(root, 'docs', 'module-graph.svg'), svg);
    process.stdout.write(`docs/module-graph.svg: ${svg.length} bytes\n`);
  })
  .catch((e) => {
    process.stderr.write(`${e.stack ?? e}\n`);
    process.exit(1);
  });
