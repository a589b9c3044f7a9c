import type { ChildProcess } from 'node:child_process';
import { UNCAPPED_EMONEY_LIMITS } from './support/env';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import { startSimulator, type SimulatorHandle } from '../../simulator/src';
import { loadConfig } from '../../src/config/load-config';
import { buildDataSourceOptions } from '../../src/database/database-options';
import { runMigrationsLocked } from '../../src/database/migrate';
import type { SignedInUser } from '../support/actors';
import { registerUser } from '../support/actors';
import type { BackendProcess } from '../support/backend-process';
import { startBackendProcess } from '../support/backend-process';
import type { TestApp } from '../support/test-app';
import { startTestApp } from '../support/test-app';
import { createBoundWallet } from '../support/wallet-fixtures';
import { announce, batteryRng, belowMinimum, mapLimit, printFigures, RELIABILITY_SEED, sized, Tally } from './support/harness';
import type { RawResponse } from './support/http-client';
import { BatteryHttp, isStableErrorBody } from './support/http-client';
import { invariantViolations, NO_BREAKS, reconcile, reconciliationBreaks, reconciliationFigures } from './support/reconcile';

/**
 * R3 (docs/reliability.md), second half: the database is stopped immediately (PostgreSQL's "immediate"
 * shutdown: no checkpoint, every session cut) while payments are under way, then started again.
 * The backend keeps running. Requests that reach it while the database is down get a clear 503
 * (never a 500, never an answer that claims an outcome), and once the database is back every
 * intent converges to the simulator's truth, nothing is debited twice, and a retry with the same
 * Idempotency-Key gets the final answer.
 *
 * The shared CI server cannot be stopped, so this test runs its own embedded PostgreSQL (the one
 * `npm start` uses), in a separate process.
 */
const TEST = 'R3';
const WORKERS = sized(8, 24);
const LOAD_BEFORE_MS = sized(800, 3_000);
const OUTAGE_MS = sized(2_000, 6_000);
const LOAD_AFTER_MS = sized(800, 3_000);
const CONVERGE_MS = sized(120_000, 240_000);
const DOKU_TIMEOUT_MS = '1000';
/**
 * A purchase whose commit 1 reached the database just as it stopped (committed there, but the answer
 * never came back) is never sent to DOKU: it fails as "not found" once the grace period has passed,
 * and only then does its key get the final answer. With the production grace (120 s) that can be
 * after the convergence window (a newcomer run: `no final answer after 120000 ms`, one key in
 * progress); 10 s still exceeds DOKU_TIMEOUT_MS, as the configuration requires.
 */
const NOT_FOUND_GRACE_MS = '10000';

jest.setTimeout(sized(240_000, 900_000));

const runner = join(__dirname, '..', 'support', 'embedded-pg-runner.js');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * A port nothing listens on now, from the system. A port picked at random can be taken by another
 * server or by an outgoing connection (the random range overlaps the ephemeral one), and then the
 * server cannot start.
 */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** The embedded server, started in its own process (as the app does); resolves once it answers. */
function launchPostgres(dataDir: string, port: number): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, [runner, dataDir, String(port), 'hold'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  return new Promise((resolve, reject) => {
    child.stdout.once('data', (d: Buffer) =>
      resolve({ child, url: (JSON.parse(d.toString().trim().split('\n')[0]) as { url: string }).url }),
    );
    child.once('exit', (code) => reject(new Error(`embedded PostgreSQL launcher exited with ${code}: ${err}`)));
  });
}

