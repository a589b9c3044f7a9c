import { isDeepStrictEqual } from 'node:util';
import { DataSource } from 'typeorm';
import type { SignedInUser } from '../support/actors';
import { registerUser } from '../support/actors';
import { createBoundWallet } from '../support/wallet-fixtures';
import type { ReliabilityEnv } from './support/env';
import { startReliabilityEnv } from './support/env';
import { announce, Barrier, batteryRng, belowMinimum, mapLimit, printFigures, RELIABILITY_SEED, sized, Tally } from './support/harness';
import type { RawResponse } from './support/http-client';
import { isStableErrorBody } from './support/http-client';
import { invariantViolations, NO_BREAKS, reconcile, reconciliationBreaks, reconciliationFigures } from './support/reconcile';

/**
 * R1 (docs/reliability.md): N distinct Idempotency-Keys x M concurrent identical money POSTs each,
 * released together; K keys re-sent with another body. Pass: exactly N operations at the simulator,
 * 1 intent per key, responses identical or 409-then-identical, mismatches 422 with 0 extra
 * operations, 0 5xx. Purchases debit only after the PIN, so the simulator's purchase records are
 * counted at once and its debits after every purchase is paid; bank transfers debit at once.
 */
const TEST = 'R1';
const N = sized(20, 200); // distinct keys (purchases)
const M = sized(10, 50); // concurrent identical POSTs per key
const K = sized(5, 20); // keys re-sent with another amount
const USERS = sized(4, 10);
const WAVE_KEYS = sized(20, 20); // keys released together per wave: N x M requests in N / WAVE_KEYS waves
const TRANSFER_KEYS = sized(6, 40);
const TRANSFER_M = sized(10, 20);
const TRANSFER_K = sized(2, 10);
const DANA_KEYS = sized(10, 60); // DANA purchases (docs/channels.md): no wallet, paid once in DANA
const DANA_K = sized(3, 10);
const LATENCY_MS = 150; // widens the in-flight window so concurrent duplicates really overlap

jest.setTimeout(sized(120_000, 900_000));

interface KeyPlan {
  key: string;
  user: SignedInUser;
  body: Record<string, unknown>;
}

interface KeyOutcome {
  plan: KeyPlan;
  winner?: RawResponse;
  responses: RawResponse[];
}

/** Parsed bodies compared as values: a replay comes out of jsonb, so its key order may differ. */
const sameAnswer = (a: RawResponse, b: RawResponse) => a.status === b.status && isDeepStrictEqual(a.json, b.json);

