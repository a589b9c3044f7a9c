/**
 * Where a purchase's time goes inside the backend, read from its own Prometheus metrics
 * (docs/operations.md#metrics) before and after a stretch of load: the server's time per purchase,
 * the two shared commits (the wait for the statement in flight, then the statement itself, and how
 * many purchases a statement carried) and the Purchase Web exchange with DOKU. The metrics are the
 * production ones; nothing is added to the backend for the bench.
 */

import { metricSample } from '../../test/support/metrics-text';

/** Sums and counts of the histograms that time a purchase. */
export type TimingSample = Record<string, { sum: number; count: number }>;

/** The three histograms of one kind of shared write (docs/operations.md#metrics), under `prefix`. */
function sharedWrite(prefix: string, statement: string): Record<string, { metric: string; labels: string }> {
  const labels = `statement="${statement}"`;
  return {
    [`${prefix}Wait`]: { metric: 'db_shared_statement_wait_seconds', labels },
    [`${prefix}Statement`]: { metric: 'db_shared_statement_duration_seconds', labels },
    [`${prefix}Operations`]: { metric: 'db_shared_statement_operations', labels },
  };
}

const SERIES: Record<string, { metric: string; labels: string }> = {
  request: { metric: 'http_request_duration_seconds', labels: 'method="POST",route="/v1/purchases",status="201"' },
  ...sharedWrite('commit1', 'purchase_commit1'),
  ...sharedWrite('commit2', 'purchase_commit2'),
  purchaseWeb: { metric: 'doku_exchange_duration_seconds', labels: 'endpoint="purchaseWeb"' },
  notify: { metric: 'http_request_duration_seconds', labels: 'method="POST",route="/v1.0/debit/notify",status="200"' },
  ...sharedWrite('intake', 'notification_intake'),
};

/** Reads the timing histograms' sums and counts from the metrics text. */
export function timingSample(metricsText: string): TimingSample {
  return Object.fromEntries(
    Object.entries(SERIES).map(([key, { metric, labels }]) => [
      key,
      { sum: metricSample(metricsText, `${metric}_sum`, labels), count: metricSample(metricsText, `${metric}_count`, labels) },
    ]),
  );
}

/** The backend's metrics now (its /metrics route, open in the bench's backend). */
export async function readTimings(appUrl: string): Promise<TimingSample> {
  const res = await fetch(`${appUrl}/metrics`);
  if (!res.ok) throw new Error(`GET /metrics: ${res.status}`);
  return timingSample(await res.text());
}

/** Milliseconds per purchase between two samples (a mean), and purchases per statement. */
export interface PurchaseTimings {
  purchases: number;
  /** The server's own time for the request, from its arrival to its answer. */
  requestMs: number;
  commit1WaitMs: number;
  commit1StatementMs: number;
  commit1PerStatement: number;
  purchaseWebMs: number;
  commit2WaitMs: number;
  commit2StatementMs: number;
  commit2PerStatement: number;
  /** The request's time outside the two commits and the DOKU call: the pipeline, the rest of the code, and waiting for a core. */
  restMs: number;
}

/** Means between two samples: `ms` of a histogram in seconds, `mean` of one in other units. */
function between(before: TimingSample, after: TimingSample) {
  const delta = (key: string) => ({ sum: after[key].sum - before[key].sum, count: after[key].count - before[key].count });
  const mean = (key: string) => {
    const d = delta(key);
    return d.count > 0 ? d.sum / d.count : 0;
  };
  return { delta, meanMs: (key: string) => 1000 * mean(key), perStatement: mean };
}

// A statement's time is counted once per statement: what an operation waits for it is a mean over statements.
export function purchaseTimings(before: TimingSample, after: TimingSample): PurchaseTimings | undefined {
  const { delta, meanMs, perStatement } = between(before, after);
  const purchases = delta('request').count;
  if (purchases === 0) return undefined;
  const timings = {
    purchases,
    requestMs: meanMs('request'),
    commit1WaitMs: meanMs('commit1Wait'),
    commit1StatementMs: meanMs('commit1Statement'),
    commit1PerStatement: perStatement('commit1Operations'),
    purchaseWebMs: meanMs('purchaseWeb'),
    commit2WaitMs: meanMs('commit2Wait'),
    commit2StatementMs: meanMs('commit2Statement'),
    commit2PerStatement: perStatement('commit2Operations'),
  };
  const parts =
    timings.commit1WaitMs + timings.commit1StatementMs + timings.purchaseWebMs + timings.commit2WaitMs + timings.commit2StatementMs;
  return { ...timings, restMs: timings.requestMs - parts };
}

export function timingsLine(t: PurchaseTimings): string {
  const ms = (v: number) => v.toFixed(1);
  return (
    `server ${ms(t.requestMs)} ms a purchase: commit 1 waited ${ms(t.commit1WaitMs)} + its statement ${ms(t.commit1StatementMs)} ` +
    `(${t.commit1PerStatement.toFixed(1)} purchases a statement), Purchase Web ${ms(t.purchaseWebMs)}, ` +
    `commit 2 waited ${ms(t.commit2WaitMs)} + its statement ${ms(t.commit2StatementMs)} (${t.commit2PerStatement.toFixed(1)} a statement), ` +
    `the rest ${ms(t.restMs)} (the pipeline, the code around them, waiting for a core)`
  );
}

/** Milliseconds per acknowledged notification between two samples, and notifications per intake statement. */
export interface AcknowledgementTimings {
  notifications: number;
  /** The server's own time for the request, from its arrival to its acknowledgement. */
  requestMs: number;
  intakeWaitMs: number;
  intakeStatementMs: number;
  intakePerStatement: number;
  /** Verification, the pipeline, the answer, and waiting for a core. */
  restMs: number;
}

export function acknowledgementTimings(before: TimingSample, after: TimingSample): AcknowledgementTimings | undefined {
  const { delta, meanMs, perStatement } = between(before, after);
  const notifications = delta('notify').count;
  if (notifications === 0) return undefined;
  const requestMs = meanMs('notify');
  const intakeWaitMs = meanMs('intakeWait');
  const intakeStatementMs = meanMs('intakeStatement');
  return {
    notifications,
    requestMs,
    intakeWaitMs,
    intakeStatementMs,
    intakePerStatement: perStatement('intakeOperations'),
    restMs: requestMs - intakeWaitMs - intakeStatementMs,
  };
}

export function acknowledgementLine(t: AcknowledgementTimings): string {
  const ms = (v: number) => v.toFixed(2);
  return (
    `server ${ms(t.requestMs)} ms a notification: waited ${ms(t.intakeWaitMs)} for the intake statement in flight, ` +
    `its own ${ms(t.intakeStatementMs)} (${t.intakePerStatement.toFixed(1)} notifications a statement), ` +
    `the rest ${ms(t.restMs)} (verification, the pipeline, the answer, waiting for a core)`
  );
}
