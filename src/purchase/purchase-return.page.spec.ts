import { purchaseReturnPage } from './purchase-return.page';

describe('purchaseReturnPage', () => {
  it('a purchase canceled because its time to pay ran out reads as expired; one canceled otherwise as cancelled', () => {
    expect(purchaseReturnPage({ status: 'CANCELED', failureCode: 'PURCHASE.EXPIRED' })).toMatchObject({
      status: 200,
      result: 'expired',
      text: { en: { title: 'Payment expired' } },
    });
    expect(purchaseReturnPage({ status: 'CANCELED', failureCode: null })).toMatchObject({
      result: 'cancelled',
      text: { en: { title: 'Payment cancelled' } },
    });
    expect(purchaseReturnPage({ status: 'FAILED', failureCode: 'PURCHASE.EXPIRED' })).toMatchObject({ result: 'expired' });
    expect(purchaseReturnPage({ status: 'FAILED', failureCode: 'DOKU.REJECTED' })).toMatchObject({ result: 'failure' });
  });
});
