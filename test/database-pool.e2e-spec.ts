import { Client } from 'pg';
import { DataSource } from 'typeorm';
import type { TestApp } from './support/test-app';
import { startTestApp } from './support/test-app';

/**
 * The pool keeps DATABASE_POOL_MIN connections open through an idle spell (in production, by default,
 * the whole pool; config spec): a burst after a quiet minute must not wait for PostgreSQL to start
 * new backends and for our statements to be prepared again. node-postgres closes an idle connection
 * after 10 s.
 */
describe('Database pool: connections kept through an idle spell', () => {
  let kept: TestApp;
  let closed: TestApp;
  let admin: Client;

  beforeAll(async () => {
    [kept, closed] = await Promise.all([
      startTestApp({ DATABASE_POOL_SIZE: '4', DATABASE_POOL_MIN: '4' }),
      startTestApp({ DATABASE_POOL_SIZE: '4', DATABASE_POOL_MIN: '0' }),
    ]);
    admin = new Client({ connectionString: kept.databaseUrl });
    await admin.connect();
  });
  afterAll(async () => {
    await admin?.end();
    await Promise.all([kept?.close(), closed?.close()]);
  });

  /** The app's connections to its own database (its pool and its notification listener). */
  const connections = async (t: TestApp): Promise<number> => {
    const database = new URL(t.databaseUrl).pathname.slice(1);
    const rows = await admin.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = $1 AND application_name = 'doku-wallet-partner'`,
      [database],
    );
    return rows.rows[0].n;
  };
  /** Eight statements at once through the app's pool: every one of its four connections is opened. */
  const burst = (t: TestApp) => Promise.all(Array.from({ length: 8 }, () => t.app.get(DataSource).query('SELECT pg_sleep(0.2)')));

  it('keeps DATABASE_POOL_MIN connections open after 11 s idle; with DATABASE_POOL_MIN=0 they close', async () => {
    expect(kept.config.database.poolMin).toBe(4);
    await Promise.all([burst(kept), burst(closed)]);
    const keptBusy = await connections(kept);
    const closedBusy = await connections(closed);
    expect(keptBusy).toBeGreaterThanOrEqual(4);
    expect(closedBusy).toBeGreaterThanOrEqual(4);

    await new Promise((r) => setTimeout(r, 11_500));
    expect(await connections(kept)).toBe(keptBusy);
    // Without a minimum the idle ones close (the listener for principal changes holds one for good).
    expect(await connections(closed)).toBeLessThanOrEqual(closedBusy - 3);
  });
});
