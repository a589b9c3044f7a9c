import type { Harness } from './support/harness';
import { formOf, getPage, idr, makePartner, P, postForm, startHarness } from './support/harness';
import { NotificationReceiver } from './support/receiver';

async function eventually(check: () => boolean, timeoutMs = 3000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > until) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('DANA one-time payment', () => {
  let h: Harness;
  let receiver: NotificationReceiver;
  const returnUrl = 'https://partner.example.com/v1/callbacks/doku/purchase?ref=DNA-1';
  const device = { 'X-DEVICE-ID': 'Pixel7a0123', 'X-IP-ADDRESS': '10.1.2.3' };

  beforeAll(async () => {
    const partner = makePartner();
    receiver = new NotificationReceiver(partner.clientSecret, () => h.sim.dokuPublicKeyPem);
    await receiver.start();
    h = await startHarness({ notifications: { enabled: true, baseUrl: receiver.url, retryDelaysMs: [0, 2000], timeScale: 0.01 } }, partner);
  });
  afterAll(async () => {
    await h.sim.close();
    await receiver.stop();
  });
  beforeEach(async () => {
    receiver.received.length = 0;
    h.sim.control.clearFaults();
    await h.client.getB2bToken();
  });

  const paymentBody = (ref: string, value: string, extra: Record<string, unknown> = {}) => ({
    partnerReferenceNo: ref,
    amount: idr(value),
    urlParam: [{ url: returnUrl, type: 'PAY_RETURN', isDeepLink: 'N' }],
    validUpTo: new Date(h.clock.now() + 15 * 60_000)
      .toISOString()
      .replace('Z', '+00:00')
      .replace(/\.\d{3}/, ''),
    pointOfInitiation: 'app',
    additionalInfo: { channel: 'EMONEY_DANA_SNAP', orderTitle: 'Sepatu', supportDeepLinkCheckoutUrl: false },
    ...extra,
  });
  const pay = (ref: string, value: string, headers: Record<string, string> = device, path: string = P.danaPayment) =>
    h.client.call(path, paymentBody(ref, value), { headers });
  const status = (ref: string) =>
    h.client.call(P.danaStatus, { originalPartnerReferenceNo: ref, serviceCode: '55', additionalInfo: { channel: 'EMONEY_DANA_SNAP' } });
  const refund = (ref: string, refundNo: string, value: string, headers: Record<string, string> = { 'X-DEVICE-ID': 'PARTNERBACKEND' }) =>
    h.client.call(
      P.danaRefund,
      {
        originalPartnerReferenceNo: ref,
        partnerRefundNo: refundNo,
        refundAmount: idr(value),
        reason: 'Request by Customer',
        additionalInfo: { channel: 'EMONEY_DANA_SNAP' },
      },
      { headers },
    );

  it("pay → DANA's page → approve → notified → status 00 → partial refund → over-refund refused → full refund (04)", async () => {
    const created = await pay('DNA-1', '150000.00');
    expect(created.status).toBe(200);
    // The DANA page's code, with no customer token and no binding.
    expect(created.body).toMatchObject({ responseCode: '2000500', partnerReferenceNo: 'DNA-1' });
    expect(typeof created.body.referenceNo).toBe('string');
    expect((await status('DNA-1')).body).toMatchObject({ responseCode: '2005500', latestTransactionStatus: '01' });
    expect(h.sim.control.danaPayment({ partnerReferenceNo: 'DNA-1' })).toMatchObject({ deviceId: 'Pixel7a0123', ipAddress: '10.1.2.3' });

    const url = created.body.webRedirectUrl as string;
    expect(url).toContain('/dana/pay?token=');
    const page = await getPage(url);
    expect(page.html).toContain('IDR 150000.00');
    const f = formOf(page.html);
    const approved = await postForm(url, f.action, { token: f.token, action: 'approve' });
    expect(approved.status).toBe(302);
    const back = new URL(approved.location!);
    expect(back.searchParams.get('ref')).toBe('DNA-1');
    expect(back.searchParams.get('status')).toBe('SUCCESS');
    expect(h.sim.control.ledger({ partnerReferenceNo: 'DNA-1' })).toMatchObject({ debitCount: 1, debitTotal: '150000.00' });
    // The page is single-use.
    expect((await getPage(url)).status).toBe(404);

    const [n] = await receiver.waitFor(1);
    expect(n.tokenValid).toBe(true);
    expect(n.symmetricValid).toBe(true);
    expect(n.body).toMatchObject({
      originalPartnerReferenceNo: 'DNA-1',
      latestTransactionStatus: '00',
      amount: idr('150000.00'),
      additionalInfo: { channelId: 'EMONEY_DANA_SNAP', accountType: 'EMONEY' },
    });

    const paid = await status('DNA-1');
    expect(paid.body).toMatchObject({ latestTransactionStatus: '00', originalReferenceNo: created.body.referenceNo, refundHistory: [] });

    const partial = await refund('DNA-1', 'RFD-1', '50000.00');
    expect(partial.body).toMatchObject({ responseCode: '2000700', partnerRefundNo: 'RFD-1', refundAmount: idr('50000.00') });
    expect(partial.body.refundTime).toMatch(/\+07:00$/);
    // More than what is left: 404xx13, in the refund's own service digits.
    expect((await refund('DNA-1', 'RFD-2', '100000.01')).body.responseCode).toBe('4040713');
    // The same refund reference again is a duplicate, never a second credit.
    expect((await refund('DNA-1', 'RFD-1', '50000.00')).body.responseCode).toBe('4090701');
    const rest = await refund('DNA-1', 'RFD-3', '100000.00');
    expect(rest.body.responseCode).toBe('2000700');
    const after = await status('DNA-1');
    expect(after.body.latestTransactionStatus).toBe('04');
    expect(after.body.refundHistory).toEqual([
      expect.objectContaining({ partnerRefundNo: 'RFD-1', partnerReferenceNo: 'RFD-1', refundStatus: '00', refundAmount: idr('50000.00') }),
      expect.objectContaining({
        partnerRefundNo: 'RFD-3',
        partnerReferenceNo: 'RFD-3',
        refundStatus: '00',
        refundAmount: idr('100000.00'),
      }),
    ]);
    expect(h.sim.control.ledger({ kind: 'DANA_REFUND_CREDIT' }).creditTotal).toBe('150000.00');
  });

  it('the customer declines on the page, or through the control API: 06 and a notification', async () => {
    const a = await pay('DNA-2', '1000.00');
    const url = a.body.webRedirectUrl as string;
    const f = formOf((await getPage(url)).html);
    const declined = await postForm(url, f.action, { token: f.token, action: 'decline' });
    expect(new URL(declined.location!).searchParams.get('status')).toBe('FAILED');
    expect((await status('DNA-2')).body.latestTransactionStatus).toBe('06');

    await pay('DNA-3', '2000.00');
    expect(h.sim.control.danaPay({ partnerReferenceNo: 'DNA-3', outcome: 'decline' })).toMatchObject({ result: 'FAILED', status: '06' });
    expect(h.sim.control.danaPay({ partnerReferenceNo: 'DNA-3', outcome: 'approve' })).toMatchObject({ result: 'INVALID_STATE' });
    // Only this test's payments: a notification of an earlier test may still arrive (retries).
    const mine = () => receiver.received.filter((n) => ['DNA-2', 'DNA-3'].includes(String(n.body.originalPartnerReferenceNo)));
    for (const until = Date.now() + 5000; mine().length < 2 && Date.now() < until;) await new Promise((r) => setTimeout(r, 10));
    const got = mine();
    expect(got.map((n) => [n.body.originalPartnerReferenceNo, n.body.latestTransactionStatus])).toEqual([
      ['DNA-2', '06'],
      ['DNA-3', '06'],
    ]);
    expect(h.sim.control.ledger({ partnerReferenceNo: 'DNA-2' }).debitCount).toBe(0);
    expect((await refund('DNA-3', 'RFD-DNA-3', '1.00')).body.responseCode).toBe('4040700');
  });

  it('a payment whose validUpTo passes expires (06); an unknown payment is 404xx01 to a refund and to the status query', async () => {
    await pay('DNA-4', '3000.00');
    h.clock.advance(16 * 60_000);
    // The B2B token lapsed meanwhile (900 s).
    await h.client.getB2bToken();
    expect((await status('DNA-4')).body.latestTransactionStatus).toBe('06');
    expect(h.sim.control.danaPay({ partnerReferenceNo: 'DNA-4', outcome: 'approve' })).toMatchObject({
      result: 'FAILED',
      reason: 'EXPIRED',
    });
    expect((await refund('DNA-NOPE', 'RFD-NOPE', '1.00')).body.responseCode).toBe('4040701');
    expect((await status('DNA-NOPE')).body.responseCode).toBe('4045501');
  });

  it.each([
    [{}, '4000502'],
    [{ 'X-DEVICE-ID': 'dev-1' }, '4000501'],
    [{ 'X-DEVICE-ID': 'dev1', 'X-IP-ADDRESS': '300.1.1.1' }, '4000501'],
    [{ 'X-DEVICE-ID': 'dev1', 'X-IP-ADDRESS': 'fe80::1' }, '4000501'],
  ])('refuses the payment with device headers %j (%s), applying nothing', async (headers, code) => {
    const ref = `DNA-H-${code}-${Object.keys(headers).length}-${String(Object.values(headers)[1] ?? '')}`;
    const r = await pay(ref, '1000.00', headers);
    expect(r.body.responseCode).toBe(code);
    expect((await status(ref)).body.responseCode).toBe('4045501');
  });

  it('refuses a refund without X-DEVICE-ID, a bad signature, and a second payment with the same reference', async () => {
    await pay('DNA-5', '1000.00');
    h.sim.control.danaPay({ partnerReferenceNo: 'DNA-5', outcome: 'approve' });
    expect((await refund('DNA-5', 'RFD-5', '1.00', {})).body.responseCode).toBe('4000702');
    const forged = await h.client.call(P.danaPayment, paymentBody('DNA-6', '1.00'), { headers: device, signature: 'AAAA' });
    expect([forged.status, forged.body.responseCode]).toEqual([401, '4010500']);
    expect((await pay('DNA-5', '1000.00')).body.responseCode).toBe('4090501');
    expect((await pay('DNA-5', '999.00')).body.responseCode).toBe('4040518');
    expect(h.sim.control.ledger({ partnerReferenceNo: 'DNA-5' }).debitCount).toBe(1);
  });

  it("answers on DOKU's older DANA path too", async () => {
    const r = await pay('DNA-7', '1000.00', device, '/direct-debit/merchant/dana/v1.0/debit/payment-host-to-host');
    expect(r.body.responseCode).toBe('2000500');
  });

  it('faults: a dropped answer still created the payment once; latency delays the answer', async () => {
    h.sim.control.setFaults([{ endpoint: 'danaPayment', type: 'drop', times: 1 }]);
    await expect(pay('DNA-8', '1000.00')).rejects.toThrow();
    expect((await status('DNA-8')).body.latestTransactionStatus).toBe('01');
    expect((await pay('DNA-8', '1000.00')).body.responseCode).toBe('4090501');

    h.sim.control.setFaults([{ endpoint: 'danaStatus', type: 'latency', latencyMs: 150 }]);
    const started = Date.now();
    await status('DNA-8');
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);

    h.sim.control.setFaults([{ endpoint: 'danaRefund', type: 'error_after', times: 1 }]);
    h.sim.control.danaPay({ partnerReferenceNo: 'DNA-8', outcome: 'approve' });
    expect((await refund('DNA-8', 'RFD-8', '10.00')).status).toBe(500);
    // Applied despite the 500: the status lists it, and the ledger has one credit.
    expect((await status('DNA-8')).body.refundHistory).toEqual([expect.objectContaining({ partnerRefundNo: 'RFD-8', refundStatus: '00' })]);
    expect(h.sim.control.ledger({ partnerReferenceNo: 'RFD-8' }).creditCount).toBe(1);
    await eventually(() => receiver.received.length >= 1);
  });
});
