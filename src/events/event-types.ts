/**
 * Every event type written to the outbox (GET /v1/events, webhooks). Payloads hold states and
 * masked identifiers only, never tokens, OTPs or full account ids.
 */
export const EVENT_TYPES = [
  'transaction.status_changed',
  'wallet.registration_changed',
  'wallet.binding_changed',
  'user.sign_in_locked',
  'user.sign_in_unlocked',
  'user.registration_attempted',
  'user.erased',
] as const;
