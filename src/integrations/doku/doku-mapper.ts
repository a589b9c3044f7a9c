import { InvalidMoneyError, Money, rupiah } from '../../common/money/money';
import { SnapMoney } from './doku-wire.types';

/**
 * The only place that converts between our integer rupiah and SNAP's money object
 * `{"value":"10000.00","currency":"IDR"}` (STYLE.md shape 4; wallet-snap-api.md §3.1, §5.3).
 */

export const SNAP_CURRENCY = 'IDR';

// At most 16 integer digits and exactly two decimals (§5.3: "stricter is better"), no leading zeros.
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
