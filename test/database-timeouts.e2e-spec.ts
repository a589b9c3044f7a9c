import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { loadConfig } from '../src/config/load-config';
import { buildDataSourceOptions } from '../src/database/database-options';
import { MIGRATION_LOCK_KEY, runMigrationsLocked } from '../src/database/migrate';
import { MIGRATIONS } from '../src/database/migrations';
import { registerUser } from './support/actors';
import { adminQuery, runDatabaseName, withDatabase } from './support/test-database';
import type { WalletEnv } from './support/wallet-fixtures';
import { createBoundWallet, startWalletEnv } from './support/wallet-fixtures';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * PostgreSQL's statement and idle-in-transaction timeouts on the app's connections
 * (DATABASE_STATEMENT_TIMEOUT_MS, DATABASE_IDLE_IN_TRANSACTION_TIMEOUT_MS; docs/operations.md#configuration): a
 * purchase stuck behind a lock is answered 503 with Retry-After, with nothing written, and goes
 * through when retried with the same Idempotency-Key; migrations run without either timeout.
 */
describe('Database timeouts (e2e, simulator, real PostgreSQL)', () => {
  let env: WalletEnv;
  const adminUrl = process.env.TEST_PG_ADMIN_URL!;

  beforeAll(async () => {
    env = await startWalletEnv({ DATABASE_STATEMENT_TIMEOUT_MS: '400' });
  });
  afterAll(async () => {
    await env?.close();
  });

  it('the app sets both on its connections (the idle one at its default)', async () => {
    const db = env.t.app.get(DataSource);
    const [row] = await db.query<Array<{ statement: string; idle: string }>>(
      `SELECT current_setting('statement_timeout') AS statement, current_setting('idle_in_transaction_session_timeout') AS idle`,
    );
    expect(row).toEqual({ statement: '400ms', idle: '1min' });
    await expect(db.query('SELECT pg_sleep(2)')).rejects.toMatchObject({ driverError: { code: '57014' } });
  });

  it('a purchase held up by a lock past the statement timeout is 503 with Retry-After, writes nothing, and goes through on retry', async () => {
    const user = await registerUser(env.t);
    await createBoundWallet(env, user, { balance: 500_000 });
    const db = env.t.app.get(DataSource);
    // Another session holds the customer's row: the purchase's first commit needs a share of it (its foreign key).
    const holder = new Client({ connectionString: env.t.databaseUrl });
    await holder.connect();
    const key = `key-${randomUUID()}`;
    const buy = () =>
      env.t
        .http()
        .post('/v1/purchases')
        .set('authorization', `Bearer ${user.accessToken}`)
        .set('idempotency-key', key)
        .send({ amount: 25_000 });
    try {
      await holder.query('BEGIN');
      await holder.query('SELECT id FROM users WHERE id = $1 FOR UPDATE', [user.id]);
      const held = await buy();
      expect([held.status, held.body.error?.code, held.headers['retry-after']]).toEqual([503, 'INTERNAL.UNAVAILABLE', '1']);
      const written = await db.query<Array<{ n: number }>>(
        `SELECT (SELECT count(*) FROM transactions WHERE user_id = $1)::int + (SELECT count(*) FROM idempotency_keys WHERE key = $2)::int AS n`,
        [user.id, key],
      );
      expect(written[0].n).toBe(0);
    } finally {
      await holder.query('ROLLBACK').catch(() => undefined);
      await holder.end();
    }
    const retried = await buy();
    expect([retried.status, retried.body.status]).toEqual([201, 'PENDING']);
  });

  it('a session left idle inside a transaction is ended, and its locks go with it', async () => {
    // Connections configured as the app's with a short idle timeout (it must exceed DOKU's, set short too).
    const config = loadConfig({ NODE_ENV: 'test', DATABASE_IDLE_IN_TRANSACTION_TIMEOUT_MS: '400', DOKU_TIMEOUT_MS: '300' });
    const db = await new DataSource(buildDataSourceOptions(config.database, env.t.databaseUrl)).initialize();
    const runner = db.createQueryRunner();
    await runner.connect();
    try {
      await runner.startTransaction();
      await runner.query('SELECT pg_advisory_xact_lock(727002)');
      await sleep(1_000);
      await expect(runner.query('SELECT 1')).rejects.toThrow();
      const [free] = await db.query<Array<{ got: boolean }>>('SELECT pg_try_advisory_xact_lock(727002) AS got');
      expect(free.got).toBe(true);
    } finally {
      await runner.release().catch(() => undefined);
    }
    // The pool still answers: a fresh connection replaces the ended one.
    expect(await db.query('SELECT 1 AS one')).toEqual([{ one: 1 }]);
    await db.destroy();
  });

  it('migrations wait for another instance holding the migration lock, and run, without the timeouts', async () => {
    const name = runDatabaseName('timeouts');
    await adminQuery(adminUrl, `CREATE DATABASE "${name}"`);
    const url = withDatabase(adminUrl, name);
    const config = loadConfig({
      NODE_ENV: 'test',
      DATABASE_STATEMENT_TIMEOUT_MS: '300',
      DATABASE_IDLE_IN_TRANSACTION_TIMEOUT_MS: '300',
      DOKU_TIMEOUT_MS: '200',
    });
    const ds = await new DataSource(buildDataSourceOptions(config.database, url)).initialize();
    // Another instance is migrating: it holds the lock for longer than the statement timeout.
    const other = new Client({ connectionString: url });
    await other.connect();
    try {
      await other.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
      const released = sleep(1_200).then(() => other.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]));
      const applied = await runMigrationsLocked(ds);
      await released;
      expect(applied).toHaveLength(MIGRATIONS.length);
      // The app's own connections keep the timeout.
      await expect(ds.query('SELECT pg_sleep(1)')).rejects.toMatchObject({ driverError: { code: '57014' } });
    } finally {
      await other.end();
      await ds.destroy();
    }
  });
});
