declare const RUPIAH_BRAND: unique symbol;

/**
 * An amount of Indonesian rupiah as a whole number of rupiah, held in a `bigint`.
 *
 * Money is never a float (docs/ARCHITECTURE.md#conventions). IDR has no minor unit in practice, so one
 * unit is one rupiah; the SNAP wire form `"10000.00"` is built and parsed only in the DOKU mapper
 * (`src/integrations/doku/snap/doku-mapper.ts`). A `Money` value is always a non-negative integer no larger
 * than {@link MAX_RUPIAH}: the constructors below are the only way to get one, so every `Money` in the
 * program satisfies that invariant. Signed quantities (ledger deltas) are plain `bigint`s, not `Money`.
 */
export type Money = bigint & { readonly [RUPIAH_BRAND]: 'Rupiah' };

/**
 * The largest amount SNAP can carry: a `value` has at most 16 integer digits
 * (docs/doku-integration.md#money-format).
 */
export const MAX_RUPIAH = 9_999_999_999_999_999n;

export const ZERO_RUPIAH = 0n as Money;

/** Thrown when a value is not a valid rupiah amount. The message names the rule that failed. */
export class InvalidMoneyError extends RangeError {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidMoneyError';
  }
}

const INTEGER_TEXT = /^(0|[1-9][0-9]*)$/;

/**
 * Makes a `Money` from an integer. Numbers must be safe integers (a float, NaN or an unsafe integer
 * such as 1e20 is refused rather than rounded).
 */
export function rupiah(value: bigint | number): Money {
  let amount: bigint;
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value)) {
      throw new InvalidMoneyError(`amount must be a whole number of rupiah (got ${String(value)})`);
    }
    amount = BigInt(value);
  } else if (typeof value === 'bigint') {
    amount = value;
  } else {
    throw new InvalidMoneyError('amount must be a bigint or an integer number');
  }
  return checked(amount);
}

/**
 * Parses a decimal integer string such as `"150000"`: digits only, no sign, no leading zeros, no
 * decimal point, no exponent, no whitespace. Use it for amounts arriving as text (query strings,
 * `bigint` columns read as strings).
 */
export function parseRupiah(text: string): Money {
  if (typeof text !== 'string' || !INTEGER_TEXT.test(text)) {
    throw new InvalidMoneyError('amount must be a string of digits without sign, decimals or leading zeros');
  }
  // Length check before BigInt so a megabyte of digits is not converted.
  if (text.length > 16) throw new InvalidMoneyError(`amount must be at most ${MAX_RUPIAH} rupiah`);
  return checked(BigInt(text));
}

/**
 * Accepts what an API caller may send for an amount: a JSON integer or an integer string. Returns
 * `undefined` instead of throwing, for validators.
 */
export function tryParseRupiah(input: unknown): Money | undefined {
  try {
    if (typeof input === 'number' || typeof input === 'bigint') return rupiah(input);
    if (typeof input === 'string') return parseRupiah(input);
  } catch (e) {
    if (e instanceof InvalidMoneyError) return undefined;
    throw e;
  }
  return undefined;
}

/** True for a value that satisfies the `Money` invariant. */
export function isMoney(value: unknown): value is Money {
  return typeof value === 'bigint' && value >= 0n && value <= MAX_RUPIAH;
}

/** Refuses zero: use for amounts that must move money (a payment of 0 is a client error). */
export function assertPositive(amount: Money): Money {
  if (amount <= 0n) throw new InvalidMoneyError('amount must be greater than zero');
  return amount;
}

export function addMoney(a: Money, b: Money): Money {
  return checked(a + b);
}

/** `a - b`; refuses a negative result, so a balance can never be driven below zero by arithmetic. */
export function subtractMoney(a: Money, b: Money): Money {
  return checked(a - b);
}

export function compareMoney(a: Money, b: Money): -1 | 0 | 1 {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The decimal integer text of an amount, e.g. `"150000"` (what API responses and logs carry). */
export function formatRupiah(amount: Money): string {
  return amount.toString();
}

function checked(amount: bigint): Money {
  if (amount < 0n) throw new InvalidMoneyError('amount must not be negative');
  if (amount > MAX_RUPIAH) throw new InvalidMoneyError(`amount must be at most ${MAX_RUPIAH} rupiah`);
  return amount as Money;
}
