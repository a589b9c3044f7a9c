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

/**
 * What a settlement rests on. Every move of a transaction names one, and {@link settlementAllowed}
 * decides whether that is enough (docs/money-rules.md).
 * - `doku-success`   DOKU's success answer to our own request.
 * - `doku-declined`  DOKU's definitive decline of our own request: nothing was applied.
 * - `doku-reported`  DOKU states the outcome: a status query, a refund history line or a
 *                    confirmed notification says success, failed or canceled.
 * - `doku-not-found` a status query does not know the reference (after the grace period).
 * - `doku-unclear`   anything else: a timeout, a 5xx, "in progress", an unknown code, a missing
 *                    field, an amount that contradicts ours.
 * - `back-office`    a person decided, with a reason.
 */
export const SETTLEMENT_EVIDENCE = [
  'doku-success',
  'doku-declined',
  'doku-reported',
  'doku-not-found',
  'doku-unclear',
  'back-office',
] as const;
export type SettlementEvidence = (typeof SETTLEMENT_EVIDENCE)[number];

/**
 * Types whose failure releases nothing that could then be paid again: a purchase moves money only
 * once the customer approves it on DOKU's page, and a cancel that fails leaves the purchase as DOKU
 * reports it. A refund (its reserved amount), a top-up and a bank transfer (their inquiry, to be
 * confirmed again) release money when they fail.
 *
 * Even for these, "not found" counts only for an operation DOKU never acknowledged (no DOKU
 * reference on our row): a purchase whose Purchase Web answer was lost never gave the customer
 * DOKU's page, so nobody can have paid it; one DOKU acknowledged may have been paid, and a status
 * answer that does not know it is contradictory. That half of the rule needs the row, so
 * `TransactionsRepository.transition` applies it in its UPDATE.
 */
const NOT_FOUND_MAY_FAIL: ReadonlySet<TransactionType> = new Set(['PURCHASE', 'CANCEL']);

/**
 * The one rule for settling money on what DOKU said: never release or fail money on missing,
 * unknown or contradictory information.
 * - SUCCESS needs DOKU's success or report (or the back office).
 * - FAILED and CANCELED need a definitive decline or report (or the back office; CANCELED also
 *   DOKU's success answer to our cancel); "not found" is enough only where failing releases
 *   nothing ({@link NOT_FOUND_MAY_FAIL}).
 * - PENDING and UNKNOWN (still asking) need nothing.
 * A move this refuses leaves the transaction unresolved: the reconciler keeps asking and, after
 * its last scheduled check, raises it for the back office.
 */
export function settlementAllowed(type: TransactionType, to: TransactionStatus, evidence: SettlementEvidence): boolean {
  if (isUnresolved(to)) return true;
  if (evidence === 'back-office') return true;
  if (to === 'SUCCESS') return evidence === 'doku-success' || evidence === 'doku-reported';
  // DOKU's success answer to our Cancel Purchase cancels the purchase.
  if (to === 'CANCELED' && evidence === 'doku-success') return true;
  if (evidence === 'doku-declined' || evidence === 'doku-reported') return true;
  return evidence === 'doku-not-found' && NOT_FOUND_MAY_FAIL.has(type);
}

/** The types {@link settlementAllowed} refuses for this move: the transition's SQL leaves their rows untouched. */
export function typesRefused(to: TransactionStatus, evidence: SettlementEvidence): TransactionType[] {
  return TRANSACTION_TYPES.filter((type) => !settlementAllowed(type, to, evidence));
}
