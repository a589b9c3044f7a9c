import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import { loadConfig } from '../../src/config/load-config';
import { buildDataSourceOptions } from '../../src/database/database-options';
import { startEmbeddedPostgres } from '../../src/database/embedded-postgres';
import { adminQuery, assertTestDatabase, withDatabase } from './test-database';

/**
 * Prepares one migrated template database per test run. The PostgreSQL used is TEST_DATABASE_URL
 * (CI points it at the server on 127.0.0.1:5432), or else an embedded server under .data/.
 */
export default async function globalSetup(): Promise<void> {
  // The back-office console the app serves at /admin (test/console.e2e-spec.ts drives it), bundled
  // when missing or older than its sources: about 3 s, and nothing when up to date.
  const built = spawnSync(process.execPath, [join(__dirname, '..', '..', 'scripts', 'build-console.js'), '--if-stale'], {
    stdio: 'inherit',
  });
  if (built.status !== 0) throw new Error('The back-office console could not be built (scripts/build-console.js)');
  let adminUrl = process.env.TEST_DATABASE_URL;
  if (!adminUrl) {
    const embedded = await startEmbeddedPostgres({
      dataDir: join(__dirname, '..', '..', '.data', 'test-postgres'),
      port: Number(process.env.TEST_EMBEDDED_PG_PORT ?? 54339),
      database: 'test',
    });
    (globalThis as { __embeddedPg?: unknown }).__embeddedPg = embedded;
    adminUrl = embedded.url;
  }
  assertTestDatabase(adminUrl);
  const template = `test_run_${process.pid}_${Date.now().toString(36)}_tpl`;
  await adminQuery(adminUrl, `CREATE DATABASE "${template}"`);
  const ds = new DataSource(buildDataSourceOptions(loadConfig({ NODE_ENV: 'test' }).database, withDatabase(adminUrl, template)));
  await ds.initialize();
  try {
    await ds.runMigrations({ transaction: 'each' });
  } finally {
    await ds.destroy();
  }
  process.env.TEST_PG_ADMIN_URL = adminUrl;
  process.env.TEST_PG_TEMPLATE = template;
  // One seed for the whole run (docs/reliability.md#harness): every battery file derives its random
  // choices from it, so `RELIABILITY_SEED=<seed>` replays the run. Workers inherit it from here.
  process.env.RELIABILITY_SEED ||= randomBytes(6).toString('hex');
  process.stdout.write(
    `\nreliability battery seed: ${process.env.RELIABILITY_SEED} (replay: RELIABILITY_SEED=${process.env.RELIABILITY_SEED})\n`,
  );
}
