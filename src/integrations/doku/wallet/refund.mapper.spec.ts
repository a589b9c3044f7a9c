import { rupiah } from '../../../common/money/money';
import { toRefundPurchaseRequest, toRefundResult } from './refund.mapper';

describe('refund mapper', () => {
  it('builds Refund Purchase with every field in its place and order', () => {
    const request = toRefundPurchaseRequest({
      purchase: { partnerReferenceNo: 'PUR-1', referenceNo: 'R1', externalId: '123' },
      partnerRefundNo: 'RFD-1',
      amount: rupiah(5000),
      reason: 'Damaged',
    });
    expect(JSON.stringify(request)).toBe(
      '{"originalPartnerReferenceNo":"PUR-1","originalReferenceNo":"R1","originalExternalId":"123","partnerRefundNo":"RFD-1",' +
        '"refundAmount":{"value":"5000.00","currency":"IDR"},"reason":"Damaged","additionalInfo":{}}',
    );
  });

  it('sends an empty reason as it is, and leaves out the references DOKU has not given', () => {
    const request = toRefundPurchaseRequest({
      purchase: { partnerReferenceNo: 'PUR-1' },
      partnerRefundNo: 'RFD-1',
      amount: rupiah(1),
      reason: '',
    });
    expect(JSON.stringify(request)).toBe(
      '{"originalPartnerReferenceNo":"PUR-1","partnerRefundNo":"RFD-1","refundAmount":{"value":"1.00","currency":"IDR"},"reason":"","additionalInfo":{}}',
    );
  });

  it("reads DOKU's refund reference", () => {
    expect(toRefundResult({ responseCode: '2005800', refundNo: 'F1' })).toEqual({ refundNo: 'F1' });
    expect(toRefundResult({ responseCode: '2005800' })).toEqual({ refundNo: undefined });
  });
});
