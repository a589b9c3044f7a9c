/**
 * Waits before each retry of a delivery that did not get a 2xx: seconds, then minutes, then hours.
 * After the last one the delivery is FAILED (an admin can still redeliver it by hand).
 */
export const WEBHOOK_RETRY_DELAYS_SECONDS = [5, 30, 120, 600, 1800, 3600, 3 * 3600, 6 * 3600];

/** Spread of the random jitter around each delay, so retries of many deliveries do not line up. */
export const WEBHOOK_RETRY_JITTER = 0.2;

/**
 * Delay before the next attempt after `failedAttempts` failed attempts (1 = the first one failed),
 * or null when the schedule is exhausted. `random` in [0, 1) picks the jitter.
 */
export function nextDeliveryDelaySeconds(failedAttempts: number, random: number = Math.random()): number | null {
  if (failedAttempts < 1 || failedAttempts > WEBHOOK_RETRY_DELAYS_SECONDS.length) return null;
  const base = WEBHOOK_RETRY_DELAYS_SECONDS[failedAttempts - 1];
  const factor = 1 - WEBHOOK_RETRY_JITTER + 2 * WEBHOOK_RETRY_JITTER * random;
  return Math.round(base * factor * 1000) / 1000;
}
