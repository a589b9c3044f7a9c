import { DataSource } from 'typeorm';
import type { SignedInUser } from '../support/actors';
import { registerUser, serviceToken } from '../support/actors';
import type { ChannelOp } from './support/channel-faults';
import {
  channelFaultRules,
  channelRun,
  faultedCalls,
  landedAtSimulator,
  MONEY_FAULTS,
  startFaultBatteryEnv,
} from './support/channel-faults';
import { closedAfterEach } from './support/env';
import { announce, batteryRng, belowMinimum, mapLimit, printFigures, RELIABILITY_SEED, sized, Tally } from './support/harness';
import {
  CONCURRENCY,
  CONVERGE_MS,
  LATENCY_MS,
  MAIN,
  makePlan,
  POLL_MS,
  QUERY_FAULT_P,
  QUERY_FAULTS,
  runPlan,
  TEST,
  TIMINGS,
} from './support/r2-plan';
import { invariantViolations, reconcile, reconciliationFigures } from './support/reconcile';

/**
 * R2 (docs/reliability.md): the main plan of purchases, cancels, refunds, bank transfers and top-ups
 * under injected DOKU faults (support/r2-plan.ts says what is injected and what must hold), and DANA
 * one-time payments and their refunds under the same faults. The same seed giving the same final
 * state is r2-determinism.e2e-spec.ts.
 */
/** DANA one-time payments (docs/channels.md) under the same faults, with one refund of each paid one. */
const DANA_PAYMENTS = sized(40, 400);
/** Higher than FAULT_P: the DANA run is small, and every fault type must fire in it (about 65 money calls). */
const DANA_FAULT_P = 0.12;
const DANA_ENDPOINTS = ['danaPayment', 'danaRefund'] as const;
/** The DANA scenario's payments: each amount unique (the faults are keyed on it). */
const danaPaymentAmount = (i: number): number => 50_000 + i;

jest.setTimeout(sized(170_000, 3_600_000));

