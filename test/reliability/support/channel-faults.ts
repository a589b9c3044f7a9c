import { DataSource } from 'typeorm';
import { ExchangeRecorderService } from '../../../src/integrations/doku/snap/exchange-recorder.service';
import type { FaultFiring, FaultRule, FaultTarget, FaultType } from '../../../simulator/src/faults';
import type { SignedInUser } from '../../support/actors';
import type { ReliabilityEnv } from './env';
import { startReliabilityEnv } from './env';
import { faultParams, mapLimit, plannedFaults, Tally } from './harness';
import type { RawResponse } from './http-client';

/**
 * The fault battery's loop for one payment channel (DANA in R2, the card and checkout batteries):
 * send the channel's payments and refunds while the simulator injects faults on its endpoints, let
 * the reconciler and the customers' reads converge, then hold every answer and final state against
 * what the simulator did. The channel gives its endpoint names, its request bodies and its own
 * comparison with the simulator's ledger; the loop is the same for all.
 */

/** The faults a battery injects on DOKU's calls that move money (simulator/src/faults.ts says what each does). */
export const MONEY_FAULTS = [
  'refuse',
  'drop',
  'error_before',
  'error_after',
  'latency',
  'malformed',
] as const satisfies readonly FaultType[];

export interface FaultBatteryTimings {
  /** DOKU_TIMEOUT_MS. */
  dokuTimeoutMs: number;
  /** RECONCILER_NOT_FOUND_GRACE_MS: longer than any late call, so a late one is never taken for a missing one. */
  graceMs: number;
  /**
   * RECONCILER_SCHEDULE_SECONDS: the production schedule compressed like the grace period (an
   * operation DOKU never received is sent again on a scheduled check, and a faulted second send
   * waits for the next one).
   */
  recheckSchedule: string;
  /** Requests in flight: the database pool is sized for them. */
  concurrency: number;
}

/** A fresh simulator (seeded `simSeed`) and app for a fault battery: the reconciler on, fast, with the battery's timings; tokens that outlive the run. */
export function startFaultBatteryEnv(simSeed: string, timings: FaultBatteryTimings): Promise<ReliabilityEnv> {
  return startReliabilityEnv({
    sim: { seed: simSeed },
    env: {
      DOKU_TIMEOUT_MS: String(timings.dokuTimeoutMs),
      RECONCILER_ENABLED: 'true',
      RECONCILER_INTERVAL_MS: '200',
      RECONCILER_BATCH_SIZE: '50',
      RECONCILER_NOT_FOUND_GRACE_MS: String(timings.graceMs),
      RECONCILER_SCHEDULE_SECONDS: timings.recheckSchedule,
      ACCESS_TOKEN_TTL_SECONDS: '7200',
      SERVICE_TOKEN_TTL_SECONDS: '7200',
    },
    connections: timings.concurrency * 2 + 16,
  });
}

export interface ChannelFaultPlan {
  /** The channel's money endpoints at the simulator (the payment's first). */
  money: readonly FaultTarget[];
  moneyFaults: readonly FaultType[];
  /** Per money endpoint and fault type. */
  probability: number;
  /** The channel's status query and the faults its answers get. */
  status: FaultTarget;
  statusFaults: readonly FaultType[];
  statusProbability: number;
  /** Past the client timeout: DOKU still applies the call after we stopped waiting. */
  latencyMs: number;
  /** The 5xx of `error_before` and `error_after`, one money endpoint after the other; none: the simulator's own. */
  errorStatuses?: readonly NonNullable<FaultRule['status']>[];
  /** Each money fault once on these payment amounts (the first planned payments), whatever the seed. */
  planned?: { endpoint: FaultTarget; amounts: readonly number[] };
}

