import type { Transaction } from './entities/transaction.entity';

/**
 * Until when DOKU's PIN page takes a purchase (epoch ms), as recorded when DOKU accepted it
 * (`details.payableUntil`, the `validUpTo` we sent); undefined for anything else. The reconciler
 * checks a pending purchase right after it, and a failure DOKU reports after it is an expiry
 * (docs/customer-pages.md#expiry).
 */
export function payableUntilOf(transaction: Pick<Transaction, 'type' | 'details'>): number | undefined {
  if (transaction.type !== 'PURCHASE') return undefined;
  const value = (transaction.details as { payableUntil?: unknown } | null)?.payableUntil;
  const ms = typeof value === 'string' ? Date.parse(value) : NaN;
  return Number.isFinite(ms) ? ms : undefined;
}

/** How long after `validUpTo` the reconciler asks: DOKU judges it on its own clock. */
export const EXPIRY_CHECK_GRACE_SECONDS = 5;
