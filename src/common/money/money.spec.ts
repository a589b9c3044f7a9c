import {
  addMoney,
  assertPositive,
  compareMoney,
  formatRupiah,
  InvalidMoneyError,
  isMoney,
  MAX_RUPIAH,
  parseRupiah,
  rupiah,
  subtractMoney,
  tryParseRupiah,
  ZERO_RUPIAH,
} from './money';

describe('Money', () => {
  describe(rupiah.name, () => {
    it('accepts whole rupiah as number or bigint and yields the same bigint', () => {
      expect(rupiah(150000)).toBe(150000n);
      expect(rupiah(150000n)).toBe(150000n);
      expect(rupiah(0)).toBe(0n);
    });

    it.each([10.5, 0.1, Number.NaN, Number.POSITIVE_INFINITY, 1e20, Number.MAX_SAFE_INTEGER + 1])(
      'refuses %p instead of rounding it',
      (value) => {
        expect(() => rupiah(value)).toThrow(InvalidMoneyError);
      },
    );

    it('refuses negative amounts', () => {
      expect(() => rupiah(-1)).toThrow('must not be negative');
      expect(() => rupiah(-1n)).toThrow(InvalidMoneyError);
    });

    it('allows exactly 16 digits and refuses 17 (SNAP limit)', () => {
      expect(rupiah(MAX_RUPIAH)).toBe(9_999_999_999_999_999n);
      expect(() => rupiah(MAX_RUPIAH + 1n)).toThrow('at most');
    });
  });

  describe(parseRupiah.name, () => {
    it('parses plain digit strings', () => {
      expect(parseRupiah('0')).toBe(0n);
      expect(parseRupiah('10000')).toBe(10000n);
      expect(parseRupiah('9999999999999999')).toBe(MAX_RUPIAH);
    });

    it.each(['', ' 1', '1 ', '-1', '+1', '01', '1.0', '10.001', '1e3', '0x10', '１２', '10000000000000000'])('refuses %p', (text) => {
      expect(() => parseRupiah(text)).toThrow(InvalidMoneyError);
    });
  });

  describe(tryParseRupiah.name, () => {
    it('returns the amount for integer numbers and integer strings', () => {
      expect(tryParseRupiah(5000)).toBe(5000n);
      expect(tryParseRupiah('5000')).toBe(5000n);
    });

    it.each([null, undefined, {}, [], true, '10.5', 10.5, -1, '1e20', 1e20])('returns undefined for %p', (input) => {
      expect(tryParseRupiah(input)).toBeUndefined();
    });
  });

  describe(isMoney.name, () => {
    it('recognises only in-range bigints', () => {
      expect(isMoney(1n)).toBe(true);
      expect(isMoney(1)).toBe(false);
      expect(isMoney(-1n)).toBe(false);
      expect(isMoney(MAX_RUPIAH + 1n)).toBe(false);
    });
  });

  describe('arithmetic', () => {
    it('adds and subtracts exactly, beyond the float-safe range', () => {
      const big = rupiah(9_007_199_254_740_993n);
      expect(addMoney(big, rupiah(2))).toBe(9_007_199_254_740_995n);
      expect(subtractMoney(big, rupiah(1))).toBe(9_007_199_254_740_992n);
    });

    it('refuses a subtraction that would go below zero', () => {
      expect(() => subtractMoney(rupiah(100), rupiah(101))).toThrow('must not be negative');
    });

    it('refuses a sum past the SNAP maximum', () => {
      expect(() => addMoney(rupiah(MAX_RUPIAH), rupiah(1))).toThrow(InvalidMoneyError);
    });

    it('compares amounts', () => {
      expect(compareMoney(rupiah(1), rupiah(2))).toBe(-1);
      expect(compareMoney(rupiah(2), rupiah(2))).toBe(0);
      expect(compareMoney(rupiah(3), rupiah(2))).toBe(1);
    });

    it('rejects zero where money must move', () => {
      expect(() => assertPositive(ZERO_RUPIAH)).toThrow('greater than zero');
      expect(assertPositive(rupiah(1))).toBe(1n);
    });
  });

  describe(formatRupiah.name, () => {
    it('renders the integer text without separators or decimals', () => {
      expect(formatRupiah(rupiah(1234567))).toBe('1234567');
    });
  });
});