/** The fault rules of a channel's battery: every money fault at random (keyed on the amount), the status query's faults, the planned ones. */
export function channelFaultRules(plan: ChannelFaultPlan): FaultRule[] {
  const statuses = plan.errorStatuses;
  return [
    ...plan.money.flatMap((endpoint, e) =>
      plan.moneyFaults.map((type): FaultRule => ({
        id: `${type}@${endpoint}`,
        endpoint,
        type,
        probability: plan.probability,
        keyBy: 'amount',
        ...(type === 'latency' ? { latencyMs: plan.latencyMs } : {}),
        ...(statuses && (type === 'error_before' || type === 'error_after') ? { status: statuses[e % statuses.length] } : {}),
      })),
    ),
    ...plan.statusFaults.map((type): FaultRule => ({
      id: `${type}@${plan.status}`,
      endpoint: plan.status,
      type,
      probability: plan.statusProbability,
    })),
    ...(plan.planned
      ? plannedFaults(plan.planned.endpoint, plan.moneyFaults, plan.planned.amounts, (type) => faultParams(type, plan.latencyMs))
      : []),
  ];
}

/** One payment or refund of the battery, with the answer it got. */
export interface ChannelOp {
  key: string;
  kind: 'payment' | 'refund';
  amount: number;
  user: SignedInUser;
  purchaseId?: string;
  answer?: RawResponse;
}

export interface ChannelRunOptions<Op extends ChannelOp> {
  /** The idempotency keys of this run all start with it. */
  keyPrefix: string;
  /** The purchase body of a payment (runs that send their own payments need none). */
  paymentBody?: (op: Op) => Record<string, unknown>;
  /** The reason given for a refund (runs without refunds need none). */
  refundReason?: (op: Op) => string;
  /** A service token with `refunds:write` (runs without refunds need none). */
  refundToken?: string;
  convergeMs: number;
  pollMs: number;
}

export interface ChannelRun<Op extends ChannelOp> {
  /** Everything sent, in the order sent. */
  ops: Op[];
  /** Answers by kind and status, and the faulted ones. */
  answers: Tally;
  /** What went wrong, for the test to show. */
  problems: string[];
  /** Sends the payment or refund and keeps its answer. */
  send: (op: Op) => Promise<void>;
  /**
   * Until nothing is PENDING or UNKNOWN (or the time is up): the reconciler runs, and the customers'
   * apps read their open purchases now and then. `eachRound` is what the customers do meanwhile
   * (a payment the reconciler sends again reaches DOKU after they first acted, and waits for them).
   * Returns how many are still open.
   */
  converge: (eachRound?: () => Promise<void>) => Promise<number>;
  /** Our purchases and refunds of this run, by idempotency key. */
  byKey: () => Promise<Map<string, { key: string; id: string; status: string; partner_reference_no: string }>>;
  /** Counts a call whose DOKU answer was lost: it must have been answered 202 UNKNOWN. */
  faultedAnswer: (key: string, answer: RawResponse) => void;
  /**
   * Counts a call no fault fired on whose DOKU call outlasted our timeout all the same (a loaded test
   * machine: `timedOutReferences`). As with a lost answer, it must have been answered 202 UNKNOWN.
   */
  loadTimeoutAnswer: (key: string, answer: RawResponse) => void;
}

export function channelRun<Op extends ChannelOp>(
  env: ReliabilityEnv,
  users: readonly SignedInUser[],
  options: ChannelRunOptions<Op>,
): ChannelRun<Op> {
  const db = env.t.app.get(DataSource);
  const owner = new Map(users.map((u) => [u.id, u]));
  const ops: Op[] = [];
  const problems: string[] = [];
  const answers = new Tally();
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
  return {
    ops,
    answers,
    problems,
    send: async (op) => {
      ops.push(op);
      op.answer =
        op.kind === 'payment'
          ? await env.http.send('POST', '/v1/purchases', {
              body: options.paymentBody!(op),
              token: op.user.accessToken,
              idempotencyKey: op.key,
            })
          : await env.http.send('POST', `/v1/users/${op.user.id}/purchases/${op.purchaseId}/refunds`, {
              body: { amount: op.amount, reason: options.refundReason!(op) },
              token: options.refundToken,
              idempotencyKey: op.key,
            });
      answers.add(`${op.kind}:${op.answer.status}`);
    },
    converge: async (eachRound) => {
      const start = Date.now();
      for (;;) {
        await eachRound?.();
        const rows = await db.query<Array<{ id: string; type: string; user_id: string; parent_id: string | null }>>(
          `SELECT id, type, user_id, parent_id FROM transactions WHERE status IN ('PENDING','UNKNOWN')`,
        );
        if (rows.length === 0 || Date.now() - start > options.convergeMs) return rows.length;
        await sleep(options.pollMs);
        await mapLimit(rows, 8, async (row) => {
          const res = await env.http.get(
            `/v1/purchases/${row.type === 'PURCHASE' ? row.id : row.parent_id}`,
            owner.get(row.user_id)!.accessToken,
          );
          if (res.status !== 200) problems.push(`GET ${row.id}: ${res.status} ${res.text.slice(0, 200)}`);
        });
      }
    },
    byKey: async () => {
      return new Map(
        (
          await db.query<Array<{ key: string; id: string; status: string; partner_reference_no: string }>>(
            `SELECT k.key, t.id, t.status, t.partner_reference_no FROM idempotency_keys k JOIN transactions t ON t.id = k.transaction_id
              WHERE k.key LIKE $1`,
            [`${options.keyPrefix}%`],
          )
        ).map((row) => [row.key, row]),
      );
    },
    faultedAnswer: (key, answer) => {
      answers.add('faultedAnswers');
      if (answer.status === 202 && answer.json?.status === 'UNKNOWN') answers.add('faulted202Unknown');
      else problems.push(`${key}: DOKU's answer was lost but we answered ${answer.status} ${answer.text.slice(0, 200)}`);
    },
    loadTimeoutAnswer: (key, answer) => {
      answers.add('loadTimeouts');
      if (answer.status !== 202 || answer.json?.status !== 'UNKNOWN')
        problems.push(`${key}: our DOKU call timed out but we answered ${answer.status} ${answer.text.slice(0, 200)}`);
    },
  };
}

