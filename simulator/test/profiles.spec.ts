import { createHash } from 'node:crypto';
import { resolveProfiles, SIMULATOR_PROFILE_NAMES } from '../src/profiles';
import type { Harness } from './support/harness';
import { formOf, getPage, idr, makePartner, P, postForm, readyCustomer, startHarness } from './support/harness';
import { NotificationReceiver } from './support/receiver';

async function eventually(check: () => boolean, timeoutMs = 3000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > until) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe(resolveProfiles.name, () => {
  it('takes the option, else DOKU_SIM_PROFILES, else strict; refuses unknown names', () => {
    expect([...resolveProfiles(undefined, undefined)]).toEqual(['strict']);
    expect([...resolveProfiles(undefined, 'late-status, no-refund-history')]).toEqual(['late-status', 'no-refund-history']);
    expect([...resolveProfiles(['alt-success-codes'], 'late-status')]).toEqual(['alt-success-codes']);
    expect(() => resolveProfiles(['no-refund-histroy'])).toThrow(/unknown simulator profile\(s\): no-refund-histroy/);
    expect(SIMULATOR_PROFILE_NAMES).toEqual(
      expect.arrayContaining([
        'strict',
        'no-refund-history',
        'alt-success-codes',
        'pretty-notifications',
        'appended-query',
        'late-status',
        'reordered-notifications',
        'no-expiry',
      ]),
    );
  });
});

describe('answer profiles', () => {
  let h: Harness;
  let c: Awaited<ReturnType<typeof readyCustomer>>;
  let seq = 0;

  beforeAll(async () => {
    h = await startHarness({ profiles: ['strict'] });
    c = await readyCustomer(h, '6281533339001', '900000.00');
  });
  afterAll(async () => {
    await h.sim.close();
  });
  afterEach(() => {
    h.sim.control.setProfiles(['strict']);
  });

  async function paid(value: string): Promise<{ ref: string; referenceNo: string }> {
    const ref = `PRF-${++seq}`;
    const r = await h.client.call(P.purchase, { partnerReferenceNo: ref, amount: idr(value) }, { customerToken: c.customerToken });
    if (!String(r.body.responseCode).startsWith('200') || r.status !== 200)
      throw new Error(`purchase: ${r.status} ${JSON.stringify(r.body)}`);
    h.sim.control.pay({ partnerReferenceNo: ref, pin: c.pin });
    return { ref, referenceNo: r.body.referenceNo as string };
  }
  const refund = (p: { ref: string; referenceNo: string }, no: string, value: string) =>
    h.client.call(P.purchaseRefund, {
      originalPartnerReferenceNo: p.ref,
      originalReferenceNo: p.referenceNo,
      partnerRefundNo: no,
      refundAmount: idr(value),
      reason: 'x',
      additionalInfo: {},
    });
  const status = (ref: string) =>
    h.client.call(P.purchaseStatus, { originalPartnerReferenceNo: ref, serviceCode: '55', additionalInfo: {} });

  it('no-refund-history: Query Purchase answers without refundHistory; strict lists the refunds', async () => {
    const p = await paid('50000.00');
    expect((await refund(p, `R-${seq}`, '10000.00')).body.responseCode).toBe('2005800');
    expect((await status(p.ref)).body.refundHistory).toEqual([
      expect.objectContaining({ partnerRefundNo: `R-${seq}`, refundStatus: '00' }),
    ]);
    h.sim.control.setProfiles(['no-refund-history']);
    const answer = await status(p.ref);
    expect(answer.body.responseCode).toBe('2005500');
    expect(answer.body).not.toHaveProperty('refundHistory');
  });

  it('alt-success-codes: refunds answer 2000700 and purchases 2000500, errors with the same service digits', async () => {
    h.sim.control.setProfiles(['alt-success-codes']);
    const p = await paid('40000.00');
    expect((await refund(p, `R-${seq}`, '10000.00')).body.responseCode).toBe('2000700');
    const over = await refund(p, `R-${seq}b`, '90000.00');
    expect(over.status).toBe(404);
    expect(over.body.responseCode).toBe('4040713');
    const r = await h.client.call(
      P.purchase,
      { partnerReferenceNo: `PRF-${++seq}`, amount: idr('1000.00') },
      { customerToken: c.customerToken },
    );
    expect(r.body.responseCode).toBe('2000500');
    // Other endpoints keep SNAP's codes.
    expect((await status(p.ref)).body.responseCode).toBe('2005500');
  });

  it('late-status: status queries do not know a new purchase or top-up until the lag has passed', async () => {
    h.sim.control.setProfiles(['late-status'], 60_000);
    const p = await paid('30000.00');
    const early = await status(p.ref);
    expect([early.status, early.body.responseCode]).toEqual([404, '4045501']);
    h.clock.advance(60_001);
    const later = await status(p.ref);
    expect([later.status, later.body.latestTransactionStatus]).toEqual([200, '00']);
  });

  it('no-expiry: a purchase past its validUpTo keeps waiting until canceled; strict expires it', async () => {
    const validUpTo = () => new Date(h.clock.now() + 60_000 + 7 * 3600_000).toISOString().slice(0, 19) + '+07:00';
    const open = async (ref: string) => {
      const r = await h.client.call(
        P.purchase,
        { partnerReferenceNo: ref, amount: idr('1000.00'), validUpTo: validUpTo() },
        { customerToken: c.customerToken },
      );
      expect(r.status).toBe(200);
    };
    const lapsed = `PRF-${++seq}`;
    await open(lapsed);
    const kept = `PRF-${++seq}`;
    await open(kept);
    h.clock.advance(61_000);
    expect((await status(lapsed)).body.latestTransactionStatus).toBe('06');
    h.sim.control.setProfiles(['no-expiry']);
    expect((await status(kept)).body.latestTransactionStatus).toBe('01');
    const cancel = await h.client.call(P.purchaseCancel, { originalPartnerReferenceNo: kept, amount: idr('1000.00'), additionalInfo: {} });
    expect(cancel.body.responseCode).toBe('2005700');
    expect((await status(kept)).body.latestTransactionStatus).toBe('05');
  });

  it('appended-query: the redirect back to the partner appends with a second "?" when the URL has a query', async () => {
    const bindRef = `BIND-${++seq}`;
    const account = h.sim.control.createAccount({ phoneNo: '6281533339002', balance: '0.00', pin: '135790' });
    for (const profiles of [['strict'], ['appended-query']]) {
      h.sim.control.setProfiles(profiles);
      const bind = await h.client.call(P.accountBinding, {
        partnerReferenceNo: `${bindRef}${profiles[0]}`,
        redirectUrl: `https://partner.example/cb?ref=${bindRef}${profiles[0]}`,
        successParams: { accountId: account.accountId },
      });
      const nextAction = bind.body.nextAction as string | undefined;
      if (!nextAction) throw new Error(`no nextAction: ${JSON.stringify(bind.body)}`);
      const page = await getPage(nextAction);
      const { action, token } = formOf(page.html);
      const done = await postForm(nextAction, action, { token, pin: '135790', action: 'approve' });
      expect(done.status).toBe(302);
      if (profiles[0] === 'strict') expect(done.location).toMatch(/^https:\/\/partner\.example\/cb\?ref=BIND-\d+strict&authCode=/);
      else expect(done.location).toMatch(/^https:\/\/partner\.example\/cb\?ref=BIND-\d+appended-query\?authCode=/);
    }
  });
});

