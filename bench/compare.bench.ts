/**
 * CPU per purchase of two builds of the backend, side by side in one run: the build this script
 * belongs to (B) against another build's compiled output (A), for instance the commit before a change:
 *
 *   git worktree add /tmp/base <commit> && ln -s "$PWD/node_modules" /tmp/base/node_modules
 *   (cd /tmp/base && npx tsc -p tsconfig.build.json)
 *   npm run bench:compare -- /tmp/base/dist
 *
 * One DOKU simulator and one database; both backends run at once, each in its own process, with
 * users of their own. Rounds alternate the order of the sides (A then B, B then A), each side
 * sends BENCH_PURCHASES purchases at BENCH_CONCURRENCY in flight, and each round reads the CPU the
 * backend process spent (user and system) over its purchases. It prints every round, the median of
 * each side and B/A, the median of the rounds' own B/A (each round's sides run back to back, so
 * their ratio is steadier when the machine's load drifts) and in how many rounds B was lower, then
 * one JSON line. With DOKU's latency at the simulator's default (none),
 * what separates the sides is the backend's own work.
 *
 * Options (defaults): BENCH_ROUNDS (8), BENCH_PURCHASES (2000), BENCH_CONCURRENCY (8),
 * BENCH_WARMUP_PURCHASES (6000, per side, before the rounds). The same
 * build against itself gave 0.994 on a 2-core machine (docs/performance.md, tenth round).
 *
 * PostgreSQL's CPU per purchase is read the same way around each round (its processes on this
 * machine; only one side runs at a time, so a round's PostgreSQL work is that side's, plus whatever
 * runs in the background for either). With BENCH_SEPARATE_DATABASES=1 each build migrates a
 * database of its own on the same server, so a change of schema (an index, a constraint) can be
 * measured against the schema before it, and each side's PostgreSQL CPU is read from the processes
 * serving its own database only (its connections; an autovacuum worker that comes and goes within a
 * round is missed, one that outlives a reading is charged to it).
 *
 * With BENCH_WAL=1, each side then sends one more window of BENCH_PURCHASES purchases, alone, and
 * the script prints what its database wrote to PostgreSQL's WAL per purchase (pg_walinspect): records
 * and bytes in all and by table and index, A beside B. Unlike CPU, these counts do not depend on the
 * machine's load, so a change that writes fewer rows, index entries or locks shows exactly.
 */
import { join, resolve } from 'node:path';
import * as here from './support/bench-env';

type BenchEnv = typeof here;

