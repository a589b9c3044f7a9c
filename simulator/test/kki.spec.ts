import type { Harness } from './support/harness';
import { getPage, idr, newExternalId, P, postForm, readyCustomer, startHarness } from './support/harness';

const PAY = '/direct-debit/core/v1/debit/payment-host-to-host';
const REFUND = '/direct-debit/core/v1/debit/refund';
const STATUS = '/orders/v1.0/debit/status';
/** The DANA channel's endpoints off DOKU's direct-debit core paths, for tests of the KKI channel alone. */
const DANA_ELSEWHERE = { danaPayment: '/x-dana/debit/payment', danaRefund: '/x-dana/debit/refund', danaStatus: '/x-dana/debit/status' };
const SAMPLE = { cpan: '9360001609987000000', bankCardToken: 'de52e5820f4c381db88a1cf91d57b73e', otp: '12345678' };

let seq = 0;
const ref = (): string => `KKI${Date.now().toString(36)}${String(++seq).padStart(6, '0')}`.padEnd(32, 'x').slice(0, 32);

/** A new customer on `on` pays 10.00 by card, then `refundValue` of it is refunded: the reference and both answers. */
async function cardPaymentAndRefund(on: Harness, phoneNo: string, partnerRefundNo: string, refundValue: string) {
  const token = (await readyCustomer(on, phoneNo)).customerToken;
  const r = ref();
  const paid = await on.client.call(
    PAY,
    { partnerReferenceNo: r, amount: idr('10.00'), bankCardToken: SAMPLE.bankCardToken, otp: SAMPLE.otp, additionalInfo: {} },
    { customerToken: token },
  );
  const refunded = await on.client.call(REFUND, {
    originalPartnerReferenceNo: r,
    partnerRefundNo,
    refundAmount: idr(refundValue),
    additionalInfo: {},
  });
  return { r, paid, refunded };
}

