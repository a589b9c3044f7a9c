import type { Money } from '../../../common/money/money';
import { InvalidMoneyError, MAX_RUPIAH, rupiah } from '../../../common/money/money';
import {
  amountOrThrow,
  fromOptionalSnapMoney,
  fromSnapMoney,
  readableAmount,
  readSnapMoney,
  toSnapMoney,
  tryFromSnapMoney,
} from './doku-mapper';

describe('DOKU money mapper', () => {
  describe(toSnapMoney.name, () => {
    it('writes integer rupiah with two zero decimals and IDR', () => {
      expect(toSnapMoney(rupiah(10000))).toEqual({ value: '10000.00', currency: 'IDR' });
      expect(toSnapMoney(rupiah(0))).toEqual({ value: '0.00', currency: 'IDR' });
      expect(toSnapMoney(rupiah(MAX_RUPIAH))).toEqual({ value: '9999999999999999.00', currency: 'IDR' });
    });

    it('refuses a Money forged past the invariant', () => {
      expect(() => toSnapMoney(-5n as Money)).toThrow(InvalidMoneyError);
      expect(() => toSnapMoney((MAX_RUPIAH + 1n) as Money)).toThrow(InvalidMoneyError);
    });

    it('serialises to exactly the bytes DOKU examples show', () => {
      expect(JSON.stringify({ amount: toSnapMoney(rupiah(150000)) })).toBe('{"amount":{"value":"150000.00","currency":"IDR"}}');
    });
  });

  describe(fromSnapMoney.name, () => {
    it('reads SNAP amounts as integer rupiah', () => {
      expect(fromSnapMoney({ value: '150000.00', currency: 'IDR' })).toBe(150000n);
      expect(fromSnapMoney({ value: '0.00', currency: 'IDR' })).toBe(0n);
      expect(fromSnapMoney({ value: '9999999999999999.00', currency: 'IDR' })).toBe(MAX_RUPIAH);
    });

    it('round-trips with toSnapMoney', () => {
      for (const n of [1n, 999n, 10_000_000n, MAX_RUPIAH]) {
        expect(fromSnapMoney(toSnapMoney(rupiah(n)))).toBe(n);
      }
    });

    it.each([
      ['fractional sen', { value: '10000.50', currency: 'IDR' }, 'fractional'],
      ['one decimal', { value: '10000.0', currency: 'IDR' }, 'exactly 2 decimals'],
      ['no decimals', { value: '10000', currency: 'IDR' }, 'exactly 2 decimals'],
      ['three decimals', { value: '10.001', currency: 'IDR' }, 'exactly 2 decimals'],
      ['17 digits', { value: '10000000000000000.00', currency: 'IDR' }, 'up to 16 digits'],
      ['a negative value', { value: '-1.00', currency: 'IDR' }, 'exactly 2 decimals'],
      ['leading zeros', { value: '0100.00', currency: 'IDR' }, 'exactly 2 decimals'],
      ['an exponent', { value: '1e5.00', currency: 'IDR' }, 'exactly 2 decimals'],
      ['a JSON number', { value: 10000, currency: 'IDR' }, 'must be a string'],
      ['another currency', { value: '10.00', currency: 'USD' }, 'IDR'],
      ['no currency', { value: '10.00' }, 'IDR'],
      ['null', null, 'object'],
      ['an array', [], 'object'],
      ['a string', '10000.00', 'object'],
    ])('rejects %s', (_label, input, message) => {
      expect(() => fromSnapMoney(input)).toThrow(message);
    });
  });

  describe(fromOptionalSnapMoney.name, () => {
    it('passes absence through and still rejects malformed values', () => {
      expect(fromOptionalSnapMoney(undefined)).toBeUndefined();
      expect(fromOptionalSnapMoney(null)).toBeUndefined();
      expect(fromOptionalSnapMoney({ value: '5.00', currency: 'IDR' })).toBe(5n);
      expect(() => fromOptionalSnapMoney({ value: '5', currency: 'IDR' })).toThrow(InvalidMoneyError);
    });
  });
});

describe('tryFromSnapMoney', () => {
  it('reads a well-formed amount and gives undefined for an absent or malformed one, never throwing', () => {
    expect(tryFromSnapMoney({ value: '150000.00', currency: 'IDR' })).toBe(150_000n);
    expect(tryFromSnapMoney(undefined)).toBeUndefined();
    expect(tryFromSnapMoney(null)).toBeUndefined();
    expect(tryFromSnapMoney({ value: '10.50', currency: 'IDR' })).toBeUndefined();
    expect(tryFromSnapMoney({ value: '100.00', currency: 'USD' })).toBeUndefined();
    expect(tryFromSnapMoney('100.00')).toBeUndefined();
  });
});

describe('readSnapMoney', () => {
  it('keeps how the read went, so each reader applies its own rule to a malformed amount', () => {
    const malformed = readSnapMoney({ value: '10.50', currency: 'IDR' });
    expect(malformed).toBeInstanceOf(InvalidMoneyError);
    expect(() => amountOrThrow(malformed)).toThrow('SNAP amount value must not carry fractional rupiah');
    expect(readableAmount(malformed)).toBeUndefined();

    const absent = readSnapMoney(undefined);
    expect(amountOrThrow(absent)).toBeUndefined();
    expect(readableAmount(absent)).toBeUndefined();

    const amount = readSnapMoney({ value: '150000.00', currency: 'IDR' });
    expect(amountOrThrow(amount)).toBe(150_000n);
    expect(readableAmount(amount)).toBe(150_000n);
  });
});
