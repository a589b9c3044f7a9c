import { Client } from 'pg';
import { runPrefix } from './test-database';

/** Takes names from `names` until none is left, dropping each, on a connection of its own. */
async function dropEach(adminUrl: string, names: string[]): Promise<void> {
  const client = new Client({ connectionString: adminUrl });
  await client.connect();
  try {
    for (let name = names.pop(); name !== undefined; name = names.pop())
      await client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  } finally {
    await client.end();
  }
}

/**
 * Drops every per-file database of this run and the template, then stops an embedded server. The
 * files leave their databases to this (test-database.ts).
 */
export default async function globalTeardown(): Promise<void> {
  const adminUrl = process.env.TEST_PG_ADMIN_URL;
  const template = process.env.TEST_PG_TEMPLATE;
  if (adminUrl && template) {
    const prefix = runPrefix(template);
    const client = new Client({ connectionString: adminUrl });
    await client.connect();
    try {
      const { rows } = await client.query<{ datname: string }>(`SELECT datname FROM pg_database WHERE datname LIKE $1`, [`${prefix}%`]);
      // Each DROP DATABASE waits for a checkpoint; drops waiting together share one, so they run
      // side by side on a few connections (the template last: the file databases were copied from it).
      const files = rows.map((r) => r.datname).filter((n) => n !== template);
      await Promise.all(Array.from({ length: Math.min(8, files.length) }, () => dropEach(adminUrl, files)));
      if (rows.some((r) => r.datname === template)) await client.query(`DROP DATABASE IF EXISTS "${template}" WITH (FORCE)`);
    } finally {
      await client.end();
    }
  }
  const embedded = (globalThis as { __embeddedPg?: { stop(): Promise<void> } }).__embeddedPg;
  await embedded?.stop();
}
