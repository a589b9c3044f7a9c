import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { plannedRows } from '../src/common/database/sql';
import { loadConfig } from '../src/config/load-config';
import { buildDataSourceOptions } from '../src/database/database-options';
import { MetricsService } from '../src/metrics/metrics.service';
import { NotificationsRepository } from '../src/notifications/notifications.repository';
import { seedHistory } from './support/bulk-history';
import { createTestDatabase } from './support/test-database';

jest.setTimeout(60_000);

const SIGNATURE = 'doku_notifications_store(json)';

/** A node of `EXPLAIN (FORMAT JSON)`. */
interface PlanNode {
  'Relation Name'?: string;
  'Index Name'?: string;
  'Index Cond'?: string;
  Plans?: PlanNode[];
}

/** One notification as the intake function reads it from its batch (notifications.repository.ts). */
function intakeRow(over: { key: string; ref?: string | null; settled?: string | null; body?: string; headers?: Record<string, string> }) {
  return {
    key: over.key,
    ref: over.ref ?? null,
    doku_ref: 'doku-ref',
    status: '00',
    external_id: over.key,
    kind: 'symmetric',
    body: over.body ?? '{}',
    headers: over.headers ?? {},
    hold: 60,
    settled: over.settled ?? null,
  };
}

/**
 * The notification statements against a young `transactions` table (docs/performance.md,
 * twenty-sixth round). The intake function `doku_notifications_store` stores exactly what was
 * received, and the one plan it keeps per connection looks purchases up by index even when that plan
 * is made on an empty table, where a scan looks cheapest and would be kept while the table grows.
 * The processor's `closeRepeats` is planned at each call, so it never keeps a plan of a table that
 * has grown since.
 */
