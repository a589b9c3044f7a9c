import { isDeepStrictEqual } from 'node:util';
import { DataSource } from 'typeorm';
import type { FaultTarget } from '../../../simulator/src/faults';
import type { BackendProcess } from '../../support/backend-process';
import { startBackendProcess } from '../../support/backend-process';
import type { ReliabilityEnv } from './env';
import { UNCAPPED_EMONEY_LIMITS } from './env';
import type { Tally } from './harness';
import type { RawResponse } from './http-client';
import { BatteryHttp, isStableErrorBody } from './http-client';

/**
 * kill -9 at every point of a purchase, for a payment channel's battery (docs/reliability.md, R3):
 * each crash in a backend process of its own, stopped by its failpoint or killed while DOKU holds
 * the call; then one restart with the reconciler on, every client retrying with its own key, and
 * the final answers checked against what the crashed process had committed.
 */
export const CRASH_POINTS = [
  'money.after-intent-commit',
  'during-doku-call',
  'money.after-doku-outcome',
  'money.inside-result-commit',
] as const;
export type CrashPoint = (typeof CRASH_POINTS)[number];

export interface PurchaseCrash {
  point: CrashPoint;
  key: string;
  /** The POST /v1/purchases body. */
  body: Record<string, unknown>;
  /** The purchase the crashed process had recorded (commit 1). */
  transactionId?: string;
  /** The answer commit 2 had stored when the kill came after it. */
  answeredBeforeCrash?: { status: number; body: unknown };
}

export interface CrashBattery {
  env: ReliabilityEnv;
  /** The DOKU call a purchase of the channel makes (held by latency for `during-doku-call`). */
  endpoint: FaultTarget;
  /** The customer's access token. */
  token: string;
  dokuTimeoutMs: string;
  problems: string[];
  /** Counts each point at which a process really died. */
  tally: Tally;
  /** Every process started, killed at the end by the caller. */
  children: BackendProcess[];
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function backend(run: CrashBattery, extra: Record<string, string>): Promise<BackendProcess> {
  const b = await startBackendProcess(run.env.t.databaseUrl, {
    ...UNCAPPED_EMONEY_LIMITS,
    DOKU_BASE_URL: run.env.sim.url,
    DOKU_TIMEOUT_MS: run.dokuTimeoutMs,
    ...extra,
  });
  run.children.push(b);
  return b;
}

/** Each crash in turn: a backend, the purchase POSTed, the process killed; what the database kept is noted on the crash. */
export async function crashEach(run: CrashBattery, crashes: PurchaseCrash[]): Promise<void> {
  const { env, problems } = run;
  const db = env.t.app.get(DataSource);
  for (const crash of crashes) {
    const during = crash.point === 'during-doku-call';
    const child = await backend(run, during ? {} : { FAILPOINTS: crash.point });
    const http = new BatteryHttp(child.url, 2);
    const faultId = `hold-${crash.key}`;
    if (during) env.sim.control.setFaults([{ id: faultId, endpoint: run.endpoint, type: 'latency', latencyMs: 700, times: 1 }]);
    const answer = http.post('/v1/purchases', crash.body, run.token, crash.key).then(
      (r) => r,
      (e: unknown) => e as Error,
    );
    if (during) {
      for (const end = Date.now() + 15_000; (env.sim.control.listFaults().rules.find((r) => r.id === faultId)?.fired ?? 0) === 0;) {
        if (Date.now() > end) throw new Error(`${crash.key}: the purchase never reached the simulator`);
        await sleep(5);
      }
      await child.kill9();
    }
    const got = await answer;
    await child.kill9();
    await http.close().catch(() => undefined);
    env.sim.control.clearFaults();
    if (!(got instanceof Error)) problems.push(`${crash.key}: answered ${got.status} by a process that should have died`);
    else run.tally.add(crash.point);
    const [key] = await db.query<
      Array<{ status: string; transaction_id: string | null; response_status: number | null; response_body: unknown }>
    >(`SELECT status, transaction_id, response_status, response_body FROM idempotency_keys WHERE key = $1`, [crash.key]);
    if (!key?.transaction_id) {
      problems.push(`${crash.key}: no intent after the crash`);
      continue;
    }
    crash.transactionId = key.transaction_id;
    // Commit 2 of an accepted purchase is one statement: a kill inside it may find it complete.
    if (key.status === 'COMPLETED') crash.answeredBeforeCrash = { status: key.response_status ?? 0, body: key.response_body };
  }
}

/**
 * One restart, reconciler on as in production: every client retries with its own key until it is
 * answered (not IN_FLIGHT), then the purchases still open are read until none is. Returns the final
 * answers by key.
 */
export async function restartAndConverge(
  run: CrashBattery,
  crashes: PurchaseCrash[],
  options: { convergeMs: number; recheckSchedule: string },
): Promise<Map<string, RawResponse>> {
  const db = run.env.t.app.get(DataSource);
  const restarted = await backend(run, {
    RECONCILER_ENABLED: 'true',
    RECONCILER_INTERVAL_MS: '200',
    RECONCILER_NOT_FOUND_GRACE_MS: '2000',
    RECONCILER_SCHEDULE_SECONDS: options.recheckSchedule,
  });
  const http = new BatteryHttp(restarted.url, 4);
  const finals = new Map<string, RawResponse>();
  for (const end = Date.now() + options.convergeMs; finals.size < crashes.length && Date.now() < end;) {
    for (const crash of crashes) {
      if (finals.has(crash.key)) continue;
      const r = await http.post('/v1/purchases', crash.body, run.token, crash.key);
      if (r.status === 409 && isStableErrorBody(r.json) && r.json.error.code === 'IDEMPOTENCY.IN_FLIGHT') continue;
      finals.set(crash.key, r);
    }
    if (finals.size < crashes.length) await sleep(250);
  }
  // The purchases still PENDING after their key was answered are settled by the status query.
  for (const end = Date.now() + options.convergeMs; Date.now() < end;) {
    const open = await db.query<Array<{ id: string }>>(`SELECT id FROM transactions WHERE status IN ('PENDING','UNKNOWN')`);
    if (open.length === 0) break;
    for (const row of open) await http.get(`/v1/purchases/${row.id}`, run.token);
    await sleep(250);
  }
  await http.close();
  return finals;
}

/**
 * The retry's final answer: replayed, never run again; the very answer committed before the crash
 * when there was one; else 201 with the purchase for a paid one, a 4xx naming FAILED for a failed one.
 */
export function checkFinalAnswer(
  crash: PurchaseCrash,
  final: RawResponse | undefined,
  want: 'SUCCESS' | 'FAILED',
  problems: string[],
): void {
  if (!final) problems.push(`${crash.key}: still 409`);
  else if (final.headers['idempotent-replayed'] !== 'true') problems.push(`${crash.key}: the retry ran the purchase again`);
  else if (crash.answeredBeforeCrash) {
    if (final.status !== crash.answeredBeforeCrash.status || !isDeepStrictEqual(final.json, crash.answeredBeforeCrash.body))
      problems.push(`${crash.key}: final answer differs from the one committed before the crash`);
  } else if (want === 'SUCCESS' && (final.status !== 201 || final.json?.id !== crash.transactionId))
    problems.push(`${crash.key}: final answer ${final.status} ${final.text.slice(0, 200)}`);
  else if (want === 'FAILED' && (final.status < 400 || final.status >= 500 || final.json?.error?.details?.status !== 'FAILED'))
    problems.push(`${crash.key}: final answer ${final.status} ${final.text.slice(0, 200)}`);
}
