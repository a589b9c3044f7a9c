import { AppError } from '../errors/app-error';
import type { Money } from './money';
import { rupiah } from './money';

/**
 * The one amount rule of every money movement we start (purchase, bank transfer, top-up): a whole
 * number of rupiah from 1 to the configured maximum (`DOKU_TRANSACTION_MAX_AMOUNT`).
 */
export function amountWithinLimit(amount: number, max: number): Money {
  if (!Number.isSafeInteger(amount) || amount < 1 || amount > max) {
    throw new AppError('AMOUNT.OUT_OF_RANGE', `The amount must be a whole number of rupiah from 1 to ${max}`, { min: 1, max });
  }
  return rupiah(amount);
}