async function main(): Promise<void> {
  const otherDist = process.argv[2];
  if (!otherDist) throw new Error('usage: npm run bench:compare -- <the other build dist directory>');
  const rounds = here.envNumber('BENCH_ROUNDS', 8);
  const purchases = here.envNumber('BENCH_PURCHASES', 2000);
  const concurrency = here.envNumber('BENCH_CONCURRENCY', 8);
  const warmup = here.envNumber('BENCH_WARMUP_PURCHASES', 6000);
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const other = require(join(resolve(otherDist), 'bench', 'support', 'bench-env.js')) as BenchEnv;
  const out = (line = ''): boolean => process.stdout.write(`${line}\n`);
  out(`CPU per purchase, two builds side by side — ${here.machineLine()}`);
  out(`A: ${resolve(otherDist)}  B: ${resolve(__dirname, '..')}`);
  const separate = process.env.BENCH_SEPARATE_DATABASES === '1';
  const walWanted = process.env.BENCH_WAL === '1';
  const db = await here.benchDatabase('compare');
  const sim = await here.startSimulatorProcess();
  const apps: Partial<Record<'A' | 'B', here.AppProcess>> = {};
  try {
    // A migrates the database first; B then starts on its schema, or migrates its own.
    apps.A = await other.startAppProcess(db.url, sim.url);
    const urlB = separate ? await db.another('compare_b') : db.url;
    apps.B = await here.startAppProcess(urlB, sim.url);
    // Two databases mean two X-EXTERNAL-ID sequences for one partner, and DOKU refuses an id it has
    // seen that day: B's ids start far above A's (before B's first DOKU call).
    if (separate) await here.startExternalIdsAt(urlB, 1_000_000_000_000n);
    // Each side's PostgreSQL work, read from the processes serving its own database when it has one.
    const pgDatabase = (url: string): string | undefined => (separate ? decodeURIComponent(new URL(url).pathname.slice(1)) : undefined);
    const pgOf = { A: pgDatabase(db.url), B: pgDatabase(urlB) };
    out(separate ? 'each build on a database of its own (BENCH_SEPARATE_DATABASES=1)' : 'both builds on one database');
    const sides = {} as Record<'A' | 'B', { http: here.Http; one: () => Promise<void> }>;
    for (const name of ['A', 'B'] as const) {
      const http = new here.Http(apps[name]!.url, concurrency);
      const users = await here.createBoundUsers(http, sim, 4);
      let seq = 0;
      sides[name] = {
        http,
        one: async () => {
          const user = users[seq % users.length];
          const n = seq++;
          const res = await http.request(
            'POST',
            '/v1/purchases',
            { amount: 1000 + (n % 5000), description: `Bench order ${n}` },
            { authorization: `Bearer ${user.accessToken}`, 'idempotency-key': `compare-${name}-${process.pid}-${n}` },
          );
          if (res.status !== 201) throw new Error(`${name}: ${res.status} ${res.text.slice(0, 200)}`);
        },
      };
    }
    // Warm both (JIT, pools, caches) before anything counts: the first few thousand purchases cost more.
    for (const name of ['A', 'B'] as const) await here.closedLoop({ calls: warmup, concurrency }, sides[name].one);
    const cpu = async (name: 'A' | 'B'): Promise<number> => {
      const stats = await apps[name]!.stats();
      return stats.cpuMicros.user + stats.cpuMicros.system;
    };
    const perPurchase: Record<'A' | 'B', number[]> = { A: [], B: [] };
    const pgPerPurchase: Record<'A' | 'B', number[]> = { A: [], B: [] };
    for (let round = 0; round < rounds; round++) {
      for (const name of round % 2 === 0 ? (['A', 'B'] as const) : (['B', 'A'] as const)) {
        const before = await cpu(name);
        const pgBefore = here.postgresCpuMicros(pgOf[name]);
        const result = await here.closedLoop({ calls: purchases, concurrency }, sides[name].one);
        const pgAfter = here.postgresCpuMicros(pgOf[name]);
        const after = await cpu(name);
        if (result.failures > 0) throw new Error(`${name}: ${result.failures} purchases failed (first: ${result.firstFailure})`);
        perPurchase[name].push((after - before) / result.calls);
        if (pgBefore !== undefined && pgAfter !== undefined) pgPerPurchase[name].push((pgAfter - pgBefore) / result.calls);
      }
      const pgLine =
        pgPerPurchase.B.length > round
          ? `; PostgreSQL A ${pgPerPurchase.A[round].toFixed(0)} µs, B ${pgPerPurchase.B[round].toFixed(0)} µs`
          : '';
      out(`  round ${round + 1}: A ${perPurchase.A.at(-1)!.toFixed(0)} µs, B ${perPurchase.B.at(-1)!.toFixed(0)} µs${pgLine}`);
    }
    const a = here.median(perPurchase.A);
    const b = here.median(perPurchase.B);
    out(`median CPU per purchase: A ${a.toFixed(0)} µs, B ${b.toFixed(0)} µs, B/A ${(b / a).toFixed(3)}`);
    const pg = pgPerPurchase.B.length === rounds ? { a: here.median(pgPerPurchase.A), b: here.median(pgPerPurchase.B) } : undefined;
    const pgPaired = pg ? pgPerPurchase.B.map((bRound, i) => bRound / pgPerPurchase.A[i]) : [];
    if (pg) {
      out(
        `PostgreSQL's CPU per purchase: A ${pg.a.toFixed(0)} µs, B ${pg.b.toFixed(0)} µs, B/A ${(pg.b / pg.a).toFixed(3)}; ` +
          `round by round: median ${here.median(pgPaired).toFixed(3)}, B lower in ${pgPaired.filter((r) => r < 1).length} of ${rounds} rounds`,
      );
    } else {
      out(`PostgreSQL's CPU per purchase: not measured (its processes are not on this machine)`);
    }
    // Each round's two sides ran back to back: their ratio cancels what the machine did between rounds.
    const paired = perPurchase.B.map((bRound, i) => bRound / perPurchase.A[i]);
    const pairedMedian = here.median(paired);
    const bLower = paired.filter((r) => r < 1).length;
    out(`B/A round by round: median ${pairedMedian.toFixed(3)}, B lower in ${bLower} of ${rounds} rounds`);
    const wal = walWanted ? await walWindows(out, { A: db.url, B: urlB }, purchases, concurrency, sides) : undefined;
    out(
      JSON.stringify({
        bench: 'compare',
        rounds,
        purchases,
        concurrency,
        a: here.round(a, 0),
        b: here.round(b, 0),
        bOverA: here.round(b / a, 3),
        pairedBOverA: here.round(pairedMedian, 3),
        bLowerRounds: bLower,
        separateDatabases: separate,
        postgresA: pg ? here.round(pg.a, 0) : null,
        postgresB: pg ? here.round(pg.b, 0) : null,
        postgresPairedBOverA: pg ? here.round(here.median(pgPaired), 3) : null,
        ...(wal
          ? {
              walRecordsA: here.round(wal.A.records, 2),
              walRecordsB: here.round(wal.B.records, 2),
              walBytesA: here.round(wal.A.bytes, 0),
              walBytesB: here.round(wal.B.bytes, 0),
            }
          : {}),
      }),
    );
    for (const name of ['A', 'B'] as const) await sides[name].http.close();
  } finally {
    for (const name of ['A', 'B'] as const) await apps[name]?.stop().catch(() => undefined);
    await sim.stop();
    await db.drop();
  }
}

