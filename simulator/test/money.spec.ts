import type { Harness } from './support/harness';
import { idr, P, readyCustomer, startHarness } from './support/harness';

describe('bank transfer, top-up and auth/capture/void', () => {
  let h: Harness;
  let c: Awaited<ReturnType<typeof readyCustomer>>;

  beforeAll(async () => {
    h = await startHarness({ corporateBalance: '100000.00' });
    c = await readyCustomer(h, '6281422220001', '100000.00');
  });
  afterAll(async () => {
    await h.sim.close();
  });

  const account = () => h.sim.control.getAccount(c.accountId);

  it('bank account inquiry resolves a test account; an unknown one is 4044211', async () => {
    const inq = await h.client.call(P.bankAccountInquiry, {
      partnerReferenceNo: 'BIQ-1',
      customerNumber: c.phoneNo,
      amount: idr('50000.00'),
      beneficiaryAccountNumber: '1234567890',
      additionalInfo: { bankCode: '014', accountId: c.accountId },
    });
    expect(inq.body).toMatchObject({
      responseCode: '2004200',
      partnerReferenceNo: 'BIQ-1',
      beneficiaryAccountNumber: '1234567890',
      beneficiaryAccountName: 'BUDI SANTOSO',
      beneficiaryBankCode: '014',
      amount: idr('50000.00'),
    });
    const unknown = await h.client.call(P.bankAccountInquiry, {
      partnerReferenceNo: 'BIQ-2',
      customerNumber: c.phoneNo,
      amount: idr('50000.00'),
      beneficiaryAccountNumber: '5555555555',
      additionalInfo: { bankCode: '014' },
    });
    expect(unknown.status).toBe(404);
    expect(unknown.body.responseCode).toBe('4044211');
    const noBank = await h.client.call(P.bankAccountInquiry, {
      partnerReferenceNo: 'BIQ-3',
      customerNumber: c.phoneNo,
      amount: idr('1.00'),
      beneficiaryAccountNumber: '1234567890',
      additionalInfo: {},
    });
    expect(noBank.body.responseCode).toBe('4004202');
  });

  const transfer = (ref: string, value: string, extra: Record<string, unknown> = {}) =>
    h.client.call(
      P.transferBank,
      {
        partnerReferenceNo: ref,
        customerNumber: c.phoneNo,
        accountType: '',
        beneficiaryAccountNumber: '1234567890',
        beneficiaryBankCode: '014',
        amount: idr(value),
        additionalInfo: { accountId: c.accountId },
        ...extra,
      },
      { customerToken: c.customerToken },
    );

  it('transfer debits once; insufficient funds is 4034314; a duplicate reference is 4094301', async () => {
    const ok = await transfer('BTR-1', '40000.00');
    expect(ok.body).toMatchObject({ responseCode: '2004300', partnerReferenceNo: 'BTR-1' });
    expect(ok.body.transactionDate).toMatch(/\+07:00$/);
    expect(ok.body.referenceNumber).toMatch(/^REF\d{9}$/);
    expect(account().balance).toBe('60000.00');

    const dup = await transfer('BTR-1', '40000.00');
    expect(dup.status).toBe(409);
    expect(dup.body.responseCode).toBe('4094301');
    expect(h.sim.control.ledger({ partnerReferenceNo: 'BTR-1' }).debitCount).toBe(1);

    const broke = await transfer('BTR-2', '60000.01');
    expect(broke.status).toBe(403);
    expect(broke.body.responseCode).toBe('4034314');
    expect(account().balance).toBe('60000.00');

    const unknownAccount = await transfer('BTR-3', '1.00', { beneficiaryAccountNumber: '0000000001' });
    expect(unknownAccount.body.responseCode).toBe('4044311');
    const otherCustomer = await transfer('BTR-4', '1.00', { customerNumber: '6281999999999' });
    expect(otherCustomer.body.responseCode).toBe('4014302');

    // History finds the transfer by its reference (the recovery path for transfers, which have no status query).
    const detail = await h.client.call(P.historyDetail, { originalPartnerReferenceNo: 'BTR-1' }, { customerToken: c.customerToken });
    expect(detail.body).toMatchObject({ responseCode: '2001300', type: 'DISBURSMENT', status: 'SUCCESS', amount: idr('40000.00') });
  });

  it('top-up inquiry, top-up, query; corporate balance insufficient is 4033814 and leaves status 06', async () => {
    const inq = await h.client.call(P.topUpInquiry, {
      partnerReferenceNo: 'TUI-1',
      customerNumber: c.phoneNo,
      amount: idr('50000.00'),
      additionalInfo: {},
    });
    expect(inq.body).toMatchObject({
      responseCode: '2003700',
      customerName: 'Test Customer',
      customerNumber: 'XXXXXXXXX0001',
      amount: idr('50000.00'),
      feeAmount: idr('0.00'),
    });
    const sessionId = inq.body.sessionId as string;
    const top = await h.client.call(P.topUp, {
      partnerReferenceNo: 'TOP-1',
      customerNumber: c.phoneNo,
      amount: idr('50000.00'),
      sessionId,
      additionalInfo: {},
    });
    expect(top.body).toMatchObject({ responseCode: '2003800', partnerReferenceNo: 'TOP-1', sessionId, amount: idr('50000.00') });
    expect(account().balance).toBe('110000.00');
    expect(h.sim.control.getPartner(h.partner.clientId).corporateBalance).toBe('50000.00');

    const q = await h.client.call(P.topUpStatus, {
      originalPartnerReferenceNo: 'TOP-1',
      originalReferenceNo: top.body.referenceNo,
      serviceCode: '38',
      additionalInfo: {},
    });
    expect(q.body).toMatchObject({
      responseCode: '2003900',
      latestTransactionStatus: '00',
      transactionStatusDesc: 'Success',
      amount: idr('50000.00'),
      serviceCode: '38',
    });

    const poor = await h.client.call(P.topUp, { partnerReferenceNo: 'TOP-2', customerNumber: c.phoneNo, amount: idr('50000.01') });
    expect(poor.status).toBe(403);
    expect(poor.body.responseCode).toBe('4033814');
    expect(account().balance).toBe('110000.00');
    const q2 = await h.client.call(P.topUpStatus, { originalPartnerReferenceNo: 'TOP-2', serviceCode: '38' });
    expect(q2.body.latestTransactionStatus).toBe('06');

    const unknown = await h.client.call(P.topUpStatus, { originalPartnerReferenceNo: 'TOP-404', serviceCode: '38' });
    expect(unknown.body.responseCode).toBe('4043901');
    const noCustomer = await h.client.call(P.topUpInquiry, { customerNumber: '6280000000000', amount: idr('1.00') });
    expect(noCustomer.body.responseCode).toBe('4043711');

    // The account maximum balance caps top-ups.
    h.sim.control.updateAccount(c.accountId, { maxBalance: '120000.00' });
    h.sim.control.setCorporateBalance(h.partner.clientId, '1000000.00');
    const capped = await h.client.call(P.topUp, { partnerReferenceNo: 'TOP-3', customerNumber: c.phoneNo, amount: idr('10000.01') });
    expect(capped.body.responseCode).toBe('4033802');
    h.sim.control.updateAccount(c.accountId, { maxBalance: '20000000.00' });
  });

  it('auth holds reduce the available balance; capture debits; void releases; capture after void is 405xx01', async () => {
    h.sim.control.updateAccount(c.accountId, { balance: '100000.00' });
    const auth = await h.client.call(
      P.authPayment,
      { partnerReferenceNo: 'AUTH-1', merchantId: h.partner.clientId, amount: idr('60000.00'), title: 'Hotel deposit', additionalInfo: {} },
      { customerToken: c.customerToken },
    );
    expect(auth.body).toMatchObject({ responseCode: '2006300', partnerReferenceNo: 'AUTH-1', amount: idr('60000.00') });
    expect(account()).toMatchObject({ balance: '100000.00', held: '60000.00', available: '40000.00' });
    // The hold blocks spending: a 50,000 transfer no longer fits.
    expect((await transfer('BTR-H', '50000.00')).body.responseCode).toBe('4034314');

    const refs = { originalReferenceNo: auth.body.referenceNo, originalPartnerReferenceNo: 'AUTH-1', merchantId: h.partner.clientId };
    const cap = await h.client.call(
      P.authCapture,
      { ...refs, partnerCaptureNo: 'CAP-1', captureAmount: idr('20000.00'), title: 'Night 1' },
      { customerToken: c.customerToken },
    );
    expect(cap.body).toMatchObject({
      responseCode: '2006500',
      partnerCaptureNo: 'CAP-1',
      captureAmount: idr('20000.00'),
      originalPartnerReferenceNo: 'AUTH-1',
    });
    expect(account()).toMatchObject({ balance: '80000.00', held: '40000.00' });
    const tooMuch = await h.client.call(
      P.authCapture,
      { ...refs, partnerCaptureNo: 'CAP-2', captureAmount: idr('40000.01'), title: 'x' },
      { customerToken: c.customerToken },
    );
    expect(tooMuch.body.responseCode).toBe('4046513');

    const v = await h.client.call(
      P.authVoid,
      { ...refs, partnerVoidNo: 'VOID-1', voidRemainingAmount: 'TRUE', reason: 'checkout' },
      { customerToken: c.customerToken },
    );
    expect(v.body).toMatchObject({ responseCode: '2006700', partnerVoidNo: 'VOID-1', voidAmount: idr('40000.00') });
    expect(account()).toMatchObject({ balance: '80000.00', held: '0.00', available: '80000.00' });
    const late = await h.client.call(
      P.authCapture,
      { ...refs, partnerCaptureNo: 'CAP-3', captureAmount: idr('1.00'), title: 'x' },
      { customerToken: c.customerToken },
    );
    expect(late.status).toBe(405);
    expect(late.body.responseCode).toBe('4056501');

    const broke = await h.client.call(
      P.authPayment,
      { partnerReferenceNo: 'AUTH-2', merchantId: 'M', amount: idr('80000.01'), title: 't' },
      { customerToken: c.customerToken },
    );
    expect(broke.body.responseCode).toBe('4036314');
    const noTitle = await h.client.call(
      P.authPayment,
      { partnerReferenceNo: 'AUTH-3', merchantId: 'M', amount: idr('1.00') },
      { customerToken: c.customerToken },
    );
    expect(noTitle.body).toEqual({ responseCode: '4006302', responseMessage: 'Invalid Mandatory Field {title}' });
    expect(h.sim.control.ledger({ kind: 'CAPTURE_DEBIT' }).debitCount).toBe(1);
  });
});
