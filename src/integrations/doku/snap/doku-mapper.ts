import type { Money } from '../../../common/money/money';
import { InvalidMoneyError, rupiah } from '../../../common/money/money';
import type { SnapMoney } from './snap-wire.types';

/**
 * The only place that converts between our integer rupiah and SNAP's money object
 * `{"value":"10000.00","currency":"IDR"}` (docs/doku-integration.md#money-format).
 */

export const SNAP_CURRENCY = 'IDR';

// At most 16 integer digits and exactly two decimals (stricter than DOKU's SDKs), no leading zeros.
const SNAP_VALUE = /^(0|[1-9][0-9]{0,15})\.([0-9]{2})$/;

/** Builds the SNAP money object for an amount: always two decimals, always `.00` for IDR. */
export function toSnapMoney(amount: Money): SnapMoney {
  // Re-check the invariant: a Money forged with a cast must not reach the wire.
  const checked = rupiah(amount);
  return { value: `${checked.toString()}.00`, currency: SNAP_CURRENCY };
}

/**
 * Reads a SNAP money object from a DOKU answer. Refuses a non-IDR currency, a number instead of a
 * string, fractional sen other than `.00` (IDR has no minor unit, so `"10.50"` would silently lose
 * money if truncated), and more than 16 integer digits.
 */
export function fromSnapMoney(value: unknown): Money {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new InvalidMoneyError('SNAP amount must be an object with value and currency');
  }
  const { value: text, currency } = value as { value?: unknown; currency?: unknown };
  if (currency !== SNAP_CURRENCY) throw new InvalidMoneyError('SNAP amount currency must be IDR');
  if (typeof text !== 'string') throw new InvalidMoneyError('SNAP amount value must be a string');
  const match = SNAP_VALUE.exec(text);
  if (!match) throw new InvalidMoneyError('SNAP amount value must be up to 16 digits with exactly 2 decimals');
  if (match[2] !== '00') throw new InvalidMoneyError('SNAP amount value must not carry fractional rupiah');
  return rupiah(BigInt(match[1]));
}

/** Like {@link fromSnapMoney} for optional fields: undefined when absent, throws when malformed. */
export function fromOptionalSnapMoney(value: unknown): Money | undefined {
  return value === undefined || value === null ? undefined : fromSnapMoney(value);
}

/**
 * Lenient reading of an amount DOKU reports for comparison only (history, status answers):
 * undefined when absent or malformed, so a malformed field never breaks a read.
 */
export function tryFromSnapMoney(value: unknown): Money | undefined {
  try {
    return fromOptionalSnapMoney(value);
  } catch {
    return undefined;
  }
}

/**
 * An amount read from a DOKU answer, kept with how the read went: the amount, undefined when the
 * field is absent, or the error that says why it could not be read. The mappers hand it on as is,
 * so each feature keeps its own rule for a malformed amount: refuse the whole answer
 * ({@link amountOrThrow}) or treat the amount as not given ({@link readableAmount}).
 */
export type MoneyReading = Money | InvalidMoneyError | undefined;

/** Reads an optional SNAP money object without throwing (see {@link MoneyReading}). */
export function readSnapMoney(value: unknown): MoneyReading {
  try {
    return fromOptionalSnapMoney(value);
  } catch (error) {
    if (error instanceof InvalidMoneyError) return error;
    throw error;
  }
}

/** The amount of a reading; throws the reading's error when DOKU sent an amount we cannot read. */
export function amountOrThrow(reading: MoneyReading): Money | undefined {
  if (reading instanceof InvalidMoneyError) throw reading;
  return reading;
}

/** The amount of a reading, or undefined when it is absent or unreadable. */
export function readableAmount(reading: MoneyReading): Money | undefined {
  return reading instanceof InvalidMoneyError ? undefined : reading;
}
