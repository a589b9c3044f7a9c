import { isSensitiveKey, REDACTED, redactDeep, withoutQuery } from './redaction';

describe(redactDeep.name, () => {
  it('replaces every sensitive value at any depth, whatever the key spelling', () => {
    const input = {
      email: 'siti@example.com',
      password: 'hunter2-hunter2',
      nested: { access_token: 'tok', 'Refresh-Token': 'rt', list: [{ otp: '123456' }, { pin: '654321', amount: 5 }] },
      headers: { Authorization: 'Bearer x', 'X-Signature': 'sig', 'content-type': 'application/json' },
      clientSecret: 'cs_x',
      authCode: 'ac',
    };
    const out = redactDeep(input) as typeof input;
    expect(out.email).toBe('siti@example.com');
    expect(out.password).toBe(REDACTED);
    expect(out.nested.access_token).toBe(REDACTED);
    expect(out.nested['Refresh-Token']).toBe(REDACTED);
    expect(out.nested.list[0].otp).toBe(REDACTED);
    expect(out.nested.list[1]).toEqual({ pin: REDACTED, amount: 5 });
    expect(out.headers).toEqual({ Authorization: REDACTED, 'X-Signature': REDACTED, 'content-type': 'application/json' });
    expect(out.clientSecret).toBe(REDACTED);
    expect(out.authCode).toBe(REDACTED);
    expect(JSON.stringify(out)).not.toMatch(/hunter2|tok"|cs_x|123456|654321/);
    expect(input.password).toBe('hunter2-hunter2');
  });

  it('replaces card data: the CPAN, the card token, a PAN', () => {
    const out = redactDeep({
      otp: '12345678',
      bank_card_token: 'de52e5820f4c381db88a1cf91d57b73e',
      additionalInfo: { cpan: '9360001609987000000' },
      PAN: '4111111111111111',
      cardNumber: '4111',
    });
    expect(out).toEqual({
      otp: REDACTED,
      bank_card_token: REDACTED,
      additionalInfo: { cpan: REDACTED },
      PAN: REDACTED,
      cardNumber: REDACTED,
    });
  });

  it('survives cycles', () => {
    const a: Record<string, unknown> = { name: 'a' };
    a.self = a;
    expect(redactDeep(a)).toEqual({ name: 'a', self: '[truncated]' });
  });

  it('does not flag ordinary fields', () => {
    for (const key of ['amount', 'status', 'email', 'partnerReferenceNo', 'tokenType']) expect(isSensitiveKey(key)).toBe(false);
  });
});

describe(withoutQuery.name, () => {
  it('cuts the query and the fragment, where one-time tokens ride, and marks the cut', () => {
    expect(withoutQuery('https://doku.example/create-pin?token=abc&x=1')).toBe(`https://doku.example/create-pin?${REDACTED}`);
    expect(withoutQuery('https://doku.example/pay#token=abc', '[REDACTED]')).toBe('https://doku.example/pay?[REDACTED]');
  });

  it('leaves a link without a query as it is', () => {
    expect(withoutQuery('https://doku.example/pay')).toBe('https://doku.example/pay');
  });
});
