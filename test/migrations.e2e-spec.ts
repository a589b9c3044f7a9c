import { DataSource } from 'typeorm';
import { loadConfig } from '../src/config/load-config';
import { buildDataSourceOptions } from '../src/database/database-options';
import { MIGRATIONS } from '../src/database/migrations';
import { adminQuery, runDatabaseName, withDatabase } from './support/test-database';

describe('Migrations', () => {
  const adminUrl = process.env.TEST_PG_ADMIN_URL!;
  // Named under the run's prefix: the global teardown drops it with the run's other databases. A DROP
  // DATABASE here waits for a checkpoint, which on a server busy with the other test files took
  // longer than the hook's 30 s.
  const name = runDatabaseName('migrations');
  let ds: DataSource;

  beforeAll(async () => {
    await adminQuery(adminUrl, `CREATE DATABASE "${name}"`);
    ds = new DataSource(buildDataSourceOptions(loadConfig({ NODE_ENV: 'test' }).database, withDatabase(adminUrl, name)));
    await ds.initialize();
  });
  afterAll(async () => {
    await ds.destroy();
  });

  const tables = async (): Promise<string[]> =>
    (
      await ds.query<{ table_name: string }[]>(
        `SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_name <> 'migrations' ORDER BY 1`,
      )
    ).map((r) => r.table_name);

  const sequences = async (): Promise<string[]> =>
    (await ds.query<{ sequencename: string }[]>(`SELECT sequencename FROM pg_sequences WHERE schemaname = 'public'`)).map(
      (r) => r.sequencename,
    );

  it('run up, all the way down, and up again on a fresh database', async () => {
    const up = await ds.runMigrations({ transaction: 'each' });
    expect(up).toHaveLength(MIGRATIONS.length);
    const schema = await tables();
    expect(schema).toEqual(
      expect.arrayContaining([
        'users',
        'auth_sessions',
        'refresh_tokens',
        'service_clients',
        'wallets',
        'wallet_registrations',
        'wallet_bindings',
        'transactions',
        'transaction_events',
        'idempotency_keys',
        'outbox_events',
        'doku_exchanges',
        'doku_b2b_tokens',
        'doku_customer_tokens',
        'webhook_subscriptions',
        'webhook_deliveries',
        'webhook_fanout_cursor',
      ]),
    );
    expect(await sequences()).toContain('doku_external_id_seq');

    for (let i = 0; i < MIGRATIONS.length; i++) await ds.undoLastMigration({ transaction: 'each' });
    expect(await tables()).toEqual([]);
    expect(await sequences()).not.toContain('doku_external_id_seq');

    const again = await ds.runMigrations({ transaction: 'each' });
    expect(again).toHaveLength(MIGRATIONS.length);
    expect(await tables()).toEqual(schema);
  });

  // Tables, columns, defaults, indexes, unique keys, checks and foreign keys: the entities declare
  // the schema the migrations build, so TypeORM's schema builder has nothing at all to change.
  it('the schema builder has nothing to change: entities declare every table, column, index and constraint the migrations create', async () => {
    const sql = await ds.driver.createSchemaBuilder().log();
    expect(sql.upQueries.map((q) => q.query)).toEqual([]);
  });
});
