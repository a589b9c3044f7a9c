import type { Harness } from './support/harness';
import { formOf, getPage, idr, P, postForm, readyCustomer, startHarness } from './support/harness';
import { aesEcbDecrypt } from './support/signing';

describe('purchase, refund, cancel and history', () => {
  let h: Harness;
  let customer: Awaited<ReturnType<typeof readyCustomer>>;
  const returnUrl = 'https://partner.example.com/doku/pay-return';

  beforeAll(async () => {
    h = await startHarness();
    customer = await readyCustomer(h, '6281311110001', '500000.00');
  });
  afterAll(async () => {
    await h.sim.close();
  });

  const purchase = (ref: string, value: string, extra: Record<string, unknown> = {}) =>
    h.client.call(
      P.purchase,
      {
        partnerReferenceNo: ref,
        amount: idr(value),
        urlParams: [
          { url: returnUrl, type: 'PAY_RETURN', isDeeplink: 'N' },
          { url: 'https://partner.example.com/doku/notify', type: 'PAY_NOTIFY', isDeeplink: 'N' },
        ],
        additionalInfo: { channel: 'WEB' },
        ...extra,
      },
      { customerToken: customer.customerToken },
    );
  const query = (ref: string) =>
    h.client.call(P.purchaseStatus, { originalPartnerReferenceNo: ref, serviceCode: '54', additionalInfo: {} });
  const balance = () => h.sim.control.getAccount(customer.accountId).balance;
  /** A lapsed customer token renewed: Query Account Binding → decrypt the authCode → a new customer token. */
  const renewCustomerToken = async (): Promise<void> => {
    await h.client.getB2bToken();
    const q = await h.client.call(P.queryAccountBinding, {
      partnerReferenceNo: `QAB-${h.clock.now()}`,
      additionalInfo: { accountId: customer.accountId },
    });
    const code = aesEcbDecrypt(h.partner.authCodeKey, (q.body.additionalInfo as { authCode: string }).authCode);
    customer.customerToken = (await h.client.customerToken(code)).body.accessToken as string;
  };

  it('purchase → PIN page (wrong PIN, then right) → success → partial refund → over-refund rejected → full refund → history', async () => {
    const created = await purchase('PUR-1', '150000.00');
    expect(created.status).toBe(200);
    expect(created.body).toMatchObject({ responseCode: '2005400', partnerReferenceNo: 'PUR-1', additionalInfo: { channel: 'WEB' } });
    const referenceNo = created.body.referenceNo as string;
    expect((await query('PUR-1')).body).toMatchObject({ latestTransactionStatus: '01', transactionStatusDesc: 'Initiated' });

    const url = created.body.webRedirectUrl as string;
    const page = await getPage(url);
    expect(page.html).toContain('IDR 150000.00');
    const f = formOf(page.html);
    const wrong = await postForm(url, f.action, { token: f.token, pin: '000000' });
    expect(wrong.status).toBe(401);
    expect(balance()).toBe('500000.00');
    const paid = await postForm(url, f.action, { token: f.token, pin: customer.pin });
    expect(paid.status).toBe(302);
    const ret = new URL(paid.location!);
    expect(`${ret.origin}${ret.pathname}`).toBe(returnUrl);
    expect(Object.fromEntries(ret.searchParams)).toEqual({ partnerReferenceNo: 'PUR-1', referenceNo, status: 'SUCCESS' });
    expect(balance()).toBe('350000.00');
    expect(h.sim.control.ledger({ partnerReferenceNo: 'PUR-1' }).debitCount).toBe(1);

    const q = await query('PUR-1');
    expect(q.body).toMatchObject({
      responseCode: '2005500',
      originalPartnerReferenceNo: 'PUR-1',
      originalReferenceNo: referenceNo,
      serviceCode: '54',
      latestTransactionStatus: '00',
      transactionStatusDesc: 'Success',
      originalResponseCode: '2005400',
      refundHistory: [],
      transAmount: idr('150000.00'),
      feeAmount: idr('0.00'),
    });
    expect(q.body.paidTime).toMatch(/\+07:00$/);

    // Partial refund.
    const r1 = await h.client.call(P.purchaseRefund, {
      originalPartnerReferenceNo: 'PUR-1',
      originalReferenceNo: referenceNo,
      partnerRefundNo: 'RFD-1',
      refundAmount: idr('50000.00'),
      reason: 'Out of stock',
      additionalInfo: {},
    });
    expect(r1.body).toMatchObject({
      responseCode: '2005800',
      originalPartnerReferenceNo: 'PUR-1',
      partnerRefundNo: 'RFD-1',
      refundAmount: idr('50000.00'),
    });
    expect(r1.body.refundNo).toEqual(expect.any(String));
    expect(r1.body.refundTime).toMatch(/\+07:00$/);
    expect(balance()).toBe('400000.00');
    expect((await query('PUR-1')).body).toMatchObject({
      latestTransactionStatus: '00',
      refundHistory: [{ partnerRefundNo: 'RFD-1', refundStatus: '00', refundAmount: idr('50000.00') }],
    });

    // Duplicate refund number: same → 409xx01, different amount → 404xx18; money unchanged.
    const dup = await h.client.call(P.purchaseRefund, {
      originalPartnerReferenceNo: 'PUR-1',
      partnerRefundNo: 'RFD-1',
      refundAmount: idr('50000.00'),
    });
    expect(dup.body.responseCode).toBe('4095801');
    const inconsistent = await h.client.call(P.purchaseRefund, {
      originalPartnerReferenceNo: 'PUR-1',
      partnerRefundNo: 'RFD-1',
      refundAmount: idr('10000.00'),
    });
    expect(inconsistent.body.responseCode).toBe('4045818');

    // Refund exceeding what is left: 404xx13.
    const over = await h.client.call(P.purchaseRefund, {
      originalPartnerReferenceNo: 'PUR-1',
      partnerRefundNo: 'RFD-2',
      refundAmount: idr('100000.01'),
    });
    expect(over.status).toBe(404);
    expect(over.body.responseCode).toBe('4045813');
    expect(balance()).toBe('400000.00');

    // The rest: status 04.
    const rest = await h.client.call(P.purchaseRefund, {
      originalPartnerReferenceNo: 'PUR-1',
      partnerRefundNo: 'RFD-3',
      refundAmount: idr('100000.00'),
    });
    expect(rest.body.responseCode).toBe('2005800');
    expect((await query('PUR-1')).body.latestTransactionStatus).toBe('04');
    expect(balance()).toBe('500000.00');
    const ledger = h.sim.control.ledger({ accountId: customer.accountId });
    expect(ledger.debitTotal).toBe('150000.00');
    expect(ledger.creditTotal).toBe('150000.00');

    // History list (newest first) and detail.
    const list = await h.client.call(
      P.historyList,
      { partnerReferenceNo: 'HIS-1', pageSize: 10, pageNumber: 0, additionalInfo: {} },
      { customerToken: customer.customerToken },
    );
    expect(list.body.responseCode).toBe('2001200');
    const items = list.body.detailData as Array<{
      type: string;
      status: string;
      amount: { value: string };
      additionalInfo: { partnerReferenceNo: string };
    }>;
    expect(items.map((i) => [i.type, i.additionalInfo.partnerReferenceNo]).sort()).toEqual([
      ['PAYMENT', 'PUR-1'],
      ['REFUND', 'RFD-1'],
      ['REFUND', 'RFD-3'],
    ]);
    const detail = await h.client.call(P.historyDetail, { originalPartnerReferenceNo: 'PUR-1' }, { customerToken: customer.customerToken });
    expect(detail.body).toMatchObject({
      responseCode: '2001300',
      partnerReferenceNo: 'PUR-1',
      referenceNo,
      amount: idr('150000.00'),
      refundAmount: idr('150000.00'),
      status: 'SUCCESS',
      type: 'PAYMENT',
    });
    const missing = await h.client.call(P.historyDetail, { originalPartnerReferenceNo: 'NOPE' }, { customerToken: customer.customerToken });
    expect(missing.body.responseCode).toBe('4041301');
    const bigPage = await h.client.call(P.historyList, { pageSize: 51 }, { customerToken: customer.customerToken });
    expect(bigPage.body.responseCode).toBe('4001201');
  });

  it('duplicate purchase reference: 4095401, nothing debited twice', async () => {
    const first = await purchase('PUR-DUP', '1000.00');
    expect(first.body.responseCode).toBe('2005400');
    const again = await purchase('PUR-DUP', '1000.00');
    expect(again.status).toBe(409);
    expect(again.body.responseCode).toBe('4095401');
    expect(h.sim.control.transactions({ partnerReferenceNo: 'PUR-DUP' })).toHaveLength(1);
  });

  it('cancel: an initiated purchase becomes 05; a paid one is credited back the same day; refunds after cancel are refused', async () => {
    const a = await purchase('PUR-C1', '20000.00');
    const c1 = await h.client.call(P.purchaseCancel, {
      originalPartnerReferenceNo: 'PUR-C1',
      originalReferenceNo: a.body.referenceNo,
      reason: 'Customer cancelled',
      amount: idr('20000.00'),
      additionalInfo: {},
    });
    expect(c1.body).toMatchObject({
      responseCode: '2005700',
      originalPartnerReferenceNo: 'PUR-C1',
      originalReferenceNo: a.body.referenceNo,
    });
    expect(c1.body.cancelTime).toMatch(/\+07:00$/);
    expect((await query('PUR-C1')).body.latestTransactionStatus).toBe('05');
    // The PIN page no longer takes it.
    expect((await getPage(a.body.webRedirectUrl as string)).status).toBe(404);

    const before = balance();
    const b = await purchase('PUR-C2', '30000.00');
    const paid = h.sim.control.pay({ partnerReferenceNo: 'PUR-C2', pin: customer.pin });
    expect(paid).toMatchObject({ result: 'SUCCESS', status: '00' });
    expect(balance()).not.toBe(before);
    const c2 = await h.client.call(P.purchaseCancel, { originalPartnerReferenceNo: 'PUR-C2', originalReferenceNo: b.body.referenceNo });
    expect(c2.body.responseCode).toBe('2005700');
    expect(balance()).toBe(before);
    const refundAfterCancel = await h.client.call(P.purchaseRefund, {
      originalPartnerReferenceNo: 'PUR-C2',
      partnerRefundNo: 'RFD-C2',
      refundAmount: idr('1.00'),
    });
    expect(refundAfterCancel.body.responseCode).toBe('4045800');
    const unknown = await h.client.call(P.purchaseCancel, { originalPartnerReferenceNo: 'PUR-NONE' });
    expect(unknown.body.responseCode).toBe('4045701');

    // Next day a paid purchase cannot be cancelled (use refund).
    await purchase('PUR-C3', '1000.00');
    h.sim.control.pay({ partnerReferenceNo: 'PUR-C3' });
    h.clock.advance(24 * 3600_000);
    await h.client.getB2bToken();
    const late = await h.client.call(P.purchaseCancel, { originalPartnerReferenceNo: 'PUR-C3' });
    expect(late.status).toBe(405);
    expect(late.body.responseCode).toBe('4055701');
  });

  it('insufficient funds and expiry fail the purchase (06); unknown purchase is 4045501', async () => {
    // The previous test moved the clock a day ahead: the idle customer token has lapsed.
    const lapsed = await h.client.call(P.balanceInquiry, {}, { customerToken: customer.customerToken });
    expect(lapsed.body.responseCode).toBe('4011102');
    await renewCustomerToken();
    const tooMuch = await purchase('PUR-F1', '9000000.00');
    expect(tooMuch.status).toBe(403);
    expect(tooMuch.body.responseCode).toBe('4035414');
    expect((await query('PUR-F1')).body).toMatchObject({ latestTransactionStatus: '06', originalResponseCode: '4035414' });

    const validUpTo = new Date(h.clock.now() + 60_000 + 7 * 3600_000).toISOString().slice(0, 19) + '+07:00';
    await purchase('PUR-F2', '1000.00', { validUpTo });
    h.clock.advance(61_000);
    expect((await query('PUR-F2')).body.latestTransactionStatus).toBe('06');
    expect(h.sim.control.pay({ partnerReferenceNo: 'PUR-F2' })).toMatchObject({ result: 'FAILED', reason: 'EXPIRED' });

    expect((await query('PUR-UNKNOWN')).body.responseCode).toBe('4045501');
    expect((await h.client.call(P.purchaseStatus, { originalPartnerReferenceNo: 'PUR-1', serviceCode: '99' })).body.responseCode).toBe(
      '4005501',
    );
    expect((await h.client.call(P.purchaseStatus, { originalPartnerReferenceNo: 'PUR-1' })).body.responseCode).toBe('4005502');

    // Three wrong PINs through the control API's "user enters PIN".
    await purchase('PUR-F3', '1000.00');
    expect(h.sim.control.pay({ partnerReferenceNo: 'PUR-F3', pin: '999999' })).toMatchObject({ result: 'WRONG_PIN', attemptsLeft: 2 });
    h.sim.control.pay({ partnerReferenceNo: 'PUR-F3', pin: '999999' });
    expect(h.sim.control.pay({ partnerReferenceNo: 'PUR-F3', pin: '999999' })).toMatchObject({
      result: 'FAILED',
      reason: 'WRONG_PIN',
      status: '06',
    });
  });

  it('money validation: bad amount format is 400xx01, zero is 404xx13', async () => {
    expect((await purchase('PUR-V1', '10.001')).body).toEqual({
      responseCode: '4005401',
      responseMessage: 'Invalid Field Format {amount.value}',
    });
    expect((await purchase('PUR-V2', '0.00')).body.responseCode).toBe('4045413');
    const usd = await h.client.call(
      P.purchase,
      { partnerReferenceNo: 'PUR-V3', amount: { value: '1.00', currency: 'USD' } },
      { customerToken: customer.customerToken },
    );
    expect(usd.body.responseCode).toBe('4005401');
    const noAmount = await h.client.call(P.purchase, { partnerReferenceNo: 'PUR-V4' }, { customerToken: customer.customerToken });
    expect(noAmount.body.responseCode).toBe('4005402');
  });
});