/** `pg_ctl stop -m immediate`: SIGQUIT to the postmaster, which ends every session at once without a checkpoint. */
async function stopImmediately(dataDir: string): Promise<void> {
  const pid = Number(readFileSync(join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
  process.kill(pid, 'SIGQUIT');
  for (const end = Date.now() + 15_000; Date.now() < end;) {
    try {
      process.kill(pid, 0);
    } catch {
      return;
    }
    await sleep(20);
  }
  throw new Error('PostgreSQL did not stop');
}

interface Payment {
  key: string;
  user: SignedInUser;
  path: string;
  body: Record<string, unknown>;
  answers: Array<RawResponse | Error>;
  final?: RawResponse;
}

describe('R3: the database stopped immediately under load', () => {
  announce(TEST);
  const rng = batteryRng(`${TEST}:database`);
  const dataDir = mkdtempSync(join(tmpdir(), 'r3-pg-'));
  let port = 0;
  let pg: ChildProcess | undefined;
  let sim: SimulatorHandle;
  let t: TestApp;
  let db: DataSource;
  let backend: BackendProcess | undefined;
  const users: SignedInUser[] = [];

  beforeAll(async () => {
    port = await freePort();
    const launched = await launchPostgres(dataDir, port);
    pg = launched.child;
    const config = loadConfig({ NODE_ENV: 'test' });
    const migrator = new DataSource(buildDataSourceOptions(config.database, launched.url));
    await migrator.initialize();
    await runMigrationsLocked(migrator);
    await migrator.destroy();

    sim = await startSimulator({ port: 0, log: false, seed: `${RELIABILITY_SEED}:${TEST}:database` });
    t = await startTestApp(
      { ...UNCAPPED_EMONEY_LIMITS, DOKU_BASE_URL: sim.url, DOKU_TIMEOUT_MS, RECONCILER_NOT_FOUND_GRACE_MS: NOT_FOUND_GRACE_MS },
      launched.url,
    );
    t.config.app.publicBaseUrl = t.url;
    db = t.app.get(DataSource);
    for (let i = 0; i < 4; i++) {
      const u = await registerUser(t);
      await createBoundWallet({ t, sim, close: async () => undefined }, u, { balance: 100_000_000 });
      users.push(u);
    }
    backend = await startBackendProcess(launched.url, {
      ...UNCAPPED_EMONEY_LIMITS,
      DOKU_BASE_URL: sim.url,
      DOKU_TIMEOUT_MS,
      RECONCILER_NOT_FOUND_GRACE_MS: NOT_FOUND_GRACE_MS,
      RECONCILER_ENABLED: 'true',
      RECONCILER_INTERVAL_MS: '200',
    });
  });
  afterAll(async () => {
    await backend?.kill9();
    await t?.app.close().catch(() => undefined);
    await sim?.close();
    if (pg && pg.exitCode === null) pg.kill('SIGKILL');
    try {
      await stopImmediately(dataDir);
    } catch {
      // already stopped
    }
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('payments in flight when PostgreSQL stops: 503 while it is down, then all converge with 0 double debits', async () => {
    const http = new BatteryHttp(backend!.url, WORKERS * 2);
    const tally = new Tally();
    const problems: string[] = [];
    const payments: Payment[] = [];
    // Bank transfers need an inquiry first: made before the load, so the load is the money POSTs.
    const inquiries: Array<{ user: SignedInUser; inquiryId: string }> = [];
    for (let i = 0; i < WORKERS * sized(6, 20); i++) {
      const user = rng.pick(users);
      const r = await http.post(
        '/v1/bank-transfers/inquiries',
        { bankCode: '014', accountNumber: '8377388292', amount: rng.int(10_000, 90_000) },
        user.accessToken,
      );
      if (r.status !== 201) throw new Error(`inquiry failed: ${r.status} ${r.text}`);
      inquiries.push({ user, inquiryId: r.json.inquiryId as string });
    }

    // DOKU takes 100 ms, so at the moment the database stops most payments are between their two commits.
    sim.control.setFaults([
      { id: 'purchase-latency', endpoint: 'purchaseWeb', type: 'latency', latencyMs: 100 },
      { id: 'transfer-latency', endpoint: 'transferBankPayment', type: 'latency', latencyMs: 100 },
    ]);
    let phase: 'before' | 'outage' | 'after' | 'done' = 'before';
    const send = async (p: Payment) => {
      const answer = await http.post(p.path, p.body, p.user.accessToken, p.key).catch((e: unknown) => e as Error);
      p.answers.push(answer);
      if (answer instanceof Error) tally.add(`no answer (${phase})`);
      else tally.add(`${answer.status} (${phase})`);
    };
    const worker = async (w: number) => {
      for (let i = 0; phase !== 'done'; i++) {
        const inquiry = w % 2 === 1 ? inquiries.pop() : undefined;
        const user = inquiry?.user ?? rng.pick(users);
        const p: Payment = inquiry
          ? {
              key: `r3db-bt-${w}-${i}-${rng.hex(10)}`,
              user,
              path: '/v1/bank-transfers',
              body: { inquiryId: inquiry.inquiryId },
              answers: [],
            }
          : {
              key: `r3db-pur-${w}-${i}-${rng.hex(10)}`,
              user,
              path: '/v1/purchases',
              body: { amount: rng.int(1_000, 90_000), description: `R3 db ${w}/${i}` },
              answers: [],
            };
        payments.push(p);
        await send(p);
        if (phase === 'outage') await sleep(50);
      }
    };
    const t0 = Date.now();
    const load = Promise.all(Array.from({ length: WORKERS }, (_, w) => worker(w)));
    await sleep(LOAD_BEFORE_MS);
    phase = 'outage';
    await stopImmediately(dataDir);
    pg!.kill('SIGKILL'); // its launcher: the server is already gone
    tally.add('database stopped');
    await sleep(OUTAGE_MS);
    const relaunched = await launchPostgres(dataDir, port);
    pg = relaunched.child;
    tally.add('database restarted');
    // Payments caught between commit 1 and commit 2 when the database stopped.
    const caughtSql = `SELECT count(*)::int AS caught FROM idempotency_keys WHERE status = 'IN_PROGRESS' AND transaction_id IS NOT NULL`;
    // The app's pool may first hand out a connection the stop cut: one retry.
    const [{ caught }] = (await db.query(caughtSql).catch(() => sleep(500).then(() => db.query(caughtSql)))) as Array<{ caught: number }>;
    tally.add('caught between commits', caught);
    phase = 'after';
    await sleep(LOAD_AFTER_MS);
    phase = 'done';
    await load;
    const loadMs = Date.now() - t0;

    // What the callers saw while the database was down: a clear, retryable 503, or 409 for a key
    // whose first request is still unsettled; never a 500, never a claimed outcome.
    for (const p of payments) {
      for (const a of p.answers) {
        if (a instanceof Error) {
          problems.push(`${p.key}: no answer (${a.message})`);
        } else if (a.status >= 500 && !(a.status === 503 && isStableErrorBody(a.json) && a.headers['retry-after'])) {
          problems.push(`${p.key}: ${a.status} ${a.text.slice(0, 200)}`);
        }
      }
    }

    // Every client retries with its own key until it gets a final answer; customers pay their purchases.
    const isFinal = (r: RawResponse) => r.status < 500 && r.status !== 409;
    for (const p of payments) {
      const last = p.answers[p.answers.length - 1];
      if (last && !(last instanceof Error) && isFinal(last)) p.final = last;
    }
    const t1 = Date.now();
    let retries = 0;
    const paid = new Set<string>();
    for (;;) {
      const open = payments.filter((p) => !p.final);
      await mapLimit(open, WORKERS, async (p) => {
        const r = await http.post(p.path, p.body, p.user.accessToken, p.key);
        retries++;
        if (isFinal(r)) p.final = r;
      });
      for (const tx of sim.control.transactions({ clientId: t.config.doku.clientId, type: 'PURCHASE' })) {
        if (paid.has(tx.partnerReferenceNo) || !['01', '02', '03'].includes(tx.status)) continue;
        sim.control.pay({ partnerReferenceNo: tx.partnerReferenceNo });
        paid.add(tx.partnerReferenceNo);
      }
      // The partner app reads a paid purchase once the customer is back from the PIN page, which
      // settles it with DOKU's status query (the reconciler would too, on its backoff schedule).
      const waiting = await db.query<Array<{ id: string; user_id: string }>>(
        `SELECT id, user_id FROM transactions WHERE type = 'PURCHASE' AND status IN ('PENDING','UNKNOWN')`,
      );
      await mapLimit(waiting, WORKERS, async (w) => {
        const owner = users.find((u) => u.id === w.user_id);
        if (owner) await http.get(`/v1/purchases/${w.id}`, owner.accessToken);
      });
      const [{ n }] = await db.query<Array<{ n: number }>>(
        `SELECT count(*)::int AS n FROM transactions WHERE status IN ('PENDING','UNKNOWN')`,
      );
      if ((payments.every((p) => p.final) && n === 0) || Date.now() - t1 > CONVERGE_MS) break;
      await sleep(300);
    }
    const convergeMs = Date.now() - t1;

    for (const p of payments) {
      if (!p.final) problems.push(`${p.key}: no final answer after ${CONVERGE_MS} ms`);
      else if (p.final.status >= 300 && !isStableErrorBody(p.final.json))
        problems.push(`${p.key}: final ${p.final.status} ${p.final.text.slice(0, 200)}`);
    }
    const keys = await db.query<Array<{ status: string; n: number }>>(
      `SELECT status, count(*)::int AS n FROM idempotency_keys WHERE key LIKE 'r3db-%' GROUP BY status`,
    );
    const inProgress = keys.find((k) => k.status === 'IN_PROGRESS')?.n ?? 0;

    const clientId = t.config.doku.clientId;
    const debits = new Tally();
    for (const kind of ['PURCHASE_DEBIT', 'TRANSFER_DEBIT']) {
      for (const e of sim.control.ledger({ clientId, kind }).entries) debits.add(e.partnerReferenceNo);
    }
    const doubleDebits = Object.values(debits.counts).filter((n) => n > 1).length;
    const recon = await reconcile(db, sim, clientId);
    const invariants = await invariantViolations(db);
    const outageAnswers = Object.entries(tally.counts)
      .filter(([k]) => k.endsWith('(outage)'))
      .reduce((a, [, n]) => a + n, 0);
    printFigures(TEST, {
      scenario: 'database stopped immediately',
      payments: payments.length,
      requests: http.requests,
      answers: tally.counts,
      faultsFired: {
        databaseStopped: tally.get('database stopped'),
        caughtBetweenCommits: tally.get('caught between commits'),
        requestsDuringOutage: outageAnswers,
      },
      debitsAtSimulator: Object.values(debits.counts).reduce((a, b) => a + b, 0),
      doubleDebits,
      retries,
      keysInProgress: inProgress,
      serverErrors: http.serverErrors,
      ...reconciliationFigures(recon),
      invariantViolations: invariants.length,
      problems: problems.length,
      loadMs,
      convergeMs,
    });
    await http.close();

    expect(problems.slice(0, 10)).toEqual([]);
    expect(
      belowMinimum(
        { ...tally.counts, requestsDuringOutage: outageAnswers },
        { 'database stopped': 1, 'database restarted': 1, 'caught between commits': 1, requestsDuringOutage: WORKERS },
      ),
    ).toEqual([]);
    expect(doubleDebits).toBe(0);
    expect(inProgress).toBe(0);
    expect(reconciliationBreaks(recon)).toEqual(NO_BREAKS);
    expect(recon.unresolved).toBe(0);
    expect(invariants).toEqual([]);
  });
});
