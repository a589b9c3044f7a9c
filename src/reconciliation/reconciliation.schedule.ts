import { longestCallMs } from '../transactions/not-found-grace';

/**
 * When to ask DOKU again about an unresolved transaction: seconds at first, then minutes, then
 * hours (poll with backoff, docs/doku-integration.md#uncertain-outcomes; DOKU advises ~60 s before the first check).
 * Past the last step the transaction is flagged for the back office, never silently failed.
 */
export const RECHECK_DELAYS_SECONDS = [5, 15, 30, 60, 120, 300, 900, 1800, 3600, 3 * 3600, 6 * 3600, 12 * 3600, 24 * 3600];

/**
 * Delay before the next check after `attempts` checks that settled nothing, or null when exhausted.
 * `schedule` replaces the default (RECONCILER_SCHEDULE_SECONDS, e.g. a compressed one in tests).
 */
export function nextCheckDelaySeconds(attempts: number, schedule: readonly number[] = RECHECK_DELAYS_SECONDS): number | null {
  return attempts < schedule.length ? schedule[attempts] : null;
}

/**
 * How long a money request may hold its Idempotency-Key between commit 1 and commit 2 before it
 * counts as abandoned (its process died): longer than any live request can take, which is bounded
 * by the DOKU calls it makes (token fetches, the call, one renewal and its retry), each cut at the
 * DOKU timeout. Also when a PENDING intent nobody scheduled (commit 2 never came) gets its first check.
 */
export function abandonedAfterSeconds(dokuTimeoutMs: number): number {
  return Math.ceil(longestCallMs(dokuTimeoutMs) / 1000);
}
