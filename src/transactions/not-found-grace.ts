/**
 * The longest one request's DOKU calls can last: the token fetches, the call, one renewal and its
 * retry, each cut at the DOKU timeout. Past it, a live request has ended.
 */
export function longestCallMs(dokuTimeoutMs: number): number {
  return 4 * dokuTimeoutMs;
}

/**
 * When the grace period for DOKU's "not found" starts for an operation: the latest moment its
 * request can have left us (docs/money-rules.md#not-found-counts-from-the-last-call). A request is
 * sent after the operation is committed, sometimes much later on a loaded instance (a token to
 * fetch first, a renewal, a slow event loop), and DOKU may apply it after our timeout. So the grace
 * counts from when our last call about it ended, not from when the operation was created:
 *
 * - the commit that recorded the last call's outcome (`lastOutcomeAt`), when there is one;
 * - otherwise (the process died during the call) the creation plus the longest a call can last;
 * - and never before the last send again started (`details.lastSentAt`, written by the claim right
 *   before that call goes out).
 *
 * `callBoundMs` is {@link longestCallMs} of the DOKU timeout. A send again is paced from its start,
 * not from its start plus that bound: the bound would slow every further send by four timeouts, and
 * what DOKU receives twice it deduplicates on the business reference.
 */
export function graceStartsAt(
  operation: { createdAt: Date; details?: Record<string, unknown> | null },
  lastOutcomeAt: Date | undefined,
  callBoundMs: number,
): number {
  const created = operation.createdAt.getTime();
  let at = Math.max(created, lastOutcomeAt?.getTime() ?? created + callBoundMs);
  const sentAgain = operation.details?.lastSentAt;
  const sentAgainAt = typeof sentAgain === 'string' ? Date.parse(sentAgain) : NaN;
  if (Number.isFinite(sentAgainAt)) at = Math.max(at, sentAgainAt);
  return at;
}
