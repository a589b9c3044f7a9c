import { maskTail, REDACTED, redactForRecord } from './doku-redaction';

describe(redactForRecord.name, () => {
  it('removes tokens from token responses', () => {
    const out = redactForRecord({
      responseCode: '2007400',
      accessToken: 'eyJ.secret.jwt',
      refreshToken: 'eyJ.refresh.jwt',
      accessTokenExpiryTime: '2022-11-15T16:01:23+07:00',
      tokenType: 'Bearer',
    });
    expect(out).toEqual({
      responseCode: '2007400',
      accessToken: REDACTED,
      refreshToken: REDACTED,
      accessTokenExpiryTime: REDACTED,
      tokenType: REDACTED,
    });
  });

  it('removes authCode (plain or encrypted), otp, pin and nested token objects', () => {
    const out = redactForRecord({
      grantType: 'authorization_code',
      authCode: 'cfb5de1a-6a40-40e0-8549-0634bcaed8ed',
      otp: '123456',
      pin: '999999',
      sendOtpFlag: 'YES',
      qparams: { token: 'one-time' },
      accessTokenInfo: { accessToken: 'a', refreshToken: 'b' },
      additionalInfo: { authCode: 'Bjgydwaf0YJe...', linkId: 'abcd1234' },
    });
    expect(out).toEqual({
      grantType: 'authorization_code',
      authCode: REDACTED,
      otp: REDACTED,
      pin: REDACTED,
      sendOtpFlag: 'YES',
      qparams: { token: REDACTED },
      accessTokenInfo: REDACTED,
      additionalInfo: { authCode: REDACTED, linkId: 'abcd1234' },
    });
  });

  it('keeps only the last 4 digits of account and phone numbers, strings or numbers', () => {
    expect(
      redactForRecord({
        accountNo: '1140340010',
        beneficiaryAccountNumber: '8377388292',
        customerNumber: '6281234567890',
        phoneNo: 6281234567890,
        successParams: { accountId: '1140340010' },
        short: { accountNo: '123' },
      }),
    ).toEqual({
      accountNo: '******0010',
      beneficiaryAccountNumber: '******8292',
      customerNumber: '*********7890',
      phoneNo: '*********7890',
      successParams: { accountId: '******0010' },
      short: { accountNo: '***' },
    });
  });

  it('masks emails and drops the query of returned URLs, which carry one-time tokens', () => {
    expect(
      redactForRecord({
        email: 'jane.doe@example.com',
        qparamsURL: 'https://doku.example/create-pin?token=abc',
        nextAction: 'https://doku.example/binding/authorize?token=xyz#frag',
        webRedirectUrl: 'https://doku.example/pay',
      }),
    ).toEqual({
      email: 'j***@example.com',
      qparamsURL: `https://doku.example/create-pin?${REDACTED}`,
      nextAction: `https://doku.example/binding/authorize?${REDACTED}`,
      webRedirectUrl: 'https://doku.example/pay',
    });
  });

  it('keeps amounts, references and codes intact', () => {
    const body = {
      partnerReferenceNo: 'PUR-1',
      amount: { value: '150000.00', currency: 'IDR' },
      urlParams: [{ url: 'https://p.example/return', type: 'PAY_RETURN', isDeeplink: 'N' }],
      latestTransactionStatus: '00',
    };
    expect(redactForRecord(body)).toEqual(body);
  });

  it('does not mutate its input and survives hostile shapes', () => {
    const input = JSON.parse('{"__proto__":{"otp":"1"},"list":[{"pin":"2"}],"n":null}') as Record<string, unknown>;
    const copy = JSON.parse(JSON.stringify(input)) as unknown;
    const out = redactForRecord(input) as Record<string, unknown>;
    expect(input).toEqual(copy);
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
    expect(JSON.stringify(out)).toBe(`{"__proto__":{"otp":"${REDACTED}"},"list":[{"pin":"${REDACTED}"}],"n":null}`);
  });

  it('caps depth and string length', () => {
    let deep: unknown = 'leaf';
    for (let i = 0; i < 40; i++) deep = { d: deep };
    expect(JSON.stringify(redactForRecord(deep))).toContain(REDACTED);
    expect((redactForRecord({ remark: 'x'.repeat(5000) }) as { remark: string }).remark.length).toBeLessThan(2100);
  });

  it('passes through primitives and undefined', () => {
    expect(redactForRecord(undefined)).toBeUndefined();
    expect(redactForRecord('plain')).toBe('plain');
    expect(redactForRecord(42)).toBe(42);
  });
});

describe(maskTail.name, () => {
  it('keeps the last four characters', () => {
    expect(maskTail('1234567890')).toBe('******7890');
    expect(maskTail('1234')).toBe('****');
  });

  describe('KKI card data', () => {
    const payment = {
      partnerReferenceNo: 'K3f9a0c1d2e4b5a6978877665544332211'.slice(0, 32),
      amount: { value: '150000.00', currency: 'IDR' },
      bankCardToken: 'de52e5820f4c381db88a1cf91d57b73e',
      otp: '12345678',
      additionalInfo: { channel: 'KKI_CPTS', cpan: '9360001609987000000' },
    };

    it('replaces the card token, the CPAN and the OTP whole, keeping the reference and amount', () => {
      expect(redactForRecord(payment)).toEqual({
        ...payment,
        bankCardToken: REDACTED,
        otp: REDACTED,
        additionalInfo: { channel: 'KKI_CPTS', cpan: REDACTED },
      });
    });

    it('leaves no digit run of the card number or OTP anywhere in the stored JSON', () => {
      const stored = JSON.stringify(redactForRecord(payment));
      for (const secret of ['9360001609987000000', '7000000', '12345678', 'de52e5820f4c381db88a1cf91d57b73e']) {
        expect(stored).not.toContain(secret);
      }
    });

    it('catches other spellings of a card number', () => {
      expect(
        redactForRecord({ customerCpan: '9360001609987000000', pan: '4111111111111111', cardData: { x: 1 }, CardNumber: '1' }),
      ).toEqual({
        customerCpan: REDACTED,
        pan: REDACTED,
        cardData: REDACTED,
        CardNumber: REDACTED,
      });
    });
  });
});
