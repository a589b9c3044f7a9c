// Runs the backend from its TypeScript sources (compiled on the fly by @swc/core, with the same
// decorator settings as jest.config.js) as a plain Node process, so a test can kill it with SIGKILL
// like a crashed production instance. Configuration comes from the environment exactly as in
// production (DATABASE_URL, DOKU_BASE_URL, ...); migrations are not run (the test database is a
// migrated copy). Prints one line `BACKEND_READY {"url":…}` once it listens on 127.0.0.1:<random>.
const path = require('node:path');
require('./register-ts');

const root = path.join(__dirname, '..', '..');
require('reflect-metadata');
const { loadConfig } = require(path.join(root, 'src', 'config', 'load-config.ts'));
const { createApp } = require(path.join(root, 'src', 'bootstrap.ts'));

(async () => {
  const config = loadConfig(process.env);
  const app = await createApp(config, process.env.DATABASE_URL, { runMigrations: false });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = app.getHttpServer().address();
  process.stdout.write(`BACKEND_READY ${JSON.stringify({ url: `http://127.0.0.1:${port}` })}\n`);
  const stop = () =>
    app.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
})().catch((e) => {
  process.stderr.write(`${e && e.stack ? e.stack : e}\n`);
  process.exit(1);
});
