import { toHistoryDetail, toHistoryPage, toTransactionHistoryDetailRequest, toTransactionHistoryListRequest } from './history.mapper';

const idr = (value: string) => ({ value, currency: 'IDR' });

describe('history mapper', () => {
  it('builds Transaction History List with DOKU times in whole seconds', () => {
    const request = toTransactionHistoryListRequest({
      partnerReferenceNo: 'HIS-1',
      from: new Date('2025-01-01T00:00:00.000Z'),
      to: new Date('2025-01-31T00:00:00.900Z'),
      pageSize: 50,
      pageNumber: 0,
    });
    expect(JSON.stringify(request)).toBe(
      '{"partnerReferenceNo":"HIS-1","fromDateTime":"2025-01-01T07:00:00+07:00","toDateTime":"2025-01-31T07:00:00+07:00",' +
        '"pageSize":50,"pageNumber":0,"additionalInfo":{}}',
    );
  });

  it('builds Transaction History Detail with our reference only', () => {
    expect(JSON.stringify(toTransactionHistoryDetailRequest('PUR-1'))).toBe('{"originalPartnerReferenceNo":"PUR-1"}');
  });

  it('reads history lines: references from the additional info, the status word and our reading of it', () => {
    const page = toHistoryPage({
      responseCode: '2001200',
      detailData: [
        {
          dateTime: '2025-01-02T10:00:00+07:00',
          amount: idr('150000.00'),
          remark: 'Coffee',
          status: 'SUCCESS',
          type: 'PAYMENT',
          additionalInfo: { partnerReferenceNo: 'PUR-1', referenceNo: 'R1' },
        },
        { status: 'WHATEVER', amount: idr('1.5'), additionalInfo: { partnerReferenceNo: '' } },
      ],
    });
    expect(page.entries?.[0]).toEqual({
      partnerReferenceNo: 'PUR-1',
      referenceNo: 'R1',
      status: 'SUCCESS',
      statusText: 'SUCCESS',
      type: 'PAYMENT',
      dateTime: '2025-01-02T10:00:00+07:00',
      amount: 150000n,
      remark: 'Coffee',
    });
    expect(page.entries?.[1]).toMatchObject({
      partnerReferenceNo: undefined,
      status: 'PENDING',
      statusText: 'WHATEVER',
      amount: undefined,
    });
  });

  it('reads a missing page as empty and a page that is not a list as unreadable', () => {
    expect(toHistoryPage({ responseCode: '2001200' }).entries).toEqual([]);
    expect(toHistoryPage({ responseCode: '2001200', detailData: { a: 1 } } as never).entries).toBeUndefined();
  });

  it("reads the detail: its own referenceNo first, the additional info's as a fallback, and the refunded part", () => {
    const detail = toHistoryDetail({
      responseCode: '2001300',
      referenceNo: 'R1',
      status: 'SUCCESS',
      refundAmount: idr('5000.00'),
      additionalInfo: { referenceNo: 'R2' },
    });
    expect(detail).toMatchObject({ referenceNo: 'R1', ownReferenceNo: 'R1', refundAmount: 5000n, status: 'SUCCESS' });
    const fallback = toHistoryDetail({ responseCode: '2001300', additionalInfo: { referenceNo: 'R2' } });
    expect(fallback.referenceNo).toBe('R2');
    expect(fallback.ownReferenceNo).toBeUndefined();
  });
});