describe('R1: idempotency keys under concurrent identical requests', () => {
  announce(TEST);
  const rng = batteryRng(TEST);
  let env: ReliabilityEnv;
  let db: DataSource;
  let users: SignedInUser[];
  const started = Date.now();

  beforeAll(async () => {
    env = await startReliabilityEnv({
      sim: { seed: `${RELIABILITY_SEED}:${TEST}` },
      env: { DOKU_TIMEOUT_MS: '20000' },
      connections: WAVE_KEYS * M + 32,
    });
    db = env.t.app.get(DataSource);
    users = [];
    for (let i = 0; i < USERS; i++) {
      const u = await registerUser(env.t);
      await createBoundWallet(env, u, { balance: 15_000_000 });
      users.push(u);
    }
    env.sim.control.setFaults(
      [
        { id: 'purchase-latency', endpoint: 'purchaseWeb', type: 'latency', latencyMs: LATENCY_MS },
        { id: 'transfer-latency', endpoint: 'transferBankPayment', type: 'latency', latencyMs: LATENCY_MS },
        { id: 'dana-latency', endpoint: 'danaPayment', type: 'latency', latencyMs: LATENCY_MS },
      ],
      `${RELIABILITY_SEED}:${TEST}`,
    );
  });
  afterAll(async () => {
    await env?.close();
  });

  /** Sends M identical requests per key of `plans`, all released by one barrier, and collects them. */
  async function burst(plans: KeyPlan[], m: number, path: string): Promise<KeyOutcome[]> {
    const barrier = new Barrier(plans.length * m);
    const outcomes = plans.map((plan) => ({ plan, responses: [] as RawResponse[] }));
    await Promise.all(
      outcomes.flatMap((o) =>
        Array.from({ length: m }, async () => {
          await barrier.arrive();
          o.responses.push(await env.http.post(path, o.plan.body, o.plan.user.accessToken, o.plan.key));
        }),
      ),
    );
    return outcomes;
  }

  /** Per key: every answer is the one final answer or a 409 in flight; a later retry gets the final answer again. */
  async function checkKeys(outcomes: KeyOutcome[], path: string, okStatus: number, tally: Tally, problems: string[]): Promise<void> {
    for (const o of outcomes) {
      const finals = o.responses.filter((r) => r.status !== 409);
      const inFlight = o.responses.filter((r) => r.status === 409);
      tally.add('inFlight409', inFlight.length);
      tally.add('concurrentFinal', finals.length);
      for (const r of inFlight) {
        if (!isStableErrorBody(r.json) || r.json.error.code !== 'IDEMPOTENCY.IN_FLIGHT' || !r.headers['retry-after']) {
          problems.push(`${o.plan.key}: a 409 that is not IDEMPOTENCY.IN_FLIGHT with Retry-After: ${r.text.slice(0, 200)}`);
        }
      }
      const first = finals[0];
      if (!first) {
        problems.push(`${o.plan.key}: no final answer among ${o.responses.length}`);
        continue;
      }
      if (first.status !== okStatus) problems.push(`${o.plan.key}: final answer ${first.status} ${first.text.slice(0, 200)}`);
      for (const r of finals) if (!sameAnswer(r, first)) problems.push(`${o.plan.key}: two different answers ${first.status}/${r.status}`);
      o.winner = first;
      // 409-then-identical: the retry after the burst gets the same answer, marked as a replay.
      const again = await env.http.post(path, o.plan.body, o.plan.user.accessToken, o.plan.key);
      tally.add('replayed', again.headers['idempotent-replayed'] === 'true' ? 1 : 0);
      if (!sameAnswer(again, first) || again.headers['idempotent-replayed'] !== 'true') {
        problems.push(
          `${o.plan.key}: retry answered ${again.status} ${again.text.slice(0, 200)} (replayed=${again.headers['idempotent-replayed']})`,
        );
      }
    }
  }

  /** K keys re-sent (concurrently, a few times each) with another body: 422 every time. */
  async function mismatches(
    plans: KeyPlan[],
    path: string,
    other: (p: KeyPlan) => Record<string, unknown>,
    tally: Tally,
    problems: string[],
  ): Promise<void> {
    const altered = plans.map((p) => ({ ...p, body: other(p) }));
    const outcomes = await burst(altered, 3, path);
    for (const o of outcomes) {
      for (const r of o.responses) {
        tally.add('bodyMismatch');
        if (r.status !== 422 || !isStableErrorBody(r.json) || r.json.error.code !== 'IDEMPOTENCY.KEY_REUSED') {
          problems.push(`${o.plan.key}: another body answered ${r.status} ${r.text.slice(0, 200)}`);
        } else tally.add('mismatch422');
      }
    }
  }

  it(`purchases: ${N} keys x ${M} concurrent identical POSTs, ${K} re-sent with another amount`, async () => {
    const t0 = Date.now();
    const http5xxBefore = env.http.serverErrors;
    const requestsBefore = env.http.requests;
    const tally = new Tally();
    const problems: string[] = [];
    const plans: KeyPlan[] = Array.from({ length: N }, (_, i) => ({
      key: `r1-pur-${i}-${rng.hex(16)}`,
      user: rng.pick(users),
      body: { amount: rng.int(1_000, 100_000), description: `R1 order ${i}` },
    }));

    const outcomes: KeyOutcome[] = [];
    for (let w = 0; w < plans.length; w += WAVE_KEYS) {
      outcomes.push(...(await burst(plans.slice(w, w + WAVE_KEYS), M, '/v1/purchases')));
    }
    await checkKeys(outcomes, '/v1/purchases', 201, tally, problems);

    const simPurchases = () => env.sim.control.transactions({ clientId: env.t.config.doku.clientId, type: 'PURCHASE' });
    const createdAtSim = simPurchases().length;
    const mismatchPlans = rng.shuffle(plans).slice(0, K);
    await mismatches(mismatchPlans, '/v1/purchases', (p) => ({ ...p.body, amount: (p.body.amount as number) + 1 }), tally, problems);
    const afterMismatch = simPurchases().length;

    // One intent per key: each key names exactly one transaction, and no two keys share one.
    const keyRows = await db.query<
      Array<{ key: string; status: string; transaction_id: string | null; partner_reference_no: string | null; amount: number }>
    >(
      `SELECT k.key, k.status, k.transaction_id, t.partner_reference_no, t.amount::int AS amount
         FROM idempotency_keys k LEFT JOIN transactions t ON t.id = k.transaction_id WHERE k.key LIKE 'r1-pur-%'`,
    );
    const intents = Number(
      (await db.query<Array<{ n: number }>>(`SELECT COUNT(*)::int AS n FROM transactions WHERE type = 'PURCHASE'`))[0].n,
    );
    const byKey = new Map(keyRows.map((r) => [r.key, r]));
    for (const o of outcomes) {
      const row = byKey.get(o.plan.key);
      if (!row || row.status !== 'COMPLETED' || !row.transaction_id) problems.push(`${o.plan.key}: key row ${JSON.stringify(row)}`);
      else if (o.winner && o.winner.json?.id !== row.transaction_id)
        problems.push(`${o.plan.key}: answered ${o.winner.json?.id}, key holds ${row.transaction_id}`);
      else if (row.amount !== o.plan.body.amount)
        problems.push(`${o.plan.key}: intent amount ${row.amount}, asked ${String(o.plan.body.amount)}`);
    }
    const distinctIntents = new Set(keyRows.map((r) => r.transaction_id)).size;

    // The user enters the PIN on every purchase; reading each one settles it with Query Purchase.
    await mapLimit(keyRows, 16, async (row) => {
      env.sim.control.pay({ partnerReferenceNo: row.partner_reference_no as string });
      const owner = outcomes.find((o) => o.plan.key === row.key)!.plan.user;
      const read = await env.http.get(`/v1/purchases/${row.transaction_id}`, owner.accessToken);
      if (read.status !== 200 || read.json?.status !== 'SUCCESS')
        problems.push(`${row.key}: after the PIN ${read.status} ${read.text.slice(0, 200)}`);
    });
    const ledger = env.sim.control.ledger({ clientId: env.t.config.doku.clientId, kind: 'PURCHASE_DEBIT' });
    const recon = await reconcile(db, env.sim, env.t.config.doku.clientId);
    const invariants = await invariantViolations(db);
    const faults = Object.fromEntries(env.sim.control.listFaults().rules.map((r) => [r.id, r.fired]));
    const fired = { ...tally.counts, purchaseLatency: faults['purchase-latency'] ?? 0 };
    const minimum = { purchaseLatency: N, inFlight409: 1, replayed: N, mismatch422: K * 3 };
    const serverErrors = env.http.serverErrors - http5xxBefore;

    printFigures(TEST, {
      scenario: 'purchases',
      keys: N,
      concurrentPerKey: M,
      mismatchKeys: K,
      requests: env.http.requests - requestsBefore,
      faultsFired: fired,
      purchasesAtSimulator: createdAtSim,
      purchasesAtSimulatorAfterMismatches: afterMismatch,
      intents,
      distinctIntents,
      debitsAtSimulator: ledger.debitCount,
      ...reconciliationFigures(recon),
      invariantViolations: invariants.length,
      serverErrors,
      problems: problems.length,
      ms: Date.now() - t0,
    });

    expect(problems.slice(0, 10)).toEqual([]);
    expect(belowMinimum(fired, minimum)).toEqual([]);
    expect({ createdAtSim, afterMismatch, intents, distinctIntents, keys: keyRows.length }).toEqual({
      createdAtSim: N,
      afterMismatch: N,
      intents: N,
      distinctIntents: N,
      keys: N,
    });
    expect(ledger.debitCount).toBe(N);
    expect(new Set(ledger.entries.map((e) => e.partnerReferenceNo)).size).toBe(N);
    expect(reconciliationBreaks(recon)).toEqual(NO_BREAKS);
    expect(recon.match).toBe(N);
    expect(invariants).toEqual([]);
    expect(serverErrors).toBe(0);
  });

  it(`bank transfers: ${TRANSFER_KEYS} keys x ${TRANSFER_M} concurrent identical POSTs debit exactly once per key`, async () => {
    const t0 = Date.now();
    const http5xxBefore = env.http.serverErrors;
    const requestsBefore = env.http.requests;
    const tally = new Tally();
    const problems: string[] = [];
    const clientId = env.t.config.doku.clientId;
    const debitsBefore = env.sim.control.ledger({ clientId, kind: 'TRANSFER_DEBIT' }).debitCount;

    const plans: KeyPlan[] = [];
    for (let i = 0; i < TRANSFER_KEYS; i++) {
      const user = rng.pick(users);
      const inquiry = await env.http.post(
        '/v1/bank-transfers/inquiries',
        { bankCode: '014', accountNumber: '8377388292', amount: rng.int(10_000, 50_000) },
        user.accessToken,
      );
      if (inquiry.status !== 201) throw new Error(`inquiry failed: ${inquiry.status} ${inquiry.text}`);
      plans.push({ key: `r1-bt-${i}-${rng.hex(16)}`, user, body: { inquiryId: inquiry.json.inquiryId } });
    }
    const outcomes: KeyOutcome[] = [];
    for (let w = 0; w < plans.length; w += WAVE_KEYS) {
      outcomes.push(...(await burst(plans.slice(w, w + WAVE_KEYS), TRANSFER_M, '/v1/bank-transfers')));
    }
    await checkKeys(outcomes, '/v1/bank-transfers', 201, tally, problems);
    for (const o of outcomes)
      if (o.winner && o.winner.json?.status !== 'SUCCESS') problems.push(`${o.plan.key}: transfer ${o.winner.text.slice(0, 200)}`);

    // Same key, another inquiry (of the same user): 422 and no debit.
    const mismatchPlans = rng.shuffle(plans).slice(0, TRANSFER_K);
    const otherInquiries = new Map<string, string>();
    for (const p of mismatchPlans) {
      const other = await env.http.post(
        '/v1/bank-transfers/inquiries',
        { bankCode: '014', accountNumber: '8377388292', amount: 10_000 },
        p.user.accessToken,
      );
      otherInquiries.set(p.key, other.json.inquiryId as string);
    }
    await mismatches(mismatchPlans, '/v1/bank-transfers', (p) => ({ inquiryId: otherInquiries.get(p.key) }), tally, problems);

    const ledger = env.sim.control.ledger({ clientId, kind: 'TRANSFER_DEBIT' });
    const perReference = new Tally();
    for (const e of ledger.entries) perReference.add(e.partnerReferenceNo);
    for (const o of outcomes) {
      const ref = o.winner?.json?.partnerReferenceNo as string | undefined;
      if (!ref || perReference.get(ref) !== 1) problems.push(`${o.plan.key}: ${perReference.get(ref ?? '')} debits for ${ref}`);
    }
    const intents = Number(
      (await db.query<Array<{ n: number }>>(`SELECT COUNT(*)::int AS n FROM transactions WHERE type = 'BANK_TRANSFER'`))[0].n,
    );
    const recon = await reconcile(db, env.sim, clientId);
    const invariants = await invariantViolations(db);
    const faults = Object.fromEntries(env.sim.control.listFaults().rules.map((r) => [r.id, r.fired]));
    const fired = { ...tally.counts, transferLatency: faults['transfer-latency'] ?? 0 };
    const minimum = { transferLatency: TRANSFER_KEYS, inFlight409: 1, replayed: TRANSFER_KEYS, mismatch422: TRANSFER_K * 3 };
    const serverErrors = env.http.serverErrors - http5xxBefore;
    const debits = ledger.debitCount - debitsBefore;

    printFigures(TEST, {
      scenario: 'bankTransfers',
      keys: TRANSFER_KEYS,
      concurrentPerKey: TRANSFER_M,
      mismatchKeys: TRANSFER_K,
      requests: env.http.requests - requestsBefore,
      faultsFired: fired,
      debitsAtSimulator: debits,
      intents,
      ...reconciliationFigures(recon),
      invariantViolations: invariants.length,
      serverErrors,
      problems: problems.length,
      ms: Date.now() - t0,
      totalMs: Date.now() - started,
    });

    expect(problems.slice(0, 10)).toEqual([]);
    expect(belowMinimum(fired, minimum)).toEqual([]);
    expect({ debits, intents }).toEqual({ debits: TRANSFER_KEYS, intents: TRANSFER_KEYS });
    expect(reconciliationBreaks(recon)).toEqual(NO_BREAKS);
    expect(invariants).toEqual([]);
    expect(serverErrors).toBe(0);
  });

  it(`DANA purchases: ${DANA_KEYS} keys x ${M} concurrent identical POSTs make exactly one DANA payment per key`, async () => {
    const t0 = Date.now();
    const http5xxBefore = env.http.serverErrors;
    const requestsBefore = env.http.requests;
    const tally = new Tally();
    const problems: string[] = [];
    const clientId = env.t.config.doku.clientId;
    // DANA needs no wallet: users without one pay too.
    const danaUsers = [...users, await registerUser(env.t)];
    const plans: KeyPlan[] = Array.from({ length: DANA_KEYS }, (_, i) => ({
      key: `r1-dana-${i}-${rng.hex(16)}`,
      user: rng.pick(danaUsers),
      body: { amount: rng.int(1_000, 100_000), description: `R1 DANA order ${i}`, paymentMethod: 'DANA', deviceId: `r1device${i}` },
    }));
    const outcomes: KeyOutcome[] = [];
    for (let w = 0; w < plans.length; w += WAVE_KEYS) {
      outcomes.push(...(await burst(plans.slice(w, w + WAVE_KEYS), M, '/v1/purchases')));
    }
    await checkKeys(outcomes, '/v1/purchases', 201, tally, problems);
    const paymentsAtSim = () => env.sim.control.danaPayments({ clientId }).length;
    const createdAtSim = paymentsAtSim();
    await mismatches(
      rng.shuffle(plans).slice(0, DANA_K),
      '/v1/purchases',
      (p) => ({ ...p.body, amount: (p.body.amount as number) + 1 }),
      tally,
      problems,
    );
    const afterMismatch = paymentsAtSim();

    const keyRows = await db.query<
      Array<{ key: string; transaction_id: string | null; partner_reference_no: string | null; payment_method: string }>
    >(
      `SELECT k.key, k.transaction_id, t.partner_reference_no, t.payment_method
         FROM idempotency_keys k LEFT JOIN transactions t ON t.id = k.transaction_id WHERE k.key LIKE 'r1-dana-%'`,
    );
    const intents = Number(
      (await db.query<Array<{ n: number }>>(`SELECT COUNT(*)::int AS n FROM transactions WHERE payment_method = 'DANA'`))[0].n,
    );
    for (const row of keyRows) if (row.payment_method !== 'DANA') problems.push(`${row.key}: stored as ${row.payment_method}`);
    const distinctIntents = new Set(keyRows.map((r) => r.transaction_id)).size;

    // The customer approves every payment in DANA; reading each one settles it with DANA's status query.
    await mapLimit(keyRows, 16, async (row) => {
      env.sim.control.danaPay({ partnerReferenceNo: row.partner_reference_no as string, outcome: 'approve' });
      const owner = outcomes.find((o) => o.plan.key === row.key)!.plan.user;
      const read = await env.http.get(`/v1/purchases/${row.transaction_id}`, owner.accessToken);
      if (read.status !== 200 || read.json?.status !== 'SUCCESS' || read.json?.paymentMethod !== 'DANA')
        problems.push(`${row.key}: after approval ${read.status} ${read.text.slice(0, 200)}`);
    });
    const ledger = env.sim.control.ledger({ clientId, kind: 'DANA_DEBIT' });
    const recon = await reconcile(db, env.sim, clientId);
    const invariants = await invariantViolations(db);
    const faults = Object.fromEntries(env.sim.control.listFaults().rules.map((r) => [r.id, r.fired]));
    const fired = { ...tally.counts, danaLatency: faults['dana-latency'] ?? 0 };
    const minimum = { danaLatency: DANA_KEYS, inFlight409: 1, replayed: DANA_KEYS, mismatch422: DANA_K * 3 };
    const serverErrors = env.http.serverErrors - http5xxBefore;

    printFigures(TEST, {
      scenario: 'danaPurchases',
      keys: DANA_KEYS,
      concurrentPerKey: M,
      mismatchKeys: DANA_K,
      requests: env.http.requests - requestsBefore,
      faultsFired: fired,
      paymentsAtSimulator: createdAtSim,
      paymentsAtSimulatorAfterMismatches: afterMismatch,
      intents,
      distinctIntents,
      debitsAtSimulator: ledger.debitCount,
      ...reconciliationFigures(recon),
      invariantViolations: invariants.length,
      serverErrors,
      problems: problems.length,
      ms: Date.now() - t0,
      totalMs: Date.now() - started,
    });

    expect(problems.slice(0, 10)).toEqual([]);
    expect(belowMinimum(fired, minimum)).toEqual([]);
    expect({ createdAtSim, afterMismatch, intents, distinctIntents, keys: keyRows.length }).toEqual({
      createdAtSim: DANA_KEYS,
      afterMismatch: DANA_KEYS,
      intents: DANA_KEYS,
      distinctIntents: DANA_KEYS,
      keys: DANA_KEYS,
    });
    expect(ledger.debitCount).toBe(DANA_KEYS);
    expect(new Set(ledger.entries.map((e) => e.partnerReferenceNo)).size).toBe(DANA_KEYS);
    expect(reconciliationBreaks(recon)).toEqual(NO_BREAKS);
    expect(invariants).toEqual([]);
    expect(serverErrors).toBe(0);
  });
});
