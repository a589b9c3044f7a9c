import { DOKU_ENDPOINT_NAMES, DOKU_ENDPOINTS, DokuEndpointConfigError, isDokuEndpointName, resolveEndpoints } from './doku-endpoints';

describe('DOKU_ENDPOINTS', () => {
  const wallet = Object.values(DOKU_ENDPOINTS).filter((e) => !e.name.startsWith('kki') && !e.name.startsWith('dana'));

  it('lists the 23 wallet endpoints of the endpoint map, each with its own service code, the 3 KKI card ones and the 3 DANA ones', () => {
    expect(DOKU_ENDPOINT_NAMES).toHaveLength(29);
    expect(wallet).toHaveLength(23);
    expect(new Set(wallet.map((e) => e.serviceCode)).size).toBe(23);
  });

  it('puts the KKI card calls on the direct-debit core paths with the codes of the KKI page', () => {
    expect(DOKU_ENDPOINTS.kkiPayment).toMatchObject({
      path: '/direct-debit/core/v1/debit/payment-host-to-host',
      serviceCode: '54',
      successCode: '2005400',
      customerToken: true,
      moneyMoving: true,
      source: 'DOC',
    });
    expect(DOKU_ENDPOINTS.kkiRefund).toMatchObject({
      path: '/direct-debit/core/v1/debit/refund',
      customerToken: false,
      moneyMoving: true,
    });
    expect(DOKU_ENDPOINTS.kkiRefund.codes.success).toEqual(['2005800', '2000700']);
    expect(DOKU_ENDPOINTS.kkiStatus).toMatchObject({ path: '/orders/v1.0/debit/status', successCode: '2005500', moneyMoving: false });
  });

  it("gives DANA's operations SNAP's debit service codes, B2B only, on DOKU's core paths", () => {
    expect(DOKU_ENDPOINTS.danaPayment).toMatchObject({
      path: '/direct-debit/core/v1/debit/payment-host-to-host',
      serviceCode: '54',
      auth: 'B2B',
      customerToken: false,
      moneyMoving: true,
    });
    expect(DOKU_ENDPOINTS.danaRefund).toMatchObject({ path: '/direct-debit/core/v1/debit/refund', serviceCode: '58', moneyMoving: true });
    expect(DOKU_ENDPOINTS.danaStatus).toMatchObject({ path: '/orders/v1.0/debit/status', serviceCode: '55', moneyMoving: false });
    expect(DOKU_ENDPOINTS.danaPayment.codes.success).toEqual(['2005400', '2000500']);
    expect(DOKU_ENDPOINTS.danaRefund.codes.success).toEqual(['2005800', '2000700']);
    expect(DOKU_ENDPOINTS.danaStatus.codes.success).toEqual(['2005500']);
  });

  it('derives the success code from the service code', () => {
    expect(DOKU_ENDPOINTS.b2bToken.successCode).toBe('2007300');
    expect(DOKU_ENDPOINTS.accountCreation.successCode).toBe('2000600');
    expect(DOKU_ENDPOINTS.requestOtp.successCode).toBe('2008100');
    expect(DOKU_ENDPOINTS.purchaseWeb.successCode).toBe('2005400');
  });

  it('asks for the customer token exactly on b2b2c paths', () => {
    for (const e of wallet) {
      expect(e.customerToken).toBe(e.path.startsWith('/snap-adapter/b2b2c/'));
    }
    expect(DOKU_ENDPOINTS.transferBankPayment.customerToken).toBe(true);
    expect(DOKU_ENDPOINTS.transferBankInquiry.customerToken).toBe(false);
  });

  it('keeps the SDK-confirmed paths and tags inferred ones', () => {
    expect(DOKU_ENDPOINTS.verifyOtp).toMatchObject({ path: '/snap-adapter/b2b/v1.0/otp-verification', source: 'SDK' });
    expect(DOKU_ENDPOINTS.b2b2cToken).toMatchObject({ path: '/authorization/v1/access-token/b2b2c', auth: 'RSA' });
    expect(DOKU_ENDPOINTS.refundPurchase).toMatchObject({ path: '/snap-adapter/b2b/v1.0/debit/refund', source: 'INF' });
  });

  it('marks money-moving calls', () => {
    const moving = Object.values(DOKU_ENDPOINTS)
      .filter((e) => e.moneyMoving)
      .map((e) => e.name)
      .sort();
    expect(moving).toEqual(
      [
        'authPayment',
        'cancelPurchase',
        'capturePayment',
        'danaPayment',
        'danaRefund',
        'kkiPayment',
        'kkiRefund',
        'purchaseWeb',
        'refundPurchase',
        'topUp',
        'transferBankPayment',
        'voidAuthPayment',
      ].sort(),
    );
  });

  describe(resolveEndpoints.name, () => {
    it('applies overrides to the path only', () => {
      const map = resolveEndpoints({ purchaseWeb: '/snap-adapter/b2b2c/v1.0/debit/payment' });
      expect(map.purchaseWeb).toMatchObject({ path: '/snap-adapter/b2b2c/v1.0/debit/payment', serviceCode: '54' });
      expect(map.queryPurchase).toBe(DOKU_ENDPOINTS.queryPurchase);
    });

    it('rejects unknown endpoint names, listing every problem', () => {
      const attempt = () => resolveEndpoints({ purchaseWbe: '/x', topup: '/y' });
      expect(attempt).toThrow(DokuEndpointConfigError);
      expect(attempt).toThrow('unknown endpoint "purchaseWbe"; unknown endpoint "topup"');
    });

    it.each(['relative/path', 'https://evil.example/x', '//evil.example/x', '/a/../b', '/a b', '/a?x=1', '/'])(
      'rejects the unsafe path %p',
      (path) => {
        expect(() => resolveEndpoints({ topUp: path })).toThrow('unsafe path for topUp');
      },
    );

    it('does not treat prototype names as endpoints', () => {
      expect(isDokuEndpointName('toString')).toBe(false);
      expect(() => resolveEndpoints(JSON.parse('{"__proto__":"/x"}') as Record<string, string>)).toThrow('unknown endpoint');
    });
  });
  describe('response-code tables', () => {
    it("holds SNAP's success and pending codes for every endpoint, and DOKU's page variants for purchase and refund", () => {
      for (const e of Object.values(DOKU_ENDPOINTS)) {
        expect(e.codes.success[0]).toBe(e.successCode);
        expect(e.codes.pending[0]).toBe(`202${e.serviceCode}00`);
      }
      expect(DOKU_ENDPOINTS.refundPurchase.codes).toEqual({
        success: ['2005800', '2000700'],
        pending: ['2025800', '2020700'],
        failed: [],
        unknown: [],
      });
      expect(DOKU_ENDPOINTS.purchaseWeb.codes).toEqual({
        success: ['2005400', '2000500'],
        pending: ['2025400', '2020500'],
        failed: [],
        unknown: [],
      });
    });

    it('takes configured codes without code changes: added, or moved from another meaning', () => {
      const map = resolveEndpoints({}, { topUp: { success: ['2000000'] }, refundPurchase: { unknown: ['2000700'], failed: ['4005801'] } });
      expect(map.topUp.codes.success).toEqual(['2003800', '2000000']);
      expect(map.refundPurchase.codes).toEqual({
        success: ['2005800'],
        pending: ['2025800', '2020700'],
        failed: ['4005801'],
        unknown: ['2000700'],
      });
      expect(map.queryPurchase).toBe(DOKU_ENDPOINTS.queryPurchase);
    });

    it.each([
      [{ refundPurchse: { success: ['2000700'] } }, 'unknown endpoint "refundPurchse" in response codes'],
      [{ refundPurchase: { ok: ['2000700'] } }, 'unknown outcome "ok" for refundPurchase'],
      [{ refundPurchase: { success: ['200070'] } }, 'refundPurchase.success must be a list of seven-digit codes'],
      [{ refundPurchase: { success: '2000700' } }, 'refundPurchase.success must be a list of seven-digit codes'],
      [{ refundPurchase: { success: ['2000700'], failed: ['2000700'] } }, 'refundPurchase: 2000700 is both success and failed'],
      [{ refundPurchase: ['2000700'] }, 'response codes for refundPurchase must be an object'],
    ])('rejects the configuration %j', (codes, message) => {
      expect(() => resolveEndpoints({}, codes as never)).toThrow(message);
    });
  });
});
