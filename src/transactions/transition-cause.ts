/**
 * Why a transaction changed state: one of a closed set, written into `transaction_events.cause` and
 * the `cause` of the `transaction.status_changed` outbox event. What else the change needs to say
 * (DOKU's status code, the back office's reason) goes into the event's details, never into the
 * cause. The sentence shown to people is derived from the cause (`describeCause`).
 */
export const TRANSITION_CAUSES = [
  /** The intent recorded before DOKU is called (commit 1). */
  'created',
  /** DOKU's answer to our request, or its absence (commit 2). */
  'doku-response',
  /** DOKU's answer to an unresolved operation sent again with its own identifiers. */
  'doku-response-to-resend',
  /** A status query's answer (Query Purchase, its refund history, the bank transfer's history). */
  'status-query',
  /** A back-office resolution; its reason is in the event's details. */
  'back-office',
] as const;

export type TransitionCause = (typeof TRANSITION_CAUSES)[number];

const DESCRIPTIONS: Record<TransitionCause, string> = {
  created: 'Recorded before calling DOKU',
  'doku-response': "DOKU's answer to the request",
  'doku-response-to-resend': "DOKU's answer to the request sent again",
  'status-query': "DOKU's answer to a status query",
  'back-office': 'Resolved by the back office',
};

export function isTransitionCause(value: string): value is TransitionCause {
  return (TRANSITION_CAUSES as readonly string[]).includes(value);
}

/** Throws on a value outside the set (a cast around the type): nothing is written then. */
export function assertTransitionCause(value: string): asserts value is TransitionCause {
  if (!isTransitionCause(value)) throw new Error(`Unknown transition cause: ${JSON.stringify(value)}`);
}

/**
 * The sentence for a stored cause. Events written before the causes were closed hold a sentence of
 * their own, which is shown as it is.
 */
export function describeCause(stored: string): string {
  return isTransitionCause(stored) ? DESCRIPTIONS[stored] : stored;
}
