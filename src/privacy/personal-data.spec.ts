import { containsAny, ERASED, scrubJson, scrubText, searchableValues } from './personal-data';

describe('personal data scrubbing', () => {
  const values = searchableValues(['Siti Rahayu', 'siti@example.com', '6281234567890', 'ab', null, undefined, '  ']);

  it('searches only values long enough to mean something, longest first', () => {
    expect(values).toEqual(['siti@example.com', '6281234567890', 'Siti Rahayu']);
  });

  it('cuts the person’s values out of free text, whatever their case', () => {
    expect(scrubText('Kado untuk SITI RAHAYU (6281234567890)', values)).toBe(`Kado untuk ${ERASED} (${ERASED})`);
    expect(containsAny('mail Siti@Example.com now', values)).toBe(true);
    expect(containsAny('Sepatu lari', values)).toBe(false);
  });

  it('empties personal fields and the person’s values in JSON, keeping amounts, references and statuses', () => {
    const record = {
      amount: { value: '150000.00', currency: 'IDR' },
      partnerReferenceNo: 'PUR-1',
      status: 'SUCCESS',
      additionalInfo: { deviceId: 'a1b2c3', ipAddress: '203.0.113.7', note: 'for Siti Rahayu', items: [{ name: 'Sepatu' }] },
      beneficiaryAccountName: 'SITI RAHAYU',
      phoneNo: 6281234567890,
    };
    const { value, changed } = scrubJson(record, values);
    expect(changed).toBe(true);
    expect(value).toEqual({
      amount: { value: '150000.00', currency: 'IDR' },
      partnerReferenceNo: 'PUR-1',
      status: 'SUCCESS',
      additionalInfo: { deviceId: ERASED, ipAddress: ERASED, note: `for ${ERASED}`, items: [{ name: ERASED }] },
      beneficiaryAccountName: ERASED,
      phoneNo: ERASED,
    });
    expect(JSON.stringify(value)).not.toMatch(/siti|6281234567890|a1b2c3|203\.0\.113/i);
  });

  it('reports no change when there is nothing personal', () => {
    const clean = { status: 'PENDING', amount: 1000, ref: 'PUR-2' };
    expect(scrubJson(clean, values)).toEqual({ value: clean, changed: false });
  });
});
