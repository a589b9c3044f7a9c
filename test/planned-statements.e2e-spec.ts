import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { plannedRows, preparedRows } from '../src/common/database/sql';
import { loadConfig } from '../src/config/load-config';
import { buildDataSourceOptions } from '../src/database/database-options';
import { createTestDatabase } from './support/test-database';

jest.setTimeout(60_000);

/**
 * `plannedRows` (docs/performance.md, twenty-eighth round): the statements over arrays run as named
 * statements on connections of their own, parsed once per connection and planned afresh at every
 * execution; those connections end with the DataSource.
 */
describe('Statements planned at every execution', () => {
  let url: string;
  let drop: () => Promise<void>;
  let watcher: Client;

  beforeAll(async () => {
    ({ url, drop } = await createTestDatabase());
    watcher = new Client({ connectionString: url });
    await watcher.connect();
  });
  afterAll(async () => {
    await watcher.end();
    await drop();
  });

  const open = () => {
    const config = loadConfig({ NODE_ENV: 'test' }).database;
    return new DataSource(buildDataSourceOptions({ ...config, poolSize: 4, poolMin: 0 }, url)).initialize();
  };
  const sessions = async (pids: number[]) =>
    Number((await watcher.query<{ n: string }>(`SELECT count(*) AS n FROM pg_stat_activity WHERE pid = ANY($1)`, [pids])).rows[0].n);

  it('runs each as a named statement on a connection of its own that plans every execution; it ends with the DataSource', async () => {
    const db = await open();
    const statement = `SELECT count(*)::int AS n, pg_backend_pid() AS pid, current_setting('plan_cache_mode') AS mode FROM unnest($1::int[]) AS a(v) WHERE v > $2`;
    const runs: Array<{ n: number; pid: number; mode: string }> = [];
    // More executions than the five after which PostgreSQL would otherwise consider a generic plan.
    for (let i = 0; i < 8; i++)
      runs.push(...(await plannedRows<{ n: number; pid: number; mode: string }>(db, statement, [[1, 2, 3, 4], i % 4])));
    expect(runs.map((r) => r.n)).toEqual([4, 3, 2, 1, 4, 3, 2, 1]);
    expect(new Set(runs.map((r) => r.mode))).toEqual(new Set(['force_custom_plan']));
    // One after the other, on the same connection of its own, not one of the main pool's.
    const planned = [...new Set(runs.map((r) => r.pid))];
    expect(planned).toHaveLength(1);
    const [main] = await preparedRows<{ pid: number; mode: string }>(
      db,
      `SELECT pg_backend_pid() AS pid, current_setting('plan_cache_mode') AS mode`,
      [],
    );
    expect(main.mode).toBe('auto');
    expect(planned).not.toContain(main.pid);
    // Parsed once: the connection holds it prepared, and has planned each execution for its own parameters.
    const [prepared] = await plannedRows<{ custom_plans: number; generic_plans: number }>(
      db,
      `SELECT custom_plans::int, generic_plans::int FROM pg_prepared_statements WHERE statement = $1`,
      [statement],
    );
    expect(prepared).toEqual({ custom_plans: 8, generic_plans: 0 });

    expect(await sessions([...planned, main.pid])).toBe(2);
    await db.destroy();
    // Both the main pool's connection and the planned one are closed.
    const until = Date.now() + 5_000;
    while ((await sessions([...planned, main.pid])) > 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
    expect(await sessions([...planned, main.pid])).toBe(0);
  });

  it('opens a new set of connections for a DataSource opened again', async () => {
    const first = await open();
    const [a] = await plannedRows<{ pid: number }>(first, `SELECT pg_backend_pid() AS pid`, []);
    await first.destroy();
    const second = await open();
    try {
      const [b] = await plannedRows<{ pid: number; mode: string }>(
        second,
        `SELECT pg_backend_pid() AS pid, current_setting('plan_cache_mode') AS mode`,
        [],
      );
      expect(b.mode).toBe('force_custom_plan');
      expect(b.pid).not.toBe(a.pid);
    } finally {
      await second.destroy();
    }
  });
});
