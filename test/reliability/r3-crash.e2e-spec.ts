import { DataSource } from 'typeorm';
import { until } from '../support/until';
import type { SignedInUser } from '../support/actors';
import { registerUser } from '../support/actors';
import type { BackendProcess } from '../support/backend-process';
import { startBackendProcess } from '../support/backend-process';
import { createBoundWallet } from '../support/wallet-fixtures';
import type { ReliabilityEnv } from './support/env';
import { startReliabilityEnv, UNCAPPED_EMONEY_LIMITS } from './support/env';
import { announce, batteryRng, belowMinimum, printFigures, RELIABILITY_SEED, sized, Tally } from './support/harness';
import type { RawResponse } from './support/http-client';
import { BatteryHttp, isStableErrorBody } from './support/http-client';
import { invariantViolations, NO_BREAKS, reconcile, reconciliationBreaks, reconciliationFigures } from './support/reconcile';

/**
 * R3 (docs/reliability.md), first half: the backend runs as a real child process and dies with SIGKILL
 * at each of the four points of a payment: after commit 1 (key + PENDING intent, DOKU not called),
 * during the DOKU call, after DOKU answered but before commit 2, and inside commit 2 (written, not
 * committed; where commit 2 is one statement, as for an accepted purchase, there is no inside: the
 * kill comes right after it, before the answer, and the key already holds that answer). The first and the last two are failpoints inside the process (src/common/failpoints.ts);
 * "during the DOKU call" is a kill from outside while the simulator holds the call.
 *
 * Pass: after a restart every intent converges to the simulator's truth, no reference is debited
 * twice, and a retry with the same Idempotency-Key gets the final response (not 409 forever, not a
 * second operation). Payments are purchases (money moves when the customer enters the PIN) and bank
 * transfers (money moves at once).
 */
const TEST = 'R3';
const ROUNDS = sized(1, 4); // crashes per (kill point, payment type)
const DOKU_TIMEOUT_MS = '1000'; // a key counts as abandoned after 4x this
const CONVERGE_MS = sized(120_000, 240_000);

jest.setTimeout(sized(360_000, 1_200_000));

const KILL_POINTS = ['money.after-intent-commit', 'during-doku-call', 'money.after-doku-outcome', 'money.inside-result-commit'] as const;
type KillPoint = (typeof KILL_POINTS)[number];
// DANA: a one-time DANA purchase (docs/channels.md), no wallet; money moves when the customer approves in DANA.
const PAYMENTS = ['PURCHASE', 'BANK_TRANSFER', 'DANA'] as const;
type Payment = (typeof PAYMENTS)[number];

interface Crash {
  point: KillPoint;
  payment: Payment;
  key: string;
  user: SignedInUser;
  path: string;
  body: Record<string, unknown>;
  transactionId?: string;
  reference?: string;
  /** Whether DOKU received the operation before the process died. */
  atDoku?: boolean;
  /** Purchases: what the customer did on DOKU's page after the crash. */
  customer?: 'paid' | 'failed';
  /** Commit 2 was one statement, sent before the kill: it committed, and the key holds the answer. */
  answeredBeforeCrash?: { status: number; body: { id?: string; status?: string } };
}

