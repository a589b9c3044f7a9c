// Lets a plain Node process require the TypeScript sources, compiled on the fly by @swc/core with
// the tests' own options (swc-options.js; Nest needs the decorator metadata).
const fs = require('node:fs');
const { transformSync } = require('@swc/core');
const options = require('./swc-options');

require.extensions['.ts'] = function compileTs(module, filename) {
  const { code } = transformSync(fs.readFileSync(filename, 'utf8'), { ...options, filename, sourceMaps: 'inline' });
  module._compile(code, filename);
};
