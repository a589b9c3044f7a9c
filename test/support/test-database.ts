import { randomBytes } from 'node:crypto';
import { Client } from 'pg';

/** Refuses to touch a database whose name does not say it is for tests. */
export function assertTestDatabase(url: string): void {
  const name = new URL(url).pathname.replace(/^\//, '');
  if (!name.includes('test')) {
    throw new Error(`Refusing to run tests against database "${name}": its name must contain "test"`);
  }
}

export function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

export async function adminQuery(adminUrl: string, sql: string): Promise<void> {
  const client = new Client({ connectionString: adminUrl });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/** The prefix every database of this run is named under; the run's template is `<prefix>_tpl`. */
export function runPrefix(template: string): string {
  return template.replace(/_tpl$/, '');
}

/**
 * A new database name under this run's prefix (`label` says whose it is), so that the global
 * teardown drops it with the run's other databases.
 */
export function runDatabaseName(label?: string): string {
  const template = process.env.TEST_PG_TEMPLATE;
  if (!template) throw new Error('The e2e global setup did not run (TEST_PG_TEMPLATE unset)');
  return [runPrefix(template), label, randomBytes(4).toString('hex')].filter(Boolean).join('_');
}

/**
 * A fresh database for one test file, copied from the migrated template the global setup made.
 * Copies of one template can collide when started at the same instant, so they are retried. It
 * lives until the end of the run (see `drop`).
 */
export async function createTestDatabase(): Promise<{ url: string; drop: () => Promise<void> }> {
  const adminUrl = process.env.TEST_PG_ADMIN_URL;
  const template = process.env.TEST_PG_TEMPLATE;
  if (!adminUrl || !template) throw new Error('The e2e global setup did not run (TEST_PG_ADMIN_URL unset)');
  const name = runDatabaseName();
  for (let attempt = 0; ; attempt++) {
    try {
      await adminQuery(adminUrl, `CREATE DATABASE "${name}" TEMPLATE "${template}"`);
      break;
    } catch (e) {
      if (attempt >= 20 || !/being accessed by other users/.test((e as Error).message)) throw e;
      await new Promise((r) => setTimeout(r, 100 + Math.random() * 200));
    }
  }
  const url = withDatabase(adminUrl, name);
  assertTestDatabase(url);
  return {
    url,
    // Left to the run's global teardown, which drops every database of the run together: PostgreSQL
    // forces a checkpoint for each DROP DATABASE, which on a server busy with the other test files
    // took seconds and held their writes (and this file's end) while it flushed.
    drop: () => Promise.resolve(),
  };
}
