/**
 * When to ask DOKU again about an unresolved transaction: seconds at first, then minutes, then
 * hours (wallet-snap-api.md §5.6: poll with backoff; DOKU advises ~60 s before the first check).
 * Past the last step the transaction is flagged for the back office, never silently failed.
 */
export const RECHECK_DELAYS_SECONDS = [5, 15, 30, 60, 120, 300, 900, 1800, 3600, 3 * 3600, 6 * 3600, 12 * 3600, 24 * 3600];

/** Delay before the next check after `attempts` checks that settled nothing, or null when exhausted. */
export function nextCheckDelaySeconds(attempts: number): number | null {
  return attempts < RECHECK_DELAYS_SECONDS.length ? RECHECK_DELAYS_SECONDS[attempts] : null;
}