describe('KKI card channel (SNAP direct-debit core)', () => {
  let h: Harness;
  let customerToken: string;

  beforeAll(async () => {
    h = await startHarness();
    customerToken = (await readyCustomer(h, '6281322220001')).customerToken;
  });
  afterAll(async () => {
    await h.sim.close();
  });

  const pay = (body: Record<string, unknown>, opts: Parameters<Harness['client']['call']>[2] = {}) =>
    h.client.call(PAY, { amount: idr('150000.00'), additionalInfo: {}, ...body }, { customerToken, ...opts });
  const refund = (original: string, partnerRefundNo: string, value: string) =>
    h.client.call(REFUND, {
      originalPartnerReferenceNo: original,
      partnerRefundNo,
      refundAmount: idr(value),
      reason: 'r',
      additionalInfo: {},
    });
  const status = (original: string) =>
    h.client.call(STATUS, { originalPartnerReferenceNo: original, serviceCode: '55', additionalInfo: {} });

  it('pays with the card token and OTP: 2005400, then the status is 00 with the amount', async () => {
    const r = ref();
    const res = await pay({ partnerReferenceNo: r, bankCardToken: SAMPLE.bankCardToken, otp: SAMPLE.otp });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ responseCode: '2005400', responseMessage: 'Successful', partnerReferenceNo: r });
    expect(res.body.referenceNo).toEqual(expect.any(String));
    const s = await status(r);
    expect(s.body).toMatchObject({
      responseCode: '2005500',
      latestTransactionStatus: '00',
      transAmount: idr('150000.00'),
      originalReferenceNo: res.body.referenceNo,
    });
  });

  it('pays with the CPAN in additionalInfo', async () => {
    const res = await pay({ partnerReferenceNo: ref(), additionalInfo: { cpan: SAMPLE.cpan }, otp: SAMPLE.otp });
    expect(res.body.responseCode).toBe('2005400');
  });

  it.each([
    ['a wrong OTP', { otp: '87654321' }, 404, '4045415'],
    ['an OTP of 6 digits', { otp: '123456' }, 400, '4005401'],
    ['no OTP', { otp: undefined }, 403, '4035413'],
    ['an unknown card token', { bankCardToken: 'nope' }, 404, '4045411'],
    ['a reference of 33 characters', { partnerReferenceNo: 'R'.repeat(33) }, 400, '4005401'],
  ])('refuses %s', async (_what, change, status, code) => {
    const card = h.sim.channels.kki.addCard({ otp: '11112222' });
    const res = await pay({ partnerReferenceNo: ref(), bankCardToken: card.bankCardToken, otp: card.otp, ...change });
    expect(res.status).toBe(status);
    expect(res.body.responseCode).toBe(code);
  });

  it('blocks the OTP after three wrong ones, even for the right one', async () => {
    const card = h.sim.channels.kki.addCard({});
    for (let i = 0; i < 2; i++)
      expect((await pay({ partnerReferenceNo: ref(), bankCardToken: card.bankCardToken, otp: '00000000' })).body.responseCode).toBe(
        '4045415',
      );
    expect((await pay({ partnerReferenceNo: ref(), bankCardToken: card.bankCardToken, otp: '00000000' })).body.responseCode).toBe(
      '4035411',
    );
    expect((await pay({ partnerReferenceNo: ref(), bankCardToken: card.bankCardToken, otp: card.otp })).body.responseCode).toBe('4035411');
  });

  it('refuses more than the card has', async () => {
    const card = h.sim.channels.kki.addCard({ available: '100.00' });
    expect((await pay({ partnerReferenceNo: ref(), bankCardToken: card.bankCardToken, otp: card.otp })).body.responseCode).toBe('4035414');
  });

  it('checks the signature, the B2B token and the customer token', async () => {
    const body = { partnerReferenceNo: ref(), bankCardToken: SAMPLE.bankCardToken, otp: SAMPLE.otp };
    expect((await pay(body, { signature: 'AAAA' })).body.responseCode).toBe('4015400');
    expect((await pay(body, { token: 'not-a-token' })).body.responseCode).toBe('4015401');
    expect((await pay(body, { customerToken: 'forged' })).body.responseCode).toBe('4015402');
    expect((await pay(body, { customerToken: '' })).body.responseCode).toBe('4015404');
  });

  it('answers a repeated reference with 409xx01 and a reused X-EXTERNAL-ID with the first answer', async () => {
    const body = { partnerReferenceNo: ref(), bankCardToken: SAMPLE.bankCardToken, otp: SAMPLE.otp };
    const externalId = newExternalId();
    const first = await pay(body, { externalId });
    const replay = await pay(body, { externalId });
    expect(replay.status).toBe(409);
    expect(replay.body).toEqual(first.body);
    expect((await pay(body)).body.responseCode).toBe('4095401');
  });

  it('keeps one X-EXTERNAL-ID book for every product: an id a wallet call used today is a conflict on a card call', async () => {
    const externalId = newExternalId();
    const walletCall = await h.client.call(
      P.purchaseStatus,
      { originalPartnerReferenceNo: 'never-sent', serviceCode: '55', additionalInfo: {} },
      { externalId },
    );
    expect(walletCall.body.responseCode).toEqual(expect.any(String));
    const card = await pay({ partnerReferenceNo: ref(), bankCardToken: SAMPLE.bankCardToken, otp: SAMPLE.otp }, { externalId });
    expect(card.status).toBe(409);
    expect(card.body.responseCode).toBe('4095400');
    // The card payment was not applied: the same body with a new id goes through.
    const again = await pay({ partnerReferenceNo: ref(), bankCardToken: SAMPLE.bankCardToken, otp: SAMPLE.otp });
    expect(again.body.responseCode).toBe('2005400');
  });

  it('refunds in part and then in full with 12-character references: 2000700, status 04 with both refunds', async () => {
    const r = ref();
    await pay({ partnerReferenceNo: r, bankCardToken: SAMPLE.bankCardToken, otp: SAMPLE.otp });
    const part = await refund(r, 'K00000000001', '50000.00');
    expect(part.status).toBe(200);
    expect(part.body).toMatchObject({
      responseCode: '2000700',
      partnerRefundNo: 'K00000000001',
      originalPartnerReferenceNo: r,
      refundAmount: idr('50000.00'),
    });
    expect((await status(r)).body.latestTransactionStatus).toBe('00');
    expect((await refund(r, 'K00000000002', '100000.01')).body.responseCode).toBe('4040713');
    expect((await refund(r, 'K00000000002', '100000.00')).body.responseCode).toBe('2000700');
    const s = await status(r);
    expect(s.body.latestTransactionStatus).toBe('04');
    expect(s.body.refundHistory).toEqual([
      expect.objectContaining({ partnerRefundNo: 'K00000000001', refundAmount: idr('50000.00'), refundStatus: '00' }),
      expect.objectContaining({ partnerRefundNo: 'K00000000002', refundAmount: idr('100000.00'), refundStatus: '00' }),
    ]);
    expect((await refund(r, 'K00000000003', '1.00')).body.responseCode).toBe('4040700');
  });

  it('follows the answer profiles on its status query: late-status hides a new payment for the lag, no-refund-history drops the list', async () => {
    try {
      h.sim.control.setProfiles(['late-status'], 60_000);
      const r = ref();
      await pay({ partnerReferenceNo: r, bankCardToken: SAMPLE.bankCardToken, otp: SAMPLE.otp });
      const early = await status(r);
      expect([early.status, early.body.responseCode]).toEqual([404, '4045501']);
      h.clock.advance(60_001);
      const later = await status(r);
      expect([later.status, later.body.latestTransactionStatus]).toEqual([200, '00']);

      h.sim.control.setProfiles(['no-refund-history']);
      expect((await refund(r, 'K00000000091', '1000.00')).body.responseCode).toBe('2000700');
      const without = await status(r);
      expect(without.body).toMatchObject({ latestTransactionStatus: '00', transAmount: idr('150000.00') });
      expect(without.body).not.toHaveProperty('refundHistory');
      h.sim.control.setProfiles(['strict']);
      expect((await status(r)).body.refundHistory).toEqual([expect.objectContaining({ partnerRefundNo: 'K00000000091' })]);
    } finally {
      h.sim.control.setProfiles(['strict']);
    }
  });

  it('refuses a refund reference of 13 characters and a repeated one', async () => {
    const r = ref();
    await pay({ partnerReferenceNo: r, bankCardToken: SAMPLE.bankCardToken, otp: SAMPLE.otp });
    expect((await refund(r, 'K000000000001', '1.00')).body.responseCode).toBe('4000701');
    expect((await refund(r, 'K00000000009', '1.00')).body.responseCode).toBe('2000700');
    expect((await refund(r, 'K00000000009', '1.00')).body.responseCode).toBe('4090701');
    expect((await refund(r, 'K00000000009', '2.00')).body.responseCode).toBe('4040718');
  });

  it("names its operations in the request log, not the endpoint map's on the same paths", async () => {
    // A test waiting for our calls to land counts the log by name: a card payment logged as the DANA
    // payment whose path it shares would never be counted.
    const lines: Array<Record<string, unknown>> = [];
    const logged = await startHarness({ log: (line) => lines.push(JSON.parse(line) as Record<string, unknown>) }, h.partner);
    try {
      const { r, paid, refunded } = await cardPaymentAndRefund(logged, '6281322220004', 'K00000000101', '1.00');
      expect(paid.body.responseCode).toBe('2005400');
      expect(refunded.status).toBe(200);
      await logged.client.call(STATUS, { originalPartnerReferenceNo: r, serviceCode: '55', additionalInfo: {} });
      const calls = lines.filter((l) => l.msg === 'request' && [PAY, REFUND, STATUS].includes(l.path as string));
      expect(calls.map((l) => l.endpoint)).toEqual(['kkiPayment', 'kkiRefund', 'kkiStatus']);
    } finally {
      await logged.sim.close();
    }
  });

  it('answers every request on its paths when nothing else serves them', async () => {
    // The DANA channel of the endpoint map serves the same paths by default: moved away here.
    const alone = await startHarness({ paths: DANA_ELSEWHERE }, h.partner);
    try {
      const token = (await readyCustomer(alone, '6281322220003')).customerToken;
      const res = await alone.client.call(
        PAY,
        { partnerReferenceNo: ref(), amount: idr('1.00'), additionalInfo: { channel: 'EMONEY_DANA_SNAP' } },
        { customerToken: token },
      );
      expect(res.status).toBe(400);
      expect(res.body.responseCode).toBe('4005402');
      const unknown = { originalPartnerReferenceNo: 'UNKNOWN-REFERENCE', serviceCode: '55', additionalInfo: {} };
      expect((await alone.client.call(STATUS, unknown)).body.responseCode).toBe('4045501');
      const refundOfUnknown = {
        originalPartnerReferenceNo: 'UNKNOWN-REFERENCE',
        partnerRefundNo: 'K1',
        refundAmount: idr('1.00'),
        additionalInfo: {},
      };
      expect((await alone.client.call(REFUND, refundOfUnknown)).body.responseCode).toBe('4040701');
    } finally {
      await alone.sim.close();
    }
  });

  it('leaves a request without card fields on the payment path to the DANA channel that shares it', async () => {
    const res = await h.client.call(
      PAY,
      { partnerReferenceNo: ref(), amount: idr('1.00'), additionalInfo: { channel: 'EMONEY_DANA_SNAP' } },
      { customerToken },
    );
    // DANA's answer: its payment needs X-DEVICE-ID (service digits 05 as DANA's page shows them).
    expect(res.body.responseCode).toBe('4000502');
  });

  it('shares its paths with another channel of the endpoint map, taking only KKI requests', async () => {
    const shared = await startHarness({ paths: { ...DANA_ELSEWHERE, refundPurchase: REFUND } }, h.partner);
    try {
      const { paid, refunded: kki } = await cardPaymentAndRefund(shared, '6281322220002', 'K7', '10.00');
      expect(paid.body.responseCode).toBe('2005400');
      expect(kki.body.responseCode).toBe('2000700');
      // Not a KKI payment: the wallet's refund answers it (its own "not found", service 58).
      const wallet = await shared.client.call(REFUND, {
        originalPartnerReferenceNo: 'WALLET-PURCHASE-1',
        partnerRefundNo: 'R1',
        refundAmount: idr('10.00'),
        additionalInfo: {},
      });
      expect(wallet.body.responseCode).toBe('4045801');
    } finally {
      await shared.sim.close();
    }
  });

  it('waits for the customer in the issuer app when the card asks for it, on the page or through the control API', async () => {
    const card = h.sim.channels.kki.addCard({ confirm: 'in-app' });
    const r1 = ref();
    const res = await pay({ partnerReferenceNo: r1, bankCardToken: card.bankCardToken, otp: card.otp });
    expect(res.body.responseCode).toBe('2005400');
    const link = res.body.webRedirectUrl as string;
    expect(link).toContain('/kki/confirm?token=');
    expect((await status(r1)).body.latestTransactionStatus).toBe('01');
    const page = await getPage(link);
    expect(page.status).toBe(200);
    expect(page.html).not.toContain(card.cpan);
    await postForm(link, '/kki/confirm', { token: new URL(link).searchParams.get('token') as string, action: 'approve' });
    expect((await status(r1)).body.latestTransactionStatus).toBe('00');

    const r2 = ref();
    await pay({ partnerReferenceNo: r2, bankCardToken: card.bankCardToken, otp: card.otp });
    const declined = await fetch(`${h.sim.url}/_sim/kki/payments/${r2}/confirm`, { method: 'POST', body: '{"approve":false}' });
    expect(await declined.json()).toMatchObject({ status: '06' });
    expect((await status(r2)).body.latestTransactionStatus).toBe('06');
  });

  it('applies faults like the wallet: error after applying leaves the payment paid', async () => {
    h.sim.control.setFaults([{ endpoint: 'kkiPayment', type: 'error_after', status: 503, times: 1 }]);
    const r = ref();
    const res = await pay({ partnerReferenceNo: r, bankCardToken: SAMPLE.bankCardToken, otp: SAMPLE.otp });
    expect(res.status).toBe(503);
    h.sim.control.setFaults([]);
    expect((await status(r)).body.latestTransactionStatus).toBe('00');
  });

  it('adds cards and reads payments through the control API', async () => {
    const res = await fetch(`${h.sim.url}/_sim/kki/cards`, {
      method: 'POST',
      body: JSON.stringify({ otp: '44443333', available: '500.00' }),
    });
    const card = (await res.json()) as { cpan: string; bankCardToken: string; otp: string; available: string };
    expect(card).toMatchObject({ otp: '44443333', available: '500.00' });
    const r = ref();
    await pay({ partnerReferenceNo: r, bankCardToken: card.bankCardToken, otp: card.otp, amount: idr('200.00') });
    const view = await (await fetch(`${h.sim.url}/_sim/kki/payments/${r}`)).json();
    expect(view).toMatchObject({ status: '00', amount: '200.00' });
    expect(await (await fetch(`${h.sim.url}/_sim/kki/cards/${card.cpan}`)).json()).toMatchObject({ available: '300.00' });
  });

  it('is cleared by the control API reset, keeping the sample card', async () => {
    const extra = h.sim.channels.kki.addCard({});
    await pay({ partnerReferenceNo: ref(), bankCardToken: SAMPLE.bankCardToken, otp: SAMPLE.otp });
    const res = await fetch(`${h.sim.url}/_sim/reset`, { method: 'POST' });
    expect(res.status).toBe(200);
    expect(h.sim.channels.kki.payments.size).toBe(0);
    expect(h.sim.channels.kki.cards.has(extra.cpan)).toBe(false);
    expect(h.sim.channels.kki.cards.has(SAMPLE.cpan)).toBe(true);
  });
});
