import type { EntityManager } from 'typeorm';
import { AppError } from '../common/errors/app-error';
import type { DokuResult } from '../integrations/doku/snap/doku.client';
import { isDokuError, isOutcomeUnknown } from '../integrations/doku/snap/doku.errors';
import type { Transaction } from './entities/transaction.entity';
import type { TransactionsRepository, TransitionPatch } from './transactions.repository';

/**
 * What became of one DOKU call that may move money, as the settle phase needs it:
 * - `ok`: DOKU applied it (its own success code, or a 409 replay of it);
 * - `rejected`: DOKU answered and did not apply it — the intent FAILED with `error.code`;
 * - `unknown`: timeout, lost connection, 5xx, in-progress or duplicate reference — DOKU may have
 *   applied it, so the intent is UNKNOWN until a status query or a notification settles it.
 */
export type DokuOutcome<T> =
  | { kind: 'ok'; result: DokuResult<T> }
  | { kind: 'rejected'; error: AppError; responseCode?: string }
  | { kind: 'unknown'; error: AppError | Error; responseCode?: string };

/**
 * The X-EXTERNAL-ID of the attempt an outcome comes from (the one DOKU saw last), when known:
 * stored as the operation's `dokuExternalId` in commit 2.
 */
export function externalIdOf(outcome: DokuOutcome<unknown>): string | undefined {
  if (outcome.kind === 'ok') return outcome.result.externalId;
  const context = (outcome.error as { context?: { externalId?: unknown } }).context;
  return typeof context?.externalId === 'string' ? context.externalId : undefined;
}

/** Calls DOKU and never throws: every answer, or its absence, becomes an outcome. */
export async function captureDokuOutcome<T>(call: () => Promise<DokuResult<T>>): Promise<DokuOutcome<T>> {
  try {
    return { kind: 'ok', result: await call() };
  } catch (error) {
    const responseCode = isDokuError(error) && 'responseCode' in error ? error.responseCode : undefined;
    if (isDokuError(error) && !isOutcomeUnknown(error)) return { kind: 'rejected', error, responseCode };
    // Our own refusals (no customer token, wallet needs rebinding) are raised before anything is sent.
    if (error instanceof AppError && !isDokuError(error)) return { kind: 'rejected', error };
    // Anything else (including a bug on our side after the request left) may have reached DOKU.
    return { kind: 'unknown', error: error instanceof Error ? error : new Error(String(error)), responseCode };
  }
}

/**
 * Applies the outcome of a call that moves money at once (a transfer, a top-up) to its PENDING
 * transaction: ok → SUCCESS; declined → FAILED with our error code; lost → UNKNOWN, or PENDING when
 * DOKU said it is still working on it (`202xx00`). Returns the transaction and, when declined, the
 * error to answer with.
 */
export async function applyImmediateOutcome<T>(
  transactions: TransactionsRepository,
  tx: EntityManager,
  id: string,
  outcome: DokuOutcome<T>,
  options: { onSuccess: (result: DokuResult<T>) => TransitionPatch; translate: (error: AppError) => AppError },
): Promise<{ transaction: Transaction; declined?: AppError }> {
  const dokuExternalId = externalIdOf(outcome) ?? null;
  if (outcome.kind === 'ok') {
    const patch = { dokuResponseCode: outcome.result.responseCode, dokuExternalId, ...options.onSuccess(outcome.result) };
    return { transaction: (await transactions.transition(tx, id, 'SUCCESS', 'doku-response', 'doku-success', patch)).transaction };
  }
  if (outcome.kind === 'rejected') {
    const declined = options.translate(outcome.error);
    const { transaction } = await transactions.transition(tx, id, 'FAILED', 'doku-response', 'doku-declined', {
      dokuExternalId,
      failureCode: declined.code,
      dokuResponseCode: outcome.responseCode ?? null,
    });
    return { transaction, declined };
  }
  const inProgress = outcome.responseCode?.startsWith('202') === true;
  const { transaction } = await transactions.transition(tx, id, inProgress ? 'PENDING' : 'UNKNOWN', 'doku-response', 'doku-unclear', {
    dokuExternalId,
    dokuResponseCode: outcome.responseCode ?? null,
  });
  return { transaction };
}
