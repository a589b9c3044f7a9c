/**
 * Money is held as a bigint of minor units (sen). The SNAP money object `{"value":"150000.00","currency":"IDR"}`
 * is parsed and built only here (docs/doku-integration.md#money-format).
 */
export interface MoneyJson {
  value: string;
  currency: string;
}

/** `150000.00`: whole rupiah without leading zeros, then exactly two decimals (SNAP's money value). */
export const MONEY_VALUE = /^(0|[1-9]\d{0,15})\.\d{2}$/;

export function parseMoneyValue(value: string): bigint {
  if (!MONEY_VALUE.test(value)) throw new Error(`invalid money value ${value}`);
  return BigInt(value.replace('.', ''));
}

export function formatMoneyValue(minor: bigint): string {
  const negative = minor < 0n;
  const abs = negative ? -minor : minor;
  const whole = abs / 100n;
  const cents = abs % 100n;
  return `${negative ? '-' : ''}${whole}.${cents.toString().padStart(2, '0')}`;
}

export function money(minor: bigint): MoneyJson {
  return { value: formatMoneyValue(minor), currency: 'IDR' };
}

/**
 * Accepts the forms the control API takes: a SNAP string `"10000.00"`, a whole-rupiah integer `10000`,
 * or a whole-rupiah string `"10000"`.
 */
export function parseAmountInput(input: unknown): bigint | null {
  if (typeof input === 'number' && Number.isSafeInteger(input) && input >= 0) return BigInt(input) * 100n;
  if (typeof input === 'string') {
    if (MONEY_VALUE.test(input)) return parseMoneyValue(input);
    if (/^\d{1,16}$/.test(input)) return BigInt(input) * 100n;
  }
  if (input && typeof input === 'object' && typeof (input as { value?: unknown }).value === 'string') {
    return parseAmountInput((input as { value: string }).value);
  }
  return null;
}
