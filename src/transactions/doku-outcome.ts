import { AppError } from '../common/errors/app-error';
import { DokuResult } from '../integrations/doku/doku.client';
import { isDokuError, isOutcomeUnknown } from '../integrations/doku/doku.errors';

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

/** Calls DOKU and never throws: every answer, or its absence, becomes an outcome. */
export async function captureDokuOutcome<T>(call: () => Promise<DokuResult<T>>): Promise<DokuOutcome<T>> {
  try {
    return { kind: 'ok', result: await call() };
  } catch (error) {
    const responseCode = isDokuError(error) && 'responseCode' in error ? (error.responseCode as string | undefined) : undefined;
    if (isDokuError(error) && !isOutcomeUnknown(error)) return { kind: 'rejected', error, responseCode };
    // Anything else (including a bug on our side after the request left) may have reached DOKU.
    return { kind: 'unknown', error: error instanceof Error ? error : new Error(String(error)), responseCode };
  }
}
