import { InvalidMoneyError, rupiah } from '../../../common/money/money';
import type { PurchaseOrder } from './purchase.mapper';
import {
  toCancelPurchaseRequest,
  toPurchaseStarted,
  toPurchaseStatus,
  toPurchaseWebRequest,
  toQueryPurchaseRequest,
} from './purchase.mapper';

const idr = (value: string) => ({ value, currency: 'IDR' });

describe('purchase mapper', () => {
  const order: PurchaseOrder = {
    partnerReferenceNo: 'PUR-1',
    amount: rupiah(150000),
    returnUrl: 'https://partner.example/v1/callbacks/doku/purchase?ref=PUR-1',
    notifyUrl: 'https://partner.example/v1/notifications/doku',
    payableUntil: new Date('2025-01-02T03:04:05.678Z'),
    description: 'Coffee',
    items: [{ name: 'Kopi susu', price: rupiah(75000), quantity: 2 }],
  };

  it('builds Purchase Web with every field in its place and order', () => {
    expect(JSON.stringify(toPurchaseWebRequest(order))).toBe(
      '{"partnerReferenceNo":"PUR-1","amount":{"value":"150000.00","currency":"IDR"},' +
        '"urlParams":[{"url":"https://partner.example/v1/callbacks/doku/purchase?ref=PUR-1","type":"PAY_RETURN","isDeeplink":"N"},' +
        '{"url":"https://partner.example/v1/notifications/doku","type":"PAY_NOTIFY","isDeeplink":"N"}],' +
        '"validUpTo":"2025-01-02T10:04:05+07:00",' +
        '"additionalInfo":{"remarks":"Coffee","lineItems":[{"name":"Kopi susu","price":"75000.00","quantity":2}]}}',
    );
  });

  it('leaves out an empty description and an empty item list', () => {
    expect(toPurchaseWebRequest({ ...order, description: '', items: [] }).additionalInfo).toEqual({});
    expect(toPurchaseWebRequest({ ...order, description: undefined, items: undefined }).additionalInfo).toEqual({});
  });

  it("reads DOKU's reference and PIN page only when they are text", () => {
    expect(toPurchaseStarted({ responseCode: '2005400', referenceNo: 'R1', webRedirectUrl: 'https://pin' })).toEqual({
      referenceNo: 'R1',
      webRedirectUrl: 'https://pin',
    });
    expect(toPurchaseStarted({ responseCode: '2005400', referenceNo: 7 } as never)).toEqual({ referenceNo: null, webRedirectUrl: null });
  });

  it('builds Query Purchase with the known references only', () => {
    expect(JSON.stringify(toQueryPurchaseRequest({ partnerReferenceNo: 'PUR-1', referenceNo: 'R1', externalId: '123' }))).toBe(
      '{"serviceCode":"54","originalPartnerReferenceNo":"PUR-1","originalReferenceNo":"R1","originalExternalId":"123","additionalInfo":{}}',
    );
    expect(JSON.stringify(toQueryPurchaseRequest({ partnerReferenceNo: 'PUR-1', referenceNo: null, externalId: '' }))).toBe(
      '{"serviceCode":"54","originalPartnerReferenceNo":"PUR-1","additionalInfo":{}}',
    );
  });

  it('reads Query Purchase: the status, its code, the references and the refund lines', () => {
    const status = toPurchaseStatus({
      responseCode: '2005500',
      latestTransactionStatus: '00',
      transactionStatusDesc: 'Success',
      originalReferenceNo: 'R1',
      originalExternalId: '123',
      paidTime: '2025-01-02T10:05:00+07:00',
      approvalCode: 'A1',
      refundHistory: [
        { partnerRefundNo: 'RFD-1', refundNo: 'F1', refundAmount: idr('1000.00'), refundStatus: '00' },
        { partnerRefundNo: 'RFD-2', refundAmount: idr('10.50'), refundStatus: '03' },
      ],
    });
    expect(status).toMatchObject({
      status: 'SUCCESS',
      statusCode: '00',
      statusDescription: 'Success',
      referenceNo: 'R1',
      externalId: '123',
      paidTime: '2025-01-02T10:05:00+07:00',
      approvalCode: 'A1',
    });
    expect(status.refunds[0]).toEqual({ partnerRefundNo: 'RFD-1', refundNo: 'F1', amount: 1000n, status: 'SUCCESS' });
    expect(status.refunds[1].status).toBe('PENDING');
    expect(status.refunds[1].amount).toBeInstanceOf(InvalidMoneyError);
  });

  it('reads an unknown status as PENDING, a missing refund list as none, and a non-text external id as none', () => {
    const status = toPurchaseStatus({ responseCode: '2005500', latestTransactionStatus: '99', originalExternalId: 5 } as never);
    expect(status).toMatchObject({ status: 'PENDING', statusCode: '99', refunds: [] });
    expect(status.externalId).toBeUndefined();
  });

  it('builds Cancel Purchase with the reason only when given', () => {
    const purchase = { partnerReferenceNo: 'PUR-1', referenceNo: 'R1', externalId: null };
    expect(JSON.stringify(toCancelPurchaseRequest({ purchase, amount: rupiah(150000), reason: 'Changed my mind' }))).toBe(
      '{"originalPartnerReferenceNo":"PUR-1","originalReferenceNo":"R1","reason":"Changed my mind","amount":{"value":"150000.00","currency":"IDR"},"additionalInfo":{}}',
    );
    expect(JSON.stringify(toCancelPurchaseRequest({ purchase, amount: rupiah(150000) }))).toBe(
      '{"originalPartnerReferenceNo":"PUR-1","originalReferenceNo":"R1","amount":{"value":"150000.00","currency":"IDR"},"additionalInfo":{}}',
    );
  });
});
