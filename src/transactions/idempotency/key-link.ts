import type { EntityManager } from 'typeorm';

/**
 * Commit 1 of a money operation claims its Idempotency-Key and creates its transaction row. The key
 * must point at that row (a replay and the abandoned-request completer follow it); rather than one
 * more UPDATE after the insert, the key id rides on the database transaction here and the insert
 * links it in the same statement (TransactionsRepository.createPending).
 */
export interface KeyLink {
  keyId: string;
  /** Set once an insert linked the key: to this transaction. */
  transactionId?: string;
}

const SLOT = 'idempotencyKeyLink';

export function startKeyLink(tx: EntityManager, keyId: string): KeyLink {
  const link: KeyLink = { keyId };
  if (tx.queryRunner) (tx.queryRunner.data as Record<string, unknown>)[SLOT] = link;
  return link;
}

/** The key this database transaction claimed and has not linked yet, if any. */
export function pendingKeyLink(tx: EntityManager): KeyLink | undefined {
  const link = tx.queryRunner?.data?.[SLOT] as KeyLink | undefined;
  return link !== undefined && link.transactionId === undefined ? link : undefined;
}
