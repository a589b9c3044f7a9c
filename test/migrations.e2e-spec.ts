import { DataSource } from 'typeorm';
import { loadConfig } from '../src/config/load-config';
import { buildDataSourceOptions } from '../src/database/database-options';
import { MIGRATIONS } from '../src/database/migrations';
import { CHECKED_BY_DOMAIN, CheckedByDomain1764940000000 } from '../migrations/1764940000000-CheckedByDomain';
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

  // The closed sets a purchase writes are checked by their columns' domains, not by table CHECKs that
  // PostgreSQL would compile again for every statement (docs/performance.md, seventeenth round).
  it("moves each closed-set check to its column's domain under the same name and rule, refusing what the table refused, and back down", async () => {
    const defs = async (owner: 'domain' | 'table'): Promise<Map<string, string>> => {
      const rows = await ds.query<Array<{ conname: string; def: string }>>(
        `SELECT conname, pg_get_constraintdef(oid) AS def FROM pg_constraint
          WHERE conname = ANY($1) AND ${owner === 'domain' ? 'contypid <> 0' : 'conrelid <> 0'}`,
        [CHECKED_BY_DOMAIN.map((c) => c.constraint)],
      );
      return new Map(rows.map((r) => [r.conname, r.def.replace(/ NOT VALID$/, '')]));
    };
    const onDomains = await defs('domain');
    expect([...onDomains.keys()].sort()).toEqual(CHECKED_BY_DOMAIN.map((c) => c.constraint).sort());
    expect((await defs('table')).size).toBe(0);
    const allowed: Record<string, string> = {
      transaction_type: 'PURCHASE',
      transaction_status: 'UNKNOWN',
      currency_code: 'IDR',
      initiator_kind: 'service',
      payment_method: 'DANA',
      idempotency_key_status: 'COMPLETED',
      transition_cause: 'status-query',
      doku_exchange_method: 'POST',
      doku_external_id: '202612060000000000000000001',
      doku_exchange_outcome: 'TIMEOUT',
    };
    for (const c of CHECKED_BY_DOMAIN) {
      const [column] = await ds.query<Array<{ type: string }>>(
        `SELECT format_type(atttypid, atttypmod) AS type FROM pg_attribute WHERE attrelid = $1::regclass AND attname = $2`,
        [c.table, c.column],
      );
      expect(`${c.table}.${c.column} ${column.type}`).toBe(`${c.table}.${c.column} ${c.domain}`);
      await expect(ds.query(`SELECT $1::text::${c.domain} AS v`, [allowed[c.domain]])).resolves.toEqual([{ v: allowed[c.domain] }]);
      await expect(ds.query(`SELECT $1::text::${c.domain} AS v`, ['purchase'])).rejects.toMatchObject({
        driverError: { code: '23514', constraint: c.constraint },
      });
    }
    const files = async (): Promise<Map<string, string>> =>
      new Map(
        (
          await ds.query<Array<{ relname: string; relfilenode: string }>>(
            `SELECT relname, relfilenode::text FROM pg_class WHERE oid = ANY($1::regclass[])`,
            [[...new Set(CHECKED_BY_DOMAIN.map((c) => c.table))]],
          )
        ).map((r) => [r.relname, r.relfilenode]),
      );
    // Down (with the migrations after it): the same rules as table checks again, on text columns.
    const fromIt = MIGRATIONS.length - MIGRATIONS.indexOf(CheckedByDomain1764940000000);
    for (let i = 0; i < fromIt; i++) await ds.undoLastMigration({ transaction: 'each' });
    const onTables = await defs('table');
    for (const c of CHECKED_BY_DOMAIN) {
      expect(onTables.get(c.constraint)).toBe(onDomains.get(c.constraint)!.replace('(VALUE ', `(${c.column} `));
    }
    expect((await defs('domain')).size).toBe(0);
    const before = await files();
    await expect(ds.runMigrations({ transaction: 'each' })).resolves.toHaveLength(fromIt);
    // Up again: no table was rewritten (a rewrite gives the table a new file).
    expect(await files()).toEqual(before);
    expect(await defs('domain')).toEqual(onDomains);
  });

  // Tables, columns, defaults, indexes, unique keys, checks and foreign keys: the entities declare
  // the schema the migrations build, so TypeORM's schema builder has nothing at all to change.
  it('the schema builder has nothing to change: entities declare every table, column, index and constraint the migrations create', async () => {
    const sql = await ds.driver.createSchemaBuilder().log();
    expect(sql.upQueries.map((q) => q.query)).toEqual([]);
  });
});