/**
 * The business references (purchase or refund) whose call to one of `endpoints` ended in our DOKU
 * timeout, from the exchanges we recorded. With no fault fired on the call, that is the test
 * machine's load: the simulator answered later than the timeout, which the product rightly answers
 * 202 UNKNOWN and settles later, as it does a lost answer.
 */
export async function timedOutReferences(env: ReliabilityEnv, endpoints: readonly string[]): Promise<Set<string>> {
  await env.t.app.get(ExchangeRecorderService).flush();
  const rows = await env.t.app
    .get(DataSource)
    .query<Array<{ partner_reference: string }>>(
      `SELECT DISTINCT partner_reference FROM doku_exchanges WHERE endpoint = ANY($1) AND outcome = 'TIMEOUT' AND partner_reference IS NOT NULL`,
      [[...endpoints]],
    );
  return new Set(rows.map((row) => row.partner_reference));
}

/** The calls a fault fired on, as `endpoint|key` (the key is the amount, as the rules are keyed). */
export function faultedCalls(firings: readonly FaultFiring[]): Set<string> {
  return new Set(faultsByCall(firings).keys());
}

/** The faults fired on each call, in the order they fired, by call as `endpoint|key` (see faultedCalls). */
export function faultsByCall(firings: readonly FaultFiring[]): Map<string, FaultType[]> {
  const byCall = new Map<string, FaultType[]>();
  for (const f of firings) {
    const call = `${f.endpoint}|${f.key}`;
    byCall.set(call, [...(byCall.get(call) ?? []), f.type]);
  }
  return byCall;
}

/**
 * Waits until the simulator has finished every call to `endpoints` that we made, and gives how many
 * it has not after `latencyMs` + 15 s. A late call lands after our timeout, and on a loaded machine
 * later still: a battery that snapshots DOKU's ledger after a fixed wait can miss one, and then a
 * payment the customer never saw is charged behind its back. Our side is the exchanges we recorded,
 * DOKU's the simulator's request log.
 */
export async function landedAtSimulator(env: ReliabilityEnv, endpoints: readonly string[], latencyMs: number): Promise<number> {
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
  const db = env.t.app.get(DataSource);
  const deadline = Date.now() + latencyMs + 15_000;
  for (;;) {
    await env.t.app.get(ExchangeRecorderService).flush();
    const rows = await db.query<Array<{ endpoint: string; n: number }>>(
      `SELECT endpoint, count(*)::int AS n FROM doku_exchanges WHERE endpoint = ANY($1) GROUP BY endpoint`,
      [[...endpoints]],
    );
    const behind = rows.reduce((sum, r) => sum + Math.max(0, r.n - env.simCalls.get(r.endpoint)), 0);
    if (behind === 0 || Date.now() > deadline) return behind;
    await sleep(100);
  }
}