/**
 * One window of purchases per side, alone, framed by WAL positions: what each side's database wrote
 * per purchase, in all and by relation (the relations that wrote the most first), A beside B.
 */
async function walWindows(
  out: (line?: string) => boolean,
  urls: Record<'A' | 'B', string>,
  purchases: number,
  concurrency: number,
  sides: Record<'A' | 'B', { one: () => Promise<void> }>,
): Promise<Record<'A' | 'B', here.WalWritten> | undefined> {
  const written = {} as Record<'A' | 'B', here.WalWritten>;
  try {
    for (const name of ['A', 'B'] as const) {
      const since = await here.walSince(urls[name]);
      const result = await here.closedLoop({ calls: purchases, concurrency }, sides[name].one);
      if (result.failures > 0) throw new Error(`${name}: ${result.failures} purchases failed (first: ${result.firstFailure})`);
      const w = await since();
      const per = (n: number) => n / result.calls;
      written[name] = {
        records: per(w.records),
        bytes: per(w.bytes),
        byRelation: new Map([...w.byRelation].map(([k, v]) => [k, { records: per(v.records), bytes: per(v.bytes) }])),
      };
    }
  } catch (error) {
    out(`WAL per purchase: not measured (${(error as Error).message})`);
    return undefined;
  }
  const { A, B } = written;
  const most = (r: string) => Math.max(A.byRelation.get(r)?.bytes ?? 0, B.byRelation.get(r)?.bytes ?? 0);
  const relations = [...new Set([...A.byRelation.keys(), ...B.byRelation.keys()])].sort((x, y) => most(y) - most(x));
  const cell = (w: { records: number; bytes: number } | undefined) =>
    `${(w?.records ?? 0).toFixed(2).padStart(6)} ${(w?.bytes ?? 0).toFixed(0).padStart(6)}`;
  out(`WAL per purchase (one more window of ${purchases} per side, alone): records and bytes, A then B`);
  out(`  ${'all'.padEnd(44)} ${cell(A)}   ${cell(B)}`);
  for (const r of relations) {
    const a = A.byRelation.get(r);
    const b = B.byRelation.get(r);
    if (Math.max(a?.records ?? 0, b?.records ?? 0) < 0.05) continue;
    out(`  ${r.padEnd(44)} ${cell(a)}   ${cell(b)}`);
  }
  return written;
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