describe('notifier', () => {
  let h: Harness;
  let receiver: NotificationReceiver;
  let c: Awaited<ReturnType<typeof readyCustomer>>;
  let seq = 0;

  beforeAll(async () => {
    const partner = makePartner('BRN-0000-1700000000098');
    receiver = new NotificationReceiver(partner.clientSecret, () => h.sim.dokuPublicKeyPem);
    await receiver.start();
    h = await startHarness(
      {
        profiles: ['strict'],
        notifications: { enabled: true, baseUrl: receiver.url, retryDelaysMs: [0, 1000, 1000, 1000], timeScale: 0.01 },
      },
      partner,
    );
    c = await readyCustomer(h, '6281533339003', '900000.00');
    await h.client.getB2bToken();
  });
  afterAll(async () => {
    await h.sim.close();
    await receiver.stop();
  });
  afterEach(() => {
    h.sim.control.setProfiles(['strict']);
    receiver.received.length = 0;
    receiver.ackCode = '2005600';
    receiver.tokenDelayMs = 0;
  });

  async function paid(value: string): Promise<string> {
    const ref = `NTF-${++seq}`;
    const r = await h.client.call(P.purchase, { partnerReferenceNo: ref, amount: idr(value) }, { customerToken: c.customerToken });
    if (r.status !== 200) throw new Error(`purchase: ${r.status} ${JSON.stringify(r.body)}`);
    h.sim.control.pay({ partnerReferenceNo: ref, pin: c.pin });
    return ref;
  }

  it('concurrent notifications share one partner token request', async () => {
    // First in this suite: no partner token is cached yet.
    receiver.tokenDelayMs = 100;
    const refs: string[] = [];
    for (const value of ['1000.00', '1001.00', '1002.00', '1003.00']) {
      const ref = `NTF-${++seq}`;
      const r = await h.client.call(P.purchase, { partnerReferenceNo: ref, amount: idr(value) }, { customerToken: c.customerToken });
      expect(r.status).toBe(200);
      refs.push(ref);
    }
    for (const ref of refs) h.sim.control.pay({ partnerReferenceNo: ref, pin: c.pin });
    await receiver.waitFor(4);
    expect(receiver.tokenRequests).toBe(1);
  });

  it('counts a delivery only when the partner answers the documented 2005600, retrying otherwise', async () => {
    receiver.ackCode = '2000000';
    const ref = await paid('2000.00');
    await eventually(() => receiver.received.filter((n) => n.body.originalPartnerReferenceNo === ref).length >= 2);
    expect(h.sim.control.notifications({ partnerReferenceNo: ref })[0]?.status).not.toBe('delivered');
    receiver.ackCode = '2005600';
    await eventually(() => h.sim.control.notifications({ partnerReferenceNo: ref })[0]?.status === 'delivered', 5000);
  });

  it('delivers the notifications of one transaction in order: a refund never before its purchase', async () => {
    // The purchase's notification fails twice and is retried 200 ms later each time; the refund
    // happens meanwhile, and its notification must still wait for the purchase's.
    h.sim.control.setNotification(h.partner.clientId, { retryDelaysMs: [0, 20_000, 20_000, 20_000] });
    receiver.failFirst = 2;
    const ref = await paid('3000.00');
    const referenceNo = h.sim.control.transactions({ partnerReferenceNo: ref })[0].referenceNo;
    await h.client.call(P.purchaseRefund, {
      originalPartnerReferenceNo: ref,
      originalReferenceNo: referenceNo,
      partnerRefundNo: `NR-${seq}`,
      refundAmount: idr('1000.00'),
      reason: 'x',
      additionalInfo: {},
    });
    await eventually(
      () => receiver.received.filter((n) => n.body.originalPartnerReferenceNo === ref && n.raw.includes('"REFUND"')).length >= 1,
      5000,
    );
    const order = receiver.received
      .filter((n) => n.body.originalPartnerReferenceNo === ref)
      .map((n) => (n.raw.includes('"REFUND"') ? 'REFUND' : 'PURCHASE'));
    expect(order.indexOf('REFUND')).toBeGreaterThan(order.lastIndexOf('PURCHASE'));
    h.sim.control.setNotification(h.partner.clientId, { retryDelaysMs: [0, 1000, 1000, 1000] });
  });

  it('pretty-notifications: the body travels pretty-printed, signed over its minified form', async () => {
    h.sim.control.setProfiles(['pretty-notifications']);
    const ref = await paid('4000.00');
    await eventually(() => receiver.received.some((n) => n.body.originalPartnerReferenceNo === ref));
    const n = receiver.received.find((x) => x.body.originalPartnerReferenceNo === ref)!;
    expect(n.raw).toContain('\n  "');
    expect(n.symmetricValid).toBe(false);
    const minified = JSON.stringify(JSON.parse(n.raw));
    const hash = createHash('sha256').update(minified).digest('hex');
    expect(hash).toMatch(/^[0-9a-f]{64}$/);
    expect(n.raw.replace(/\s/g, '')).toBe(minified.replace(/\s/g, ''));
  });
});

describe('amounts', () => {
  let h: Harness;
  let c: Awaited<ReturnType<typeof readyCustomer>>;
  beforeAll(async () => {
    h = await startHarness();
    c = await readyCustomer(h, '6281533339004', '900000.00');
  });
  afterAll(async () => {
    await h.sim.close();
  });

  it.each(['0150000.00', '00.50', '150000.0', '150000', '-1.00', '1e5.00'])(
    'refuses the amount %s as an invalid field format (400xx01), creating nothing',
    async (value) => {
      const ref = `AMT-${value}`;
      const r = await h.client.call(P.purchase, { partnerReferenceNo: ref, amount: idr(value) }, { customerToken: c.customerToken });
      expect([r.status, r.body.responseCode]).toEqual([400, '4005401']);
      expect(h.sim.control.transactions({ partnerReferenceNo: ref })).toHaveLength(0);
    },
  );

  it.each(['0.50', '150000.00'])('takes %s', async (value) => {
    const r = await h.client.call(
      P.purchase,
      { partnerReferenceNo: `AMT-OK-${value}`, amount: idr(value) },
      { customerToken: c.customerToken },
    );
    expect(r.status).toBe(200);
  });
});