describe('Notification intake function', () => {
  let url: string;
  const clients: Client[] = [];

  const connect = async (): Promise<Client> => {
    const client = new Client({ connectionString: url });
    await client.connect();
    clients.push(client);
    return client;
  };

  beforeAll(async () => {
    url = (await createTestDatabase()).url;
    const admin = await connect();
    // An empty table its statistics know to be empty: the case where a kept plan would scan it.
    await admin.query(`ANALYZE transactions`);
  });
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.end()));
  });

  /** Stores one notification reporting a settled status (so both lookups run), in a transaction; the scans it made. */
  const storeAndCountScans = async (client: Client, key: string): Promise<{ seq: number; index: number; stored: number }> => {
    const stored = await client.query(`SELECT * FROM doku_notifications_store($1::json)`, [
      JSON.stringify([intakeRow({ key, ref: `ref-${key}`, settled: 'SUCCESS' })]),
    ]);
    const scans = await client.query<{ seq: string; index: string }>(
      `SELECT pg_stat_get_xact_numscans('transactions'::regclass) AS seq,
              (SELECT sum(pg_stat_get_xact_numscans(indexrelid)) FROM pg_index WHERE indrelid = 'transactions'::regclass) AS index`,
    );
    return { seq: Number(scans.rows[0].seq), index: Number(scans.rows[0].index), stored: stored.rowCount ?? 0 };
  };

  it('looks a purchase up by index even when its plan is made on an empty transactions table', async () => {
    const client = await connect();
    // Past the first executions too: a prepared statement's plan turns generic after five.
    for (const attempt of [1, 2, 3, 4, 5, 6, 7]) {
      await client.query('BEGIN');
      const scans = await storeAndCountScans(client, `plan-${attempt}`);
      await client.query('COMMIT');
      expect(scans).toEqual({ seq: 0, index: expect.any(Number), stored: 1 });
      expect(scans.index).toBeGreaterThanOrEqual(1);
    }
  });

  it('would scan the table without its enable_seqscan setting (the check above can fail)', async () => {
    const client = await connect();
    await client.query('BEGIN');
    await client.query(`ALTER FUNCTION ${SIGNATURE} RESET enable_seqscan`);
    const scans = await storeAndCountScans(client, 'plan-without-setting');
    await client.query('ROLLBACK');
    expect(scans.seq).toBeGreaterThanOrEqual(1);
  });

  /**
   * The plan the function keeps, made the way it makes it (its own settings, a generic plan) on the
   * empty analyzed table: each read of `transactions` it holds, as `relation (index): how` where how
   * is `probe` for an index condition and `whole` for a read of the whole table or index.
   */
  const keptPlanReads = async (client: Client, name: string): Promise<string[]> => {
    const fn = await client.query<{ prosrc: string; proconfig: string[] }>(
      `SELECT prosrc, proconfig FROM pg_proc WHERE oid = $1::regprocedure`,
      [SIGNATURE],
    );
    const { prosrc, proconfig } = fn.rows[0];
    const statement = /RETURN QUERY\s+([\s\S]+?);\s*END/
      .exec(prosrc)![1]
      .replace('json_to_recordset(batch)', 'json_to_recordset($1::json)');
    for (const setting of proconfig) {
      const [key, value] = setting.split('=');
      await client.query(`SELECT set_config($1, $2, true)`, [key, value]);
    }
    await client.query(`PREPARE ${name}(json) AS ${statement}`);
    const plan = (await client.query<{ 'QUERY PLAN': Array<{ Plan: PlanNode }> }>(`EXPLAIN (FORMAT JSON) EXECUTE ${name}(NULL)`)).rows[0][
      'QUERY PLAN'
    ][0].Plan;
    await client.query(`DEALLOCATE ${name}`);
    const reads: string[] = [];
    const walk = (node: PlanNode): void => {
      if (node['Relation Name'] === 'transactions')
        reads.push(`${node['Relation Name']} (${node['Index Name'] ?? 'no index'}): ${node['Index Cond'] ? 'probe' : 'whole'}`);
      for (const child of node.Plans ?? []) walk(child);
    };
    walk(plan);
    return reads;
  };

  it('keeps a plan whose every read of transactions is a probe by key, though made on an empty table', async () => {
    const client = await connect();
    await client.query('BEGIN');
    const reads = await keptPlanReads(client, 'kept_plan');
    await client.query('ROLLBACK');
    expect(reads).toEqual([
      'transactions (transactions_partner_reference_no_key): probe',
      'transactions (transactions_waiting_children_idx): probe',
    ]);
  });

  it('without the index of waiting refunds and cancels, that plan read a whole index (the check above can fail)', async () => {
    const client = await connect();
    await client.query('BEGIN');
    await client.query(`DROP INDEX transactions_waiting_children_idx`);
    const reads = await keptPlanReads(client, 'kept_plan_without');
    await client.query('ROLLBACK');
    expect(reads).toContain('transactions (transactions_unresolved_idx): whole');
  });

  it('stores each body and its headers exactly as received, and a delivery twice in one batch once', async () => {
    const client = await connect();
    const bodies = [
      '{"a":"quotes \\" and backslashes \\\\ and a tab\\t"}',
      '{\n  "pretty": true,\n  "crlf": "x"\r\n}',
      '{"name":"Ibu Sri Wahyuni","emoji":"\u{1F4B8}","line":"\u2028","escaped":"\\u0000"}',
      '   {"padded": [1, 2.50, -0e1]}   ',
    ];
    const headers = { 'x-external-id': 'ext "1"', 'x-note': 'back\\slash', 'content-type': 'application/json; charset=utf-8' };
    const batch = bodies.map((body, i) => intakeRow({ key: `fidelity-${i}`, body, headers }));
    batch.push(intakeRow({ key: 'fidelity-0', body: 'a second copy' }));
    const stored = await client.query<{ stored_key: string; stored_closed: boolean }>(`SELECT * FROM doku_notifications_store($1::json)`, [
      JSON.stringify(batch),
    ]);
    expect(stored.rows.map((r) => r.stored_key).sort()).toEqual(bodies.map((_, i) => `fidelity-${i}`));
    expect(stored.rows.every((r) => r.stored_closed === false)).toBe(true);
    const rows = await client.query<{ dedupe_key: string; raw_body: string; headers: Record<string, string>; claimed_until: Date | null }>(
      `SELECT dedupe_key, raw_body, headers, claimed_until FROM doku_notifications WHERE dedupe_key LIKE 'fidelity-%' ORDER BY dedupe_key`,
    );
    expect(rows.rows.map((r) => r.raw_body)).toEqual(bodies);
    for (const row of rows.rows) {
      expect(row.headers).toEqual(headers);
      // Held by the storing instance for `hold` seconds.
      expect(row.claimed_until).toBeInstanceOf(Date);
    }
  });

  it("closes possible repeats with a plan of the table as it is now, not as it was at the connection's first calls", async () => {
    // One connection, as a busy instance's pool hands the same one out again and again.
    const config = loadConfig({ NODE_ENV: 'test' }).database;
    const db = await new DataSource(buildDataSourceOptions({ ...config, poolSize: 1, poolMin: 0 }, url)).initialize();
    try {
      const repository = new NotificationsRepository(db, new MetricsService());
      const seqScans = async (): Promise<number> => {
        // The counts of the connections that ran the statements (`plannedRows` has its own, one
        // here as the calls come one at a time), flushed to the shared statistics as each goes idle.
        await plannedRows(db, `SELECT pg_stat_force_next_flush()`, []);
        await db.query(`SELECT pg_stat_force_next_flush()`);
        await db.query(`SELECT pg_stat_clear_snapshot()`);
        const [row] = await db.query<Array<{ n: string }>>(
          `SELECT seq_scan AS n FROM pg_stat_user_tables WHERE relid = 'transactions'::regclass`,
        );
        return Number(row.n);
      };
      const closeOne = () =>
        repository.closeRepeats([{ id: randomUUID(), partnerReferenceNo: `PUR-none-${randomUUID()}`, status: 'SUCCESS' }]);
      // Its first calls while transactions is small, and analyzed so: past the five after which a
      // kept plan turns generic.
      await seedHistory(db, { tag: 'young', users: 10, transactions: 10 });
      for (let i = 0; i < 7; i++) expect(await closeOne()).toEqual([{ closed: false, purchase: null }]);
      // Then the table grows, before autoanalyze has seen it.
      await seedHistory(db, {
        tag: 'grown',
        users: 1_000,
        transactions: 20_000,
        firstIndex: { users: 10, transactions: 10 },
        analyze: false,
      });
      const before = await seqScans();
      for (let i = 0; i < 3; i++) expect(await closeOne()).toEqual([{ closed: false, purchase: null }]);
      expect((await seqScans()) - before).toBe(0);
    } finally {
      await db.destroy();
    }
  });
});