describe('R2: money operations under injected DOKU faults', () => {
  announce(TEST);
  const opened = closedAfterEach();

  const mainName = `${MAIN.purchases} purchases (with cancels and refunds), ${MAIN.transfers} transfers, ${MAIN.topUps} top-ups under faults`;
  it(`${mainName} converge with 0 lost, 0 double-applied, 0 unresolved`, async () => {
    const plan = makePlan('main', batteryRng(TEST).fork('main'), MAIN);
    const run = await runPlan(plan, `${RELIABILITY_SEED}:${TEST}:main`);
    opened.push(run.env);
    const minimum: Record<string, number> = Object.fromEntries(MONEY_FAULTS.map((t) => [t, sized(2, 40)]));
    for (const t of QUERY_FAULTS) minimum[`query_${t}`] = sized(1, 10);
    printFigures(TEST, { scenario: 'faults', ...run.figures });

    expect(run.problems.slice(0, 15)).toEqual([]);
    expect(belowMinimum(run.fired, minimum)).toEqual([]);
    expect({ mismatch: run.recon.mismatch, missing: run.recon.missing, duplicate: run.recon.duplicate }).toEqual({
      mismatch: [],
      missing: [],
      duplicate: [],
    });
    expect({ lost: run.recon.lost, doubleApplied: run.recon.doubleApplied, unresolved: run.recon.unresolved }).toEqual({
      lost: 0,
      doubleApplied: 0,
      unresolved: 0,
    });
    expect(run.unresolved).toBe(0);
    expect(run.invariants).toEqual([]);
    expect(run.serverErrors).toBe(0);
  });

  it(`DANA: ${DANA_PAYMENTS} one-time payments and their refunds under every fault converge with 0 lost, 0 double-applied`, async () => {
    const t0 = Date.now();
    const env = await startFaultBatteryEnv(`${RELIABILITY_SEED}:${TEST}:dana:sim`, TIMINGS);
    opened.push(env);
    const db = env.t.app.get(DataSource);
    const clientId = env.t.config.doku.clientId;
    const r = batteryRng(TEST).fork('dana');
    // No wallets: DANA needs none.
    const users: SignedInUser[] = [];
    for (let i = 0; i < 4; i++) users.push(await registerUser(env.t));
    const service = (await serviceToken(env.t, ['refunds:write'])).token;
    env.sim.control.setFaults(
      channelFaultRules({
        money: DANA_ENDPOINTS,
        moneyFaults: MONEY_FAULTS,
        probability: DANA_FAULT_P,
        status: 'danaStatus',
        statusFaults: QUERY_FAULTS,
        statusProbability: QUERY_FAULT_P,
        latencyMs: LATENCY_MS,
        errorStatuses: [500, 503, 504],
        // Each money fault once on a planned payment (the first ones), whatever the seed.
        planned: { endpoint: 'danaPayment', amounts: MONEY_FAULTS.map((_, i) => danaPaymentAmount(i)) },
      }),
      `${RELIABILITY_SEED}:${TEST}:dana`,
    );
    const run = channelRun<ChannelOp>(env, users, {
      keyPrefix: 'r2-dana-',
      paymentBody: (op) => ({ amount: op.amount, description: `R2 DANA ${op.key}`, paymentMethod: 'DANA', deviceId: `r2dana${op.amount}` }),
      refundReason: (op) => `R2 DANA refund ${op.key}`,
      refundToken: service,
      convergeMs: CONVERGE_MS,
      pollMs: POLL_MS,
    });
    const { problems, answers, send, converge, byKey } = run;

    // Phase 1: the payments, each amount unique (the faults are keyed on it); DOKU lands the late ones.
    const payments: ChannelOp[] = Array.from({ length: DANA_PAYMENTS }, (_, i) => ({
      key: `r2-dana-pay-${i}`,
      kind: 'payment',
      amount: danaPaymentAmount(i),
      user: users[i % users.length],
    }));
    await mapLimit(payments, CONCURRENCY, send);
    // Every payment DOKU will have is there before the customer acts (a late one landed after a fixed
    // wait on a loaded machine, and nobody approved or declined it).
    const unlandedPayments = await landedAtSimulator(env, DANA_ENDPOINTS, LATENCY_MS);
    if (unlandedPayments > 0) problems.push(`${unlandedPayments} DANA calls we made never finished at the simulator`);
    // The customer in DANA, for every payment DOKU has: most approve, some decline.
    let keys = await byKey();
    const atDoku = new Map(env.sim.control.danaPayments({ clientId }).map((p) => [p.partnerReferenceNo, p]));
    const approved = new Set<string>();
    for (const op of payments) {
      const row = keys.get(op.key);
      if (!row || atDoku.get(row.partner_reference_no)?.status !== '01') continue;
      const approve = r.next() < 0.8;
      env.sim.control.danaPay({ partnerReferenceNo: row.partner_reference_no, clientId, outcome: approve ? 'approve' : 'decline' });
      if (approve) approved.add(op.key);
    }
    const unresolved1 = await converge();

    // Phase 2: one refund of each paid payment, under the same faults.
    keys = await byKey();
    const refunds: ChannelOp[] = payments
      .filter((op) => keys.get(op.key)?.status === 'SUCCESS')
      .map((op, i) => ({ key: `r2-dana-rfd-${i}`, kind: 'refund', amount: 1_000 + i, user: op.user, purchaseId: keys.get(op.key)!.id }));
    await mapLimit(refunds, CONCURRENCY, send);
    const unlandedRefunds = await landedAtSimulator(env, DANA_ENDPOINTS, LATENCY_MS);
    if (unlandedRefunds > 0) problems.push(`${unlandedRefunds} DANA calls we made never finished at the simulator`);
    const unresolved2 = await converge();

    // Every answer 2xx, never 5xx; a faulted call answered 202 UNKNOWN.
    const firings = env.sim.control.faultFirings().filter((f) => (DANA_ENDPOINTS as readonly string[]).includes(f.endpoint));
    const faulted = faultedCalls(firings);
    for (const op of run.ops) {
      const a = op.answer!;
      const endpoint = op.kind === 'payment' ? 'danaPayment' : 'danaRefund';
      if (a.status >= 400) problems.push(`${op.key}: ${a.status} ${a.text.slice(0, 200)}`);
      if (faulted.has(`${endpoint}|amount:${op.amount}.00`)) run.faultedAnswer(op.key, a);
    }
    // Final states: what the customer did, or FAILED for a payment DOKU never received; refunds all SUCCESS.
    keys = await byKey();
    for (const op of payments) {
      const row = keys.get(op.key);
      const want = approved.has(op.key) ? 'SUCCESS' : 'FAILED';
      if (row?.status !== want) problems.push(`${op.key}: ${row?.status}, expected ${want}`);
    }
    for (const op of refunds) if (keys.get(op.key)?.status !== 'SUCCESS') problems.push(`${op.key}: refund ${keys.get(op.key)?.status}`);
    const ledger = env.sim.control.ledger({ clientId });
    const perReference = new Tally();
    for (const e of ledger.entries)
      if (e.kind === 'DANA_DEBIT' || e.kind === 'DANA_REFUND_CREDIT') perReference.add(`${e.kind}|${e.partnerReferenceNo}`);
    const doubleApplied = Object.values(perReference.counts).filter((n) => n > 1).length;
    const recon = await reconcile(db, env.sim, clientId);
    const invariants = await invariantViolations(db);
    const fired = new Tally();
    for (const f of firings) fired.add(f.type);
    for (const f of env.sim.control.faultFirings({ endpoint: 'danaStatus' })) fired.add(`query_${f.type}`);
    const minimum: Record<string, number> = Object.fromEntries(MONEY_FAULTS.map((t) => [t, 1]));
    printFigures(TEST, {
      scenario: 'danaFaults',
      payments: payments.length,
      approved: approved.size,
      refunds: refunds.length,
      answers: answers.counts,
      faultsFired: fired.counts,
      doubleApplied,
      unresolved: unresolved1 + unresolved2,
      ...reconciliationFigures(recon),
      invariantViolations: invariants.length,
      serverErrors: env.http.serverErrors,
      problems: problems.length,
      ms: Date.now() - t0,
    });

    expect(problems.slice(0, 15)).toEqual([]);
    expect(belowMinimum(fired.counts, minimum)).toEqual([]);
    expect(refunds.length).toBeGreaterThan(0);
    expect(doubleApplied).toBe(0);
    expect({ mismatch: recon.mismatch, missing: recon.missing, duplicate: recon.duplicate }).toEqual({
      mismatch: [],
      missing: [],
      duplicate: [],
    });
    expect({ lost: recon.lost, doubleApplied: recon.doubleApplied, unresolved: recon.unresolved }).toEqual({
      lost: 0,
      doubleApplied: 0,
      unresolved: 0,
    });
    expect(invariants).toEqual([]);
    expect(env.http.serverErrors).toBe(0);
  });
});
