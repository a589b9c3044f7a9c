import { rupiah } from '../../../common/money/money';
import { toQueryTopUpRequest, toTopUpInquiryRequest, toTopUpQuote, toTopUpRequest, toTopUpStatus } from './top-up.mapper';

const idr = (value: string) => ({ value, currency: 'IDR' });

describe('top-up mapper', () => {
  it('builds Account Inquiry Top Up', () => {
    expect(
      JSON.stringify(
        toTopUpInquiryRequest({ partnerReferenceNo: 'TUI-1', customerNumber: '628123', amount: rupiah(20000), accountId: 'A1' }),
      ),
    ).toBe(
      '{"partnerReferenceNo":"TUI-1","customerNumber":"628123","amount":{"value":"20000.00","currency":"IDR"},"additionalInfo":{"accountId":"A1"}}',
    );
  });

  it('reads the quote, a malformed fee as none', () => {
    expect(
      toTopUpQuote({ responseCode: '2003700', referenceNo: 'R1', sessionId: 'S1', customerName: 'Budi', feeAmount: idr('1500.00') }),
    ).toEqual({
      referenceNo: 'R1',
      sessionId: 'S1',
      customerName: 'Budi',
      feeAmount: 1500n,
    });
    expect(toTopUpQuote({ responseCode: '2003700', feeAmount: idr('1.5') }).feeAmount).toBeUndefined();
  });

  it('builds Account Top Up with the fee and the session id (at most 25 characters) only when the quote had them', () => {
    const order = { partnerReferenceNo: 'TOP-1', customerNumber: '628123', amount: rupiah(20000), accountId: 'A1' };
    expect(JSON.stringify(toTopUpRequest({ ...order, feeAmount: rupiah(0), sessionId: 'x'.repeat(30) }))).toBe(
      '{"partnerReferenceNo":"TOP-1","customerNumber":"628123","amount":{"value":"20000.00","currency":"IDR"},' +
        `"feeAmount":{"value":"0.00","currency":"IDR"},"sessionId":"${'x'.repeat(25)}","additionalInfo":{"accountId":"A1"}}`,
    );
    expect(JSON.stringify(toTopUpRequest({ ...order, feeAmount: null, sessionId: '' }))).toBe(
      '{"partnerReferenceNo":"TOP-1","customerNumber":"628123","amount":{"value":"20000.00","currency":"IDR"},"additionalInfo":{"accountId":"A1"}}',
    );
  });

  it('builds Query Top Up naming Account Top Up, without additional info', () => {
    expect(JSON.stringify(toQueryTopUpRequest({ partnerReferenceNo: 'TOP-1', referenceNo: 'R1', externalId: '123' }))).toBe(
      '{"serviceCode":"38","originalPartnerReferenceNo":"TOP-1","originalReferenceNo":"R1","originalExternalId":"123"}',
    );
    expect(JSON.stringify(toQueryTopUpRequest({ partnerReferenceNo: 'TOP-1', referenceNo: null, externalId: null }))).toBe(
      '{"serviceCode":"38","originalPartnerReferenceNo":"TOP-1"}',
    );
  });

  it('reads Query Top Up', () => {
    expect(
      toTopUpStatus({ responseCode: '2003900', latestTransactionStatus: '06', originalReferenceNo: 'R1', amount: idr('20000.00') }),
    ).toEqual({
      status: 'FAILED',
      referenceNo: 'R1',
      amount: 20000n,
    });
  });
});