const ENDPOINT: Record<Payment, string> = { PURCHASE: 'purchaseWeb', BANK_TRANSFER: 'transferBankPayment', DANA: 'danaPayment' };
/** Payments whose accepted answer is committed in one statement, and whose money moves on the customer's page. */
const PAID_ON_A_PAGE: ReadonlySet<Payment> = new Set(['PURCHASE', 'DANA']);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('R3: kill -9 at every point of a payment', () => {
  announce(TEST);
  const rng = batteryRng(TEST);
  let env: ReliabilityEnv;
  let db: DataSource;
  let users: SignedInUser[];
  const children: BackendProcess[] = [];

  beforeAll(async () => {
    env = await startReliabilityEnv({ sim: { seed: `${RELIABILITY_SEED}:${TEST}` }, env: { DOKU_TIMEOUT_MS } });
    db = env.t.app.get(DataSource);
    users = [];
    for (let i = 0; i < 3; i++) {
      const u = await registerUser(env.t);
      await createBoundWallet(env, u, { balance: 50_000_000 });
      users.push(u);
    }
  });
  afterAll(async () => {
    await Promise.all(children.splice(0).map((c) => c.kill9()));
    await env?.close();
  });

  const backend = async (extra: Record<string, string>): Promise<BackendProcess> => {
    const b = await startBackendProcess(env.t.databaseUrl, {
      ...UNCAPPED_EMONEY_LIMITS,
      DOKU_BASE_URL: env.sim.url,
      DOKU_TIMEOUT_MS,
      ...extra,
    });
    children.push(b);
    return b;
  };
  const keyRow = async (key: string) =>
    (
      await db.query<Array<{ status: string; transaction_id: string | null; response_status: number | null; response_body: unknown }>>(
        `SELECT status, transaction_id, response_status, response_body FROM idempotency_keys WHERE key = $1`,
        [key],
      )
    )[0];
  const transactionRow = async (id: string) =>
    (
      await db.query<Array<{ status: string; partner_reference_no: string }>>(
        `SELECT status, partner_reference_no FROM transactions WHERE id = $1`,
        [id],
      )
    )[0];
  const atDoku = (reference: string) =>
    env.sim.control.transactions({ partnerReferenceNo: reference }).length > 0 ||
    env.sim.control.danaPayments().some((p) => p.partnerReferenceNo === reference);

  async function plan(point: KillPoint, payment: Payment, i: number): Promise<Crash> {
    const user = rng.pick(users);
    const key = `r3-${payment}-${point}-${i}-${rng.hex(12)}`;
    if (payment === 'PURCHASE') {
      return { point, payment, key, user, path: '/v1/purchases', body: { amount: rng.int(1_000, 90_000), description: `R3 order ${i}` } };
    }
    if (payment === 'DANA') {
      const body = { amount: rng.int(1_000, 90_000), description: `R3 DANA order ${i}`, paymentMethod: 'DANA', deviceId: `r3device${i}` };
      return { point, payment, key, user, path: '/v1/purchases', body };
    }
    const inquiry = await env.http.post(
      '/v1/bank-transfers/inquiries',
      { bankCode: '014', accountNumber: '8377388292', amount: rng.int(10_000, 90_000) },
      user.accessToken,
    );
    if (inquiry.status !== 201) throw new Error(`inquiry failed: ${inquiry.status} ${inquiry.text}`);
    return { point, payment, key, user, path: '/v1/bank-transfers', body: { inquiryId: inquiry.json.inquiryId } };
  }

  /** Runs one payment on a backend that dies at `crash.point`, then checks what the crash left behind. */
  async function crashOnce(crash: Crash, tally: Tally, problems: string[]): Promise<void> {
    const during = crash.point === 'during-doku-call';
    const child = await backend(during ? {} : { FAILPOINTS: crash.point });
    const http = new BatteryHttp(child.url, 2);
    const faultId = `hold-${crash.key}`;
    if (during)
      env.sim.control.setFaults([{ id: faultId, endpoint: ENDPOINT[crash.payment] as never, type: 'latency', latencyMs: 700, times: 1 }]);
    const answer = http.post(crash.path, crash.body, crash.user.accessToken, crash.key).then(
      (r) => r,
      (e: unknown) => e as Error,
    );
    if (during) {
      for (const end = Date.now() + 15_000; (env.sim.control.listFaults().rules.find((r) => r.id === faultId)?.fired ?? 0) === 0;) {
        if (Date.now() > end) throw new Error(`${crash.key}: the call never reached the simulator`);
        await sleep(5);
      }
      await child.kill9();
    }
    const got = await answer;
    await child.kill9(); // already dead by its own failpoint: this only waits for the exit
    await http.close().catch(() => undefined);
    env.sim.control.clearFaults();
    if (!(got instanceof Error)) {
      problems.push(`${crash.key}: the caller got an answer (${got.status}) from a process that should have died`);
      return;
    }
    if (child.child.signalCode !== 'SIGKILL')
      problems.push(`${crash.key}: the process ended with ${child.child.exitCode ?? child.child.signalCode}, not SIGKILL`);
    else tally.add(`${crash.payment} ${crash.point}`);

    // Commit 1 survived; nothing of commit 2 did (the inside-commit kill rolled it back), unless
    // commit 2 is one statement: then it is complete, with the answer the caller never got.
    const key = await keyRow(crash.key);
    const oneStatementCommit =
      crash.point === 'money.inside-result-commit' && PAID_ON_A_PAGE.has(crash.payment) && key?.status === 'COMPLETED';
    if (oneStatementCommit && key.transaction_id && key.response_status === 201) {
      crash.answeredBeforeCrash = { status: key.response_status, body: key.response_body as { id?: string; status?: string } };
    } else if (!key?.transaction_id || key.status !== 'IN_PROGRESS') {
      problems.push(`${crash.key}: after the crash the key is ${JSON.stringify(key)}`);
      return;
    }
    crash.transactionId = key.transaction_id;
    const intent = await transactionRow(key.transaction_id);
    crash.reference = intent.partner_reference_no;
    if (intent.status !== 'PENDING') problems.push(`${crash.key}: after the crash the intent is ${intent.status}, not PENDING`);
    // DOKU finishes a call the dead process made (a held call completes after the kill).
    if (crash.point !== 'money.after-intent-commit') {
      for (const end = Date.now() + 5_000; !atDoku(crash.reference) && Date.now() < end;) await sleep(20);
    }
    crash.atDoku = atDoku(crash.reference);
    if (crash.atDoku !== (crash.point !== 'money.after-intent-commit')) {
      problems.push(`${crash.key}: at DOKU=${crash.atDoku} after a kill at ${crash.point}`);
    }
  }

  it(`${ROUNDS} crash(es) at each of 4 points x ${PAYMENTS.length} payment types, then one restart: all converge, 0 double debits`, async () => {
    const t0 = Date.now();
    const tally = new Tally();
    const problems: string[] = [];
    const crashes: Crash[] = [];
    for (let i = 0; i < ROUNDS; i++) {
      for (const point of KILL_POINTS) for (const payment of PAYMENTS) crashes.push(await plan(point, payment, i));
    }
    for (const crash of rng.shuffle(crashes)) await crashOnce(crash, tally, problems);
    const crashMs = Date.now() - t0;

    // The world goes on while we are down: customers act on DOKU's PIN page (at least one pays and
    // one gives up, when there are two).
    for (const payment of ['PURCHASE', 'DANA'] as const) {
      const onPinPage = rng.shuffle(crashes.filter((c) => c.payment === payment && c.atDoku && c.reference));
      onPinPage.forEach((c, i) => {
        c.customer = i === 0 ? 'paid' : i === 1 ? 'failed' : rng.next() < 0.7 ? 'paid' : 'failed';
        if (payment === 'DANA')
          env.sim.control.danaPay({ partnerReferenceNo: c.reference!, outcome: c.customer === 'paid' ? 'approve' : 'decline' });
        else env.sim.control.pay({ partnerReferenceNo: c.reference!, outcome: c.customer === 'paid' ? 'success' : 'fail' });
        tally.add(`customer ${c.customer}`);
        if (payment === 'DANA') tally.add(`DANA customer ${c.customer}`);
      });
    }

    // One restart, reconciler on as in production. Every client retries with its own key until it
    // gets the final answer.
    // Intents DOKU never received become FAILED once "not found" outlives the grace period: short
    // here (above the DOKU timeout, as loadConfig requires), so the test need not wait minutes.
    const restarted = await backend({ RECONCILER_ENABLED: 'true', RECONCILER_INTERVAL_MS: '200', RECONCILER_NOT_FOUND_GRACE_MS: '2000' });
    const http = new BatteryHttp(restarted.url, 16);
    const t1 = Date.now();
    const finals = new Map<string, RawResponse>();
    let retries = 0;
    while (finals.size < crashes.length && Date.now() - t1 < CONVERGE_MS) {
      for (const c of crashes) {
        if (finals.has(c.key)) continue;
        const r = await http.post(c.path, c.body, c.user.accessToken, c.key);
        retries++;
        if (r.status === 409 && isStableErrorBody(r.json) && r.json.error.code === 'IDEMPOTENCY.IN_FLIGHT') continue;
        finals.set(c.key, r);
      }
      if (finals.size < crashes.length) await sleep(250);
    }
    const convergeMs = Date.now() - t1;

    for (const c of crashes) {
      const final = finals.get(c.key);
      if (!final) {
        problems.push(`${c.key}: still 409 after ${CONVERGE_MS} ms`);
        continue;
      }
      if (final.headers['idempotent-replayed'] !== 'true') problems.push(`${c.key}: the retry ran the payment again (${final.status})`);
      const expected: Record<Payment, Record<string, string>> = {
        PURCHASE: { paid: 'SUCCESS', failed: 'FAILED', none: 'FAILED' },
        // A transfer DOKU never received is not failed: the reconciler sends it again with its own
        // reference (docs/money-rules.md), so it ends executed once either way.
        BANK_TRANSFER: { paid: 'SUCCESS', failed: 'FAILED', none: 'SUCCESS' },
        // A DANA payment DOKU never received cannot have been paid: failed past the grace period.
        DANA: { paid: 'SUCCESS', failed: 'FAILED', none: 'FAILED' },
      };
      const want = expected[c.payment][c.customer ?? 'none'];
      // The retry's final answer can come before the reconciler has asked DOKU about a payment the
      // customer settled on DOKU's page while we were down: converged means within a while, not at once.
      const row = await until(
        () => transactionRow(c.transactionId!),
        (r) => r.status === want,
        30_000,
      );
      if (row.status !== want) problems.push(`${c.key}: converged to ${row.status}, DOKU says ${want}`);
      if (c.answeredBeforeCrash) {
        // The answer committed with commit 2 is the key's answer, whatever happened since.
        const { status, body } = c.answeredBeforeCrash;
        if (
          final.status !== status ||
          body.id !== c.transactionId ||
          body.status !== 'PENDING' ||
          JSON.stringify(final.json) !== JSON.stringify(body)
        )
          problems.push(
            `${c.key}: final answer ${final.status} ${final.text.slice(0, 300)}, stored before the crash ${JSON.stringify(body)}`,
          );
      } else if (final.status >= 200 && final.status < 300) {
        if (final.json?.id !== c.transactionId || final.json?.status !== row.status)
          problems.push(`${c.key}: final answer ${final.text.slice(0, 300)} for ${row.status}`);
      } else if (final.status >= 400 && final.status < 500) {
        // A declined payment names its transaction (purchases call it purchaseId).
        const named = final.json?.error?.details?.transactionId ?? final.json?.error?.details?.purchaseId;
        if (!isStableErrorBody(final.json) || named !== c.transactionId || row.status !== 'FAILED') {
          problems.push(`${c.key}: final answer ${final.status} ${final.text.slice(0, 300)} for ${row.status}`);
        }
      } else problems.push(`${c.key}: final answer ${final.status} ${final.text.slice(0, 300)}`);
      // Asking again gives the same answer.
      const again = await http.post(c.path, c.body, c.user.accessToken, c.key);
      if (again.status !== final.status || again.text !== final.text) problems.push(`${c.key}: a second retry answered differently`);
    }

    const clientId = env.t.config.doku.clientId;
    const debits = new Tally();
    for (const kind of ['PURCHASE_DEBIT', 'TRANSFER_DEBIT', 'DANA_DEBIT']) {
      for (const e of env.sim.control.ledger({ clientId, kind }).entries) debits.add(e.partnerReferenceNo);
    }
    const doubleDebits = Object.values(debits.counts).filter((n) => n > 1).length;
    const recon = await reconcile(db, env.sim, clientId);
    const invariants = await invariantViolations(db);
    const minimum = {
      ...Object.fromEntries(KILL_POINTS.flatMap((p) => PAYMENTS.map((m) => [`${m} ${p}`, ROUNDS]))),
      'customer paid': 1,
      'customer failed': 1,
      'DANA customer paid': 1,
      'DANA customer failed': 1,
    };
    printFigures(TEST, {
      scenario: 'kill -9 at four points',
      crashes: crashes.length,
      faultsFired: tally.counts,
      debitsAtSimulator: Object.values(debits.counts).reduce((a, b) => a + b, 0),
      doubleDebits,
      retries,
      serverErrors: http.serverErrors,
      ...reconciliationFigures(recon),
      invariantViolations: invariants.length,
      problems: problems.length,
      crashMs,
      convergeMs,
    });
    await http.close();

    expect(problems.slice(0, 10)).toEqual([]);
    expect(belowMinimum(tally.counts, minimum)).toEqual([]);
    expect(doubleDebits).toBe(0);
    expect(http.serverErrors).toBe(0);
    expect(reconciliationBreaks(recon)).toEqual(NO_BREAKS);
    expect(recon.unresolved).toBe(0);
    expect(invariants).toEqual([]);
  });
});
