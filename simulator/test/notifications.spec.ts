import type { Harness } from './support/harness';
import { idr, makePartner, P, readyCustomer, startHarness } from './support/harness';
import { NotificationReceiver } from './support/receiver';

async function eventually(check: () => boolean, timeoutMs = 3000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > until) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('notifications to the partner', () => {
  let h: Harness;
  let receiver: NotificationReceiver;
  let c: Awaited<ReturnType<typeof readyCustomer>>;

  beforeAll(async () => {
    const partner = makePartner();
    receiver = new NotificationReceiver(partner.clientSecret, () => h.sim.dokuPublicKeyPem);
    await receiver.start();
    h = await startHarness(
      { notifications: { enabled: true, baseUrl: receiver.url, retryDelaysMs: [0, 2000, 4000], timeScale: 0.01 } },
      partner,
    );
    c = await readyCustomer(h, '6281533330001', '300000.00');
  });
  afterAll(async () => {
    await h.sim.close();
    await receiver.stop();
  });
  beforeEach(() => {
    receiver.received.length = 0;
    receiver.failFirst = 0;
  });

  const buy = async (ref: string, value: string) => {
    const r = await h.client.call(P.purchase, { partnerReferenceNo: ref, amount: idr(value) }, { customerToken: c.customerToken });
    expect(r.body.responseCode).toBe('2005400');
    return r;
  };

  it('a successful purchase is notified after a token handshake, with a valid symmetric signature', async () => {
    const r = await buy('N-PUR-1', '25000.00');
    h.sim.control.pay({ partnerReferenceNo: 'N-PUR-1', pin: c.pin });
    const [n] = await receiver.waitFor(1);
    expect(receiver.tokenRequests).toBeGreaterThanOrEqual(1);
    expect(n.tokenValid).toBe(true);
    expect(n.symmetricValid).toBe(true);
    expect(n.headers['x-partner-id']).toBe(h.partner.clientId);
    expect(n.headers['x-external-id']).toMatch(/^\d{1,36}$/);
    expect(n.body).toMatchObject({
      originalPartnerReferenceNo: 'N-PUR-1',
      originalReferenceNo: r.body.referenceNo,
      amount: idr('25000.00'),
      latestTransactionStatus: '00',
      transactionStatusDesc: 'Success',
      additionalInfo: { serviceCode: '54', eventType: 'PURCHASE' },
    });
    expect(n.body.finishedTime).toMatch(/\+07:00$/);
    await eventually(() => h.sim.control.notifications({ partnerReferenceNo: 'N-PUR-1' })[0]?.status === 'delivered');
  });

  it('retries on a non-success answer; refunds and top-ups are notified too', async () => {
    receiver.failFirst = 1;
    await buy('N-PUR-2', '10000.00');
    h.sim.control.pay({ partnerReferenceNo: 'N-PUR-2' });
    const got = await receiver.waitFor(2);
    expect(got.map((x) => x.body.originalPartnerReferenceNo)).toEqual(['N-PUR-2', 'N-PUR-2']);
    await eventually(() => h.sim.control.notifications({ partnerReferenceNo: 'N-PUR-2' })[0]?.status === 'delivered');
    expect((h.sim.control.notifications({ partnerReferenceNo: 'N-PUR-2' })[0].attempts as unknown[]).length).toBe(2);

    await h.client.call(P.purchaseRefund, {
      originalPartnerReferenceNo: 'N-PUR-2',
      partnerRefundNo: 'N-RFD-2',
      refundAmount: idr('10000.00'),
    });
    const refund = (await receiver.waitFor(3))[2];
    expect(refund.body).toMatchObject({
      latestTransactionStatus: '04',
      additionalInfo: { eventType: 'REFUND', partnerRefundNo: 'N-RFD-2' },
    });

    await h.client.call(P.topUp, { partnerReferenceNo: 'N-TOP-1', customerNumber: c.phoneNo, amount: idr('5000.00') });
    const top = (await receiver.waitFor(4))[3];
    expect(top.body).toMatchObject({
      originalPartnerReferenceNo: 'N-TOP-1',
      latestTransactionStatus: '00',
      additionalInfo: { serviceCode: '38', eventType: 'TOP_UP' },
    });
  });

  it('gives up after the retry schedule when the partner keeps failing', async () => {
    receiver.failFirst = 10;
    await buy('N-PUR-3', '1000.00');
    h.sim.control.pay({ partnerReferenceNo: 'N-PUR-3' });
    await receiver.waitFor(3);
    await eventually(() => h.sim.control.notifications({ partnerReferenceNo: 'N-PUR-3' })[0]?.status === 'failed');
    expect(receiver.received).toHaveLength(3);
  });

  it('asymmetric signing is configurable; duplicate and out-of-order faults reorder deliveries', async () => {
    h.sim.control.setNotification(h.partner.clientId, { signature: 'asymmetric' });
    await buy('N-PUR-4', '1000.00');
    h.sim.control.pay({ partnerReferenceNo: 'N-PUR-4' });
    const [asym] = await receiver.waitFor(1);
    expect(asym.asymmetricValid).toBe(true);
    expect(asym.symmetricValid).toBe(false);
    h.sim.control.setNotification(h.partner.clientId, { signature: 'symmetric' });
    receiver.received.length = 0;

    h.sim.control.setFaults([
      { endpoint: 'notification', type: 'notify_duplicate', times: 1 },
      { endpoint: 'notification', type: 'notify_out_of_order', times: 1 },
    ]);
    await buy('N-PUR-5', '1000.00');
    h.sim.control.pay({ partnerReferenceNo: 'N-PUR-5' }); // success: held back, plus a duplicate
    await h.client.call(P.purchaseRefund, { originalPartnerReferenceNo: 'N-PUR-5', partnerRefundNo: 'N-RFD-5' });
    const got = await receiver.waitFor(3);
    const statuses = got.map((x) => x.body.latestTransactionStatus);
    expect(statuses.filter((s) => s === '00')).toHaveLength(2);
    expect(statuses).toContain('04');
    // The refund (04) overtook the held-back success notification.
    expect(statuses[statuses.length - 1]).toBe('00');
    expect(got.every((x) => x.symmetricValid)).toBe(true);
    expect(h.sim.control.listFaults().rules.map((r) => r.fired)).toEqual([1, 1]);
    h.sim.control.clearFaults();
  });
});
