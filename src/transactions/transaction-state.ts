/**
 * The one state machine of every money movement (purchase, refund, cancel, top-up, bank transfer).
 *
 * PENDING  the intent is stored and DOKU was (or is about to be) called; DOKU has it or may have it.
 * UNKNOWN  DOKU's answer was lost (timeout, reset, 5xx): it may or may not have applied the
 *          operation. Only a status query or a notification settles it, never a second debit.
 * SUCCESS  DOKU applied it. A purchase may still be partly or fully refunded (refunded amount) or
 *          canceled on the same day.
 * FAILED   DOKU did not apply it (explicit decline, status 06, or not found after the grace period).
 * CANCELED the payment was canceled (before or after success) and nothing remains debited.
 *
 * Transitions only move forward; FAILED and CANCELED are final.
 */
export const TRANSACTION_STATUSES = ['PENDING', 'UNKNOWN', 'SUCCESS', 'FAILED', 'CANCELED'] as const;
export type TransactionStatus = (typeof TRANSACTION_STATUSES)[number];

export const TRANSACTION_TYPES = ['PURCHASE', 'REFUND', 'CANCEL', 'TOP_UP', 'BANK_TRANSFER'] as const;
export type TransactionType = (typeof TRANSACTION_TYPES)[number];

const ALLOWED: Record<TransactionStatus, readonly TransactionStatus[]> = {
  // UNKNOWN -> PENDING is forward: a status query proved DOKU has the operation, still in progress.
  PENDING: ['UNKNOWN', 'SUCCESS', 'FAILED', 'CANCELED'],
  UNKNOWN: ['PENDING', 'SUCCESS', 'FAILED', 'CANCELED'],
  SUCCESS: ['CANCELED'],
  FAILED: [],
  CANCELED: [],
};

export function canTransition(from: TransactionStatus, to: TransactionStatus): boolean {
  return ALLOWED[from].includes(to);
}

export function isFinal(status: TransactionStatus): boolean {
  return status === 'FAILED' || status === 'CANCELED';
}

/** Still waiting for DOKU's truth: the reconciler and the status endpoint query these. */
export function isUnresolved(status: TransactionStatus): boolean {
  return status === 'PENDING' || status === 'UNKNOWN';
}
