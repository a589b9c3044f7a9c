import { rupiah } from '../../../common/money/money';
import { symmetricSignature } from '../snap/doku-signature';
import type { DanaPaymentOrder } from './dana.mapper';
import {
  toDanaPaymentRequest,
  toDanaRefundRequest,
  toDanaRefundResult,
  toDanaStarted,
  toDanaStatus,
  toDanaStatusRequest,
} from './dana.mapper';
import { THROWAWAY_B2B_TOKEN, THROWAWAY_CLIENT_SECRET } from '../testing/doku-test-vectors';

const sign = (path: string, body: string, timestamp: string) =>
  symmetricSignature({ method: 'POST', path, accessToken: THROWAWAY_B2B_TOKEN, body, timestamp, clientSecret: THROWAWAY_CLIENT_SECRET });

describe('DANA mapper', () => {
  // The worked DANA payment: its body and signature were computed outside this code base (docs/channels.md#payment).
  const order: DanaPaymentOrder = {
    partnerReferenceNo: 'INV-0001',
    amount: rupiah(12345678),
    returnUrl: 'https://merchant.example.com/return',
    payableUntil: new Date('2024-07-10T04:57:58Z'),
    pointOfInitiation: 'app',
    title: 'Demo',
  };

  it('builds the payment byte for byte, and it signs to the worked example', () => {
    const body = JSON.stringify(toDanaPaymentRequest(order));
    expect(body).toBe(
      '{"partnerReferenceNo":"INV-0001","amount":{"value":"12345678.00","currency":"IDR"},' +
        '"urlParam":[{"url":"https://merchant.example.com/return","type":"PAY_RETURN","isDeepLink":"N"}],' +
        '"validUpTo":"2024-07-10T11:57:58+07:00","pointOfInitiation":"app",' +
        '"additionalInfo":{"channel":"EMONEY_DANA_SNAP","orderTitle":"Demo","supportDeepLinkCheckoutUrl":false}}',
    );
    expect(sign('/direct-debit/core/v1/debit/payment-host-to-host', body, '2024-07-10T11:42:58+07:00')).toBe(
      'kwR4fPdVKbxbjaJqCoraV47+IpwXWLOvjBb4KVa3MwU1xrf/je5TV1wh3C26B5ikc0RC4HRh6rGedJwAG2HdeA==',
    );
  });

  it('leaves out an empty title and keeps the point of initiation', () => {
    const request = toDanaPaymentRequest({ ...order, title: '', pointOfInitiation: 'pc' });
    expect(request.additionalInfo).toEqual({ channel: 'EMONEY_DANA_SNAP', supportDeepLinkCheckoutUrl: false });
    expect(request.pointOfInitiation).toBe('pc');
    expect(toDanaPaymentRequest({ ...order, title: null }).additionalInfo).not.toHaveProperty('orderTitle');
  });

  it('builds the refund byte for byte, and it signs to the worked example', () => {
    const body = JSON.stringify(
      toDanaRefundRequest({
        purchase: { partnerReferenceNo: 'INV-0001', externalId: '418075533589' },
        partnerRefundNo: 'INV-REF-0001',
        amount: rupiah(10000),
        reason: 'Request by Customer',
      }),
    );
    expect(body).toBe(
      '{"originalPartnerReferenceNo":"INV-0001","originalExternalId":"418075533589","partnerRefundNo":"INV-REF-0001",' +
        '"refundAmount":{"value":"10000.00","currency":"IDR"},"reason":"Request by Customer","additionalInfo":{"channel":"EMONEY_DANA_SNAP"}}',
    );
    expect(sign('/direct-debit/core/v1/debit/refund', body, '2024-07-11T09:00:00+07:00')).toBe(
      'b5p5GrtC/gcbHMegIn+FCkJADLcq2Hcx3wQ5lJE6wn5k+rCLj2VimJFcM1m9vCk5fx8Mw223wNNYNKVo6cXOuw==',
    );
  });

  it("names DOKU's reference when known and leaves out an external id longer than DANA's 36", () => {
    const body = JSON.stringify(
      toDanaRefundRequest({
        purchase: { partnerReferenceNo: 'DNA-1', referenceNo: 'R1', externalId: '1'.repeat(37) },
        partnerRefundNo: 'RFD-1',
        amount: rupiah(5),
        reason: '',
      }),
    );
    expect(body).toBe(
      '{"originalPartnerReferenceNo":"DNA-1","originalReferenceNo":"R1","partnerRefundNo":"RFD-1",' +
        '"refundAmount":{"value":"5.00","currency":"IDR"},"reason":"","additionalInfo":{"channel":"EMONEY_DANA_SNAP"}}',
    );
  });

  it('builds the status query with service code 55 and the channel', () => {
    expect(JSON.stringify(toDanaStatusRequest({ partnerReferenceNo: 'DNA-1', referenceNo: 'R1', externalId: '123' }))).toBe(
      '{"originalPartnerReferenceNo":"DNA-1","originalReferenceNo":"R1","originalExternalId":"123","serviceCode":"55",' +
        '"additionalInfo":{"channel":"EMONEY_DANA_SNAP"}}',
    );
    expect(JSON.stringify(toDanaStatusRequest({ partnerReferenceNo: 'DNA-1', referenceNo: null, externalId: null }))).toBe(
      '{"originalPartnerReferenceNo":"DNA-1","serviceCode":"55","additionalInfo":{"channel":"EMONEY_DANA_SNAP"}}',
    );
  });

  it("reads DANA's page and DOKU's reference only when they are text", () => {
    expect(toDanaStarted({ responseCode: '2000500', referenceNo: 'R1', webRedirectUrl: 'https://dana.example/link/1' })).toEqual({
      referenceNo: 'R1',
      webRedirectUrl: 'https://dana.example/link/1',
    });
    // One of DOKU's samples renders referenceNo as a number (2.02310111112128e+34): digits already lost.
    expect(toDanaStarted({ responseCode: '2000500', referenceNo: 2.02310111112128e34 } as never)).toEqual({
      referenceNo: null,
      webRedirectUrl: null,
    });
  });

  it('reads the status, and refund lines under either name of our refund reference', () => {
    const status = toDanaStatus({
      responseCode: '2005500',
      latestTransactionStatus: '00',
      transactionStatusDesc: 'Success',
      originalReferenceNo: 'R1',
      originalExternalId: '123',
      refundHistory: [
        { partnerRefundNo: 'RFD-A', refundNo: 'D1', refundAmount: { value: '10.00', currency: 'IDR' }, refundStatus: '00' },
        { partnerReferenceNo: 'RFD-B', refundNo: 'D2', refundAmount: { value: '5.00', currency: 'IDR' }, refundStatus: '06' },
      ],
    });
    expect(status).toMatchObject({ status: 'SUCCESS', statusCode: '00', referenceNo: 'R1', externalId: '123' });
    expect(status.refunds.map((r) => [r.partnerRefundNo, r.refundNo, r.status])).toEqual([
      ['RFD-A', 'D1', 'SUCCESS'],
      ['RFD-B', 'D2', 'FAILED'],
    ]);
    expect(toDanaStatus({ responseCode: '2005500', latestTransactionStatus: '99' }).status).toBe('PENDING');
    expect(toDanaStatus({ responseCode: '2005500', latestTransactionStatus: '06' }).status).toBe('FAILED');
    expect(toDanaStatus({ responseCode: '2005500', latestTransactionStatus: '07' }).status).toBe('NOT_FOUND');
    expect(toDanaStatus({ responseCode: '2005500' }).refunds).toEqual([]);
  });

  it("reads the refund's DOKU reference", () => {
    expect(toDanaRefundResult({ responseCode: '2000700', refundNo: 'D9', refundTime: '2024-01-01T09:09:00.123' })).toEqual({
      refundNo: 'D9',
    });
    expect(toDanaRefundResult({ responseCode: '2000700' })).toEqual({ refundNo: undefined });
  });
});
