/**
 * What a commit that writes an outbox event costs, before and after migration
 * OutboxSequencer1764400000000: the commit-time lock (every such commit of the fleet one at a time,
 * WAL flush included) against a plain insert numbered later by the readers' sequencer.
 *
 *   node scripts/run-built.js dist/bench/outbox-commit.bench.js
 *   BENCH_ROUNDS=3 BENCH_TRANSACTIONS=1000 node scripts/run-built.js dist/bench/outbox-commit.bench.js   (a quick look)
 *   node -r ./test/support/register-ts.js bench/outbox-commit.bench.ts                                   (from the sources, no build)
 *
 * Two fresh databases on the same server (DATABASE_URL's, or an embedded one: see
 * bench/support/bench-env.ts), dropped at the end: `old` migrated up to the migration before
 * OutboxSequencer1764400000000 (the commit-time trigger), `new` migrated fully. Each round,
 * BENCH_CONNECTIONS (16) connections share BENCH_TRANSACTIONS (2000) transactions, each
 * `BEGIN; INSERT INTO outbox_events … (the statement of OutboxRepository.append); COMMIT`, on:
 * - old: the commit-time trigger and its lock;
 * - new: the plain insert, nothing running the sequencer;
 * - new+sequencer: the same, with the sequencer (OutboxRepository.sequence) running back to back
 *   on one more connection the whole time, as busy readers would (it numbers rows the writers
 *   just committed, so it is the worst case for interference with the writers).
 * The order of the sides rotates every round; the figures are the medians of BENCH_ROUNDS (5).
 * At the end, every row of `new` must have a distinct position once the sequencer has caught up.
 */
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { loadConfig } from '../src/config/load-config';
import { buildDataSourceOptions } from '../src/database/database-options';
import { MIGRATIONS } from '../src/database/migrations';
import { OutboxRepository } from '../src/outbox/outbox.repository';
import { benchDatabase, envNumber, machineLine, median, round } from './support/bench-env';

const APPEND = `INSERT INTO outbox_events (type, aggregate_type, aggregate_id, user_id, payload) VALUES ($1, $2, $3, $4, $5)`;

function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

async function migrated(url: string, migrations: typeof MIGRATIONS): Promise<DataSource> {
  const ds = new DataSource({ ...buildDataSourceOptions(loadConfig({ NODE_ENV: 'test' }).database, url), migrations });
  await ds.initialize();
  await ds.runMigrations({ transaction: 'each' });
  return ds;
}

/** Transactions per second for `total` append-and-commit transactions shared by `clients`. */
async function run(clients: Client[], total: number, tag: string): Promise<number> {
  let next = 0;
  const began = process.hrtime.bigint();
  await Promise.all(
    clients.map(async (c) => {
      for (let i = next++; i < total; i = next++) {
        await c.query('BEGIN');
        await c.query(APPEND, ['transaction.status_changed', 'bench', `${tag}-${i}`, null, JSON.stringify({ i, tag })]);
        await c.query('COMMIT');
      }
    }),
  );
  const seconds = Number(process.hrtime.bigint() - began) / 1e9;
  return total / seconds;
}

async function main(): Promise<void> {
  const rounds = envNumber('BENCH_ROUNDS', 5);
  const total = envNumber('BENCH_TRANSACTIONS', 2000);
  const connections = envNumber('BENCH_CONNECTIONS', 16);
  const base = await benchDatabase('outbox');
  const newName = `${new URL(base.url).pathname.slice(1)}_new`;
  const admin = new Client({ connectionString: base.url });
  await admin.connect();
  await admin.query(`CREATE DATABASE "${newName}"`);
  const newUrl = withDatabase(base.url, newName);
  const closers: Array<() => Promise<unknown>> = [];
  try {
    const oldDs = await migrated(base.url, MIGRATIONS.slice(0, -1));
    const newDs = await migrated(newUrl, MIGRATIONS);
    closers.push(
      () => oldDs.destroy(),
      () => newDs.destroy(),
    );
    const triggers = async (ds: DataSource) =>
      (await ds.query<Array<{ n: number }>>(`SELECT count(*)::int AS n FROM pg_trigger WHERE tgname = 'outbox_events_commit_seq'`))[0].n;
    if ((await triggers(oldDs)) !== 1 || (await triggers(newDs)) !== 0) throw new Error('the two databases are not the two designs');
    const pool = async (url: string) => {
      const cs = Array.from({ length: connections }, () => new Client({ connectionString: url }));
      await Promise.all(cs.map((c) => c.connect()));
      closers.push(...cs.map((c) => () => c.end()));
      return cs;
    };
    const oldClients = await pool(base.url);
    const newClients = await pool(newUrl);
    const sequencer = new OutboxRepository(newDs);

    process.stdout.write(
      `outbox commit bench: ${total} transactions over ${connections} connections, ${rounds} rounds; ${base.where}; ${machineLine()}\n`,
    );
    const sides: Record<string, () => Promise<number>> = {
      old: () => run(oldClients, total, 'old'),
      new: () => run(newClients, total, 'new'),
      'new+sequencer': async () => {
        let writing = true;
        let numbered = 0;
        const loop = (async () => {
          while (writing) numbered += await sequencer.sequence();
        })();
        try {
          return await run(newClients, total, 'new-seq');
        } finally {
          writing = false;
          await loop;
          process.stdout.write(`    (the sequencer numbered ${numbered} events during the run)\n`);
        }
      },
    };
    const names = Object.keys(sides);
    const results: Record<string, number[]> = Object.fromEntries(names.map((n) => [n, []]));
    // One untimed warm-up per side.
    for (const n of names) await sides[n]();
    for (let r = 0; r < rounds; r++) {
      const order = names.map((_, i) => names[(i + r) % names.length]);
      for (const n of order) {
        const tps = await sides[n]();
        results[n].push(tps);
        process.stdout.write(`  round ${r + 1} ${n.padEnd(14)} ${round(tps, 0)} tps\n`);
      }
    }

    await sequencer.sequence(Number.MAX_SAFE_INTEGER);
    const [check] = await newDs.query<Array<{ rows: number; positions: number; unnumbered: number }>>(
      `SELECT count(*)::int AS rows, count(DISTINCT position)::int AS positions, count(*) FILTER (WHERE position IS NULL)::int AS unnumbered
         FROM outbox_events`,
    );
    if (check.unnumbered !== 0 || check.positions !== check.rows) throw new Error(`positions are wrong: ${JSON.stringify(check)}`);

    const figures = Object.fromEntries(names.map((n) => [n, round(median(results[n]), 0)]));
    process.stdout.write(
      `median tps: ${names.map((n) => `${n} ${figures[n]}`).join(', ')}; new/old ${round(figures.new / figures.old)}x, ` +
        `new+sequencer/old ${round(figures['new+sequencer'] / figures.old)}x\n`,
    );
    process.stdout.write(`${JSON.stringify({ bench: 'outbox-commit', total, connections, rounds, medianTps: figures, results })}\n`);
  } finally {
    for (const close of closers.reverse()) await close().catch(() => undefined);
    await admin.query(`DROP DATABASE IF EXISTS "${newName}" WITH (FORCE)`).catch(() => undefined);
    await admin.end();
    await base.drop();
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exit(1);
});
