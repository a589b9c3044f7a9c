import { AppError } from '../common/errors/app-error';

export type RebindingReason = 'NOT_BOUND' | 'FLAGGED' | 'TOKENS_REFUSED';

/** The user has no usable DOKU binding: the app must send them through Account Binding (docs/doku-integration.md#binding). */
export function needsRebinding(reason: RebindingReason): AppError {
  return new AppError('WALLET.NEEDS_REBINDING', 'The DOKU wallet must be linked again', { reason });
}
