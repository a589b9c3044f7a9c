import { request } from 'undici';
import type { Harness, Reply } from './support/harness';
import { idr, newExternalId, P, readyCustomer, SnapTestClient, startHarness } from './support/harness';
import { FaultInjector, MAX_OCCURRENCE_KEYS } from '../src/faults';

/** A client that keeps the raw response text instead of parsing it (for unreadable answers). */
class RawTextClient extends SnapTestClient {
  override async post(path: string, body: string, headers: Record<string, string>): Promise<Reply> {
    const res = await request(`${this.baseUrl}${path}`, {
      method: 'POST',
      body,
      headers: { 'content-type': 'application/json', ...headers },
    });
    return { status: res.statusCode, body: { text: await res.body.text() }, headers: res.headers };
  }
}

describe('fault injection', () => {
  let h: Harness;
  let c: Awaited<ReturnType<typeof readyCustomer>>;

  beforeAll(async () => {
    h = await startHarness();
    c = await readyCustomer(h, '6281644440001', '100000.00');
  });
  afterAll(async () => {
    await h.sim.close();
  });
  afterEach(() => h.sim.control.clearFaults());

  const transfer = (ref: string, externalId?: string) =>
    h.client.call(
      P.transferBank,
      {
        partnerReferenceNo: ref,
        customerNumber: c.phoneNo,
        accountType: '',
        beneficiaryAccountNumber: '1234567890',
        beneficiaryBankCode: '014',
        amount: idr('1000.00'),
        additionalInfo: {},
      },
      { customerToken: c.customerToken, externalId },
    );

  it('5xx before applying: nothing happens, a retry succeeds once', async () => {
    h.sim.control.setFaults([{ endpoint: 'transferBankPayment', type: 'error_before', times: 1 }]);
    const failed = await transfer('F-BEFORE');
    expect(failed.status).toBe(500);
    expect(failed.body.responseCode).toBe('5004300');
    expect(h.sim.control.transactions({ partnerReferenceNo: 'F-BEFORE' })).toHaveLength(0);
    const retry = await transfer('F-BEFORE');
    expect(retry.body.responseCode).toBe('2004300');
    expect(h.sim.control.ledger({ partnerReferenceNo: 'F-BEFORE' }).debitCount).toBe(1);
  });

  it('5xx after applying: the debit happened; the retry with the same reference gets 4094301', async () => {
    h.sim.control.setFaults([{ endpoint: 'transferBankPayment', type: 'error_after', status: 504, times: 1 }]);
    const failed = await transfer('F-AFTER');
    expect(failed.status).toBe(504);
    expect(failed.body.responseCode).toBe('5044300');
    expect(h.sim.control.ledger({ partnerReferenceNo: 'F-AFTER' }).debitCount).toBe(1);
    const retry = await transfer('F-AFTER');
    expect(retry.body.responseCode).toBe('4094301');
    expect(h.sim.control.ledger({ partnerReferenceNo: 'F-AFTER' }).debitCount).toBe(1);
  });

  it('apply then drop the connection: the client sees a socket error, the simulator has the debit, the same X-EXTERNAL-ID replays it with 409', async () => {
    h.sim.control.setFaults([{ endpoint: 'transferBankPayment', type: 'drop', times: 1 }]);
    const externalId = newExternalId();
    await expect(transfer('F-DROP', externalId)).rejects.toThrow();
    expect(h.sim.control.ledger({ partnerReferenceNo: 'F-DROP' }).debitCount).toBe(1);
    const replay = await transfer('F-DROP', externalId);
    expect(replay.status).toBe(409);
    expect(replay.body).toMatchObject({ responseCode: '2004300', partnerReferenceNo: 'F-DROP' });
    expect(h.sim.control.listFaults().rules[0].fired).toBe(1);
  });

  it('refuse: the socket is destroyed before processing, nothing is applied, and the same reference later succeeds once', async () => {
    h.sim.control.setFaults([{ id: 'refuse', endpoint: 'transferBankPayment', type: 'refuse', times: 1 }]);
    const before = h.sim.control.getAccount(c.accountId).balance;
    const externalId = newExternalId();
    await expect(transfer('F-REFUSE', externalId)).rejects.toThrow();
    expect(h.sim.control.transactions({ partnerReferenceNo: 'F-REFUSE' })).toHaveLength(0);
    expect(h.sim.control.ledger({ partnerReferenceNo: 'F-REFUSE' }).debitCount).toBe(0);
    expect(h.sim.control.getAccount(c.accountId).balance).toBe(before);
    // Not even the X-EXTERNAL-ID was recorded: the same id is processed as new.
    const retry = await transfer('F-REFUSE', externalId);
    expect(retry.status).toBe(200);
    expect(retry.body.responseCode).toBe('2004300');
    expect(h.sim.control.ledger({ partnerReferenceNo: 'F-REFUSE' }).debitCount).toBe(1);
    expect(h.sim.control.listFaults().rules[0].fired).toBe(1);
    expect(h.sim.control.faultFirings()).toEqual([{ rule: 'refuse', type: 'refuse', endpoint: 'transferBankPayment', key: 'F-REFUSE' }]);
  });

  it('malformed: the operation is applied, the answer is HTTP 200 with a body that is not JSON, and the X-EXTERNAL-ID replay has the real one', async () => {
    h.sim.control.setFaults([{ id: 'malformed', endpoint: 'transferBankPayment', type: 'malformed', times: 1 }]);
    const raw = new RawTextClient(h.sim.url, h.partner, h.clock.now);
    raw.b2bToken = h.client.b2bToken;
    const externalId = newExternalId();
    const body = {
      partnerReferenceNo: 'F-MALFORMED',
      customerNumber: c.phoneNo,
      accountType: '',
      beneficiaryAccountNumber: '1234567890',
      beneficiaryBankCode: '014',
      amount: idr('1000.00'),
      additionalInfo: {},
    };
    const answer = await raw.call(P.transferBank, body, { customerToken: c.customerToken, externalId });
    expect(answer.status).toBe(200);
    const text = answer.body.text as string;
    expect(text.length).toBeGreaterThan(0);
    expect(() => JSON.parse(text)).toThrow(SyntaxError);
    expect(h.sim.control.ledger({ partnerReferenceNo: 'F-MALFORMED' }).debitCount).toBe(1);
    const replay = await h.client.call(P.transferBank, body, { customerToken: c.customerToken, externalId });
    expect(replay.status).toBe(409);
    expect(replay.body).toMatchObject({ responseCode: '2004300', partnerReferenceNo: 'F-MALFORMED' });
    expect(h.sim.control.ledger({ partnerReferenceNo: 'F-MALFORMED' }).debitCount).toBe(1);
  });

  it('keyBy amount: the same seed fires the same faults for the same amounts, whatever the references', async () => {
    const pattern = async (prefix: string): Promise<string> => {
      h.sim.control.setFaults([{ endpoint: 'queryTopUp', type: 'error_before', probability: 0.5, keyBy: 'amount' }], 'by-amount');
      let out = '';
      for (let i = 0; i < 24; i++) {
        const r = await h.client.call(P.topUpStatus, {
          originalPartnerReferenceNo: `${prefix}-${i}`,
          serviceCode: '38',
          amount: idr(`${1000 + i}.00`),
        });
        out += r.status === 500 ? 'F' : '.';
      }
      return out;
    };
    const a = await pattern('RUN-A');
    expect(await pattern('RUN-B')).toBe(a);
    // Each firing names the operation it hit by its amount.
    const hit = [...a].flatMap((mark, i) => (mark === 'F' ? [`amount:${1000 + i}.00`] : []));
    expect(h.sim.control.faultFirings({ endpoint: 'queryTopUp' }).map((f) => f.key)).toEqual(hit);
    expect(a).toMatch(/F/);
    expect(a).toMatch(/\./);
    // Without an amount in the request, the rule falls back to the reference.
    h.sim.control.setFaults([{ id: 'no-amount', endpoint: 'queryTopUp', type: 'error_before', keyBy: 'amount' }]);
    expect((await h.client.call(P.topUpStatus, { originalPartnerReferenceNo: 'NO-AMOUNT', serviceCode: '38' })).status).toBe(500);
    expect(h.sim.control.listFaults().rules[0]).toMatchObject({ keyBy: 'amount', fired: 1 });
    expect(() => h.sim.control.setFaults([{ endpoint: 'topUp', type: 'drop', keyBy: 'phone' }])).toThrow(/keyBy/);
  });

  it('keys: a rule fires only on the operations it names, and with times once, whatever the seed', async () => {
    const rule = {
      id: 'planned',
      endpoint: 'queryTopUp',
      type: 'error_before',
      keyBy: 'amount',
      keys: ['amount:2002.00'],
      times: 1,
    } as const;
    const run = async (seed: string): Promise<string> => {
      h.sim.control.setFaults([rule], seed);
      let out = '';
      for (const amount of [2001, 2002, 2003, 2002]) {
        const r = await h.client.call(P.topUpStatus, {
          originalPartnerReferenceNo: `KEYS-${seed}-${amount}`,
          serviceCode: '38',
          amount: idr(`${amount}.00`),
        });
        out += r.status === 500 ? 'F' : '.';
      }
      return out;
    };
    for (const seed of ['seed-a', 'seed-b', 'seed-c']) expect(await run(seed)).toBe('.F..');
    expect(h.sim.control.faultFirings({ endpoint: 'queryTopUp' }).map((f) => f.key)).toEqual(['amount:2002.00']);
    expect(h.sim.control.listFaults().rules[0]).toMatchObject({ keys: ['amount:2002.00'], fired: 1 });
    expect(() => h.sim.control.setFaults([{ endpoint: 'topUp', type: 'drop', keys: 'amount:1.00' }])).toThrow(/keys/);
    expect(() => h.sim.control.setFaults([{ endpoint: 'topUp', type: 'drop', keys: [''] }])).toThrow(/keys/);
  });

  it('latency delays the answer', async () => {
    h.sim.control.setFaults([{ endpoint: 'balanceInquiry', type: 'latency', latencyMs: 150 }]);
    const started = Date.now();
    const r = await h.client.call(P.balanceInquiry, { partnerReferenceNo: 'LAT' }, { customerToken: c.customerToken });
    expect(r.body.responseCode).toBe('2001100');
    expect(Date.now() - started).toBeGreaterThanOrEqual(145);
  });

  it("token revocation: the fault revokes the caller's B2B token, as does the control route", async () => {
    h.sim.control.setFaults([{ endpoint: 'transferBankInquiry', type: 'revoke_token', times: 1 }]);
    const body = {
      partnerReferenceNo: 'REV',
      customerNumber: c.phoneNo,
      amount: idr('1.00'),
      beneficiaryAccountNumber: '1234567890',
      additionalInfo: { bankCode: '014' },
    };
    expect((await h.client.call(P.bankAccountInquiry, body)).body.responseCode).toBe('4014201');
    expect((await h.client.call(P.bankAccountInquiry, body)).body.responseCode).toBe('4014201');
    await h.client.getB2bToken();
    expect((await h.client.call(P.bankAccountInquiry, body)).body.responseCode).toBe('2004200');
    expect(h.sim.control.revokeTokens({ kind: 'b2b2c', accountId: c.accountId }).revoked).toBe(2);
    expect((await h.client.call(P.balanceInquiry, {}, { customerToken: c.customerToken })).body.responseCode).toBe('4011102');
  });

  it('pending (202) top-up moves no money until resolved through the control API', async () => {
    h.sim.control.setFaults([{ endpoint: 'topUp', type: 'pending', times: 1 }]);
    const before = h.sim.control.getAccount(c.accountId).balance;
    const r = await h.client.call(P.topUp, { partnerReferenceNo: 'F-PEND', customerNumber: c.phoneNo, amount: idr('700.00') });
    expect(r.status).toBe(202);
    expect(r.body.responseCode).toBe('2023800');
    expect(
      (await h.client.call(P.topUpStatus, { originalPartnerReferenceNo: 'F-PEND', serviceCode: '38' })).body.latestTransactionStatus,
    ).toBe('03');
    expect(h.sim.control.getAccount(c.accountId).balance).toBe(before);
    h.sim.control.resolve({ partnerReferenceNo: 'F-PEND', status: '00' });
    expect(
      (await h.client.call(P.topUpStatus, { originalPartnerReferenceNo: 'F-PEND', serviceCode: '38' })).body.latestTransactionStatus,
    ).toBe('00');
    expect(h.sim.control.ledger({ partnerReferenceNo: 'F-PEND' }).creditCount).toBe(1);
  });

  it('the same seed fires the same faults for the same references', async () => {
    const pattern = async (seed: string): Promise<string> => {
      const run = await startHarness({ seed });
      try {
        run.sim.control.setFaults([{ endpoint: 'queryPurchase', type: 'error_before', probability: 0.5 }]);
        let out = '';
        for (let i = 0; i < 24; i++) {
          const r = await run.client.call(P.purchaseStatus, { originalPartnerReferenceNo: `REF-${i}`, serviceCode: '54' });
          out += r.status === 500 ? 'F' : '.';
        }
        return out;
      } finally {
        await run.sim.close();
      }
    };
    const a = await pattern('replay-42');
    expect(await pattern('replay-42')).toBe(a);
    expect(a).toMatch(/F/);
    expect(a).toMatch(/\./);
    expect(await pattern('another-seed')).not.toBe(a);
  });

  it('the control API sets faults over HTTP and reports fired counts', async () => {
    const set = await request(`${h.sim.url}/_sim/faults`, {
      method: 'POST',
      body: JSON.stringify({ rules: [{ endpoint: 'queryPurchase', type: 'error_before', times: 2 }] }),
    });
    expect(set.statusCode).toBe(200);
    await set.body.text();
    const q = { originalPartnerReferenceNo: 'X', serviceCode: '54' };
    expect((await h.client.call(P.purchaseStatus, q)).status).toBe(500);
    expect((await h.client.call(P.purchaseStatus, q)).status).toBe(500);
    expect((await h.client.call(P.purchaseStatus, q)).body.responseCode).toBe('4045501');
    const list = await request(`${h.sim.url}/_sim/faults`);
    const body = (await list.body.json()) as { rules: Array<{ fired: number }> };
    expect(body.rules[0].fired).toBe(2);
    const bad = await request(`${h.sim.url}/_sim/faults`, {
      method: 'POST',
      body: JSON.stringify({ rules: [{ endpoint: 'nope', type: 'drop' }] }),
    });
    expect(bad.statusCode).toBe(400);
    await bad.body.text();
  });
});

describe('the firing log', () => {
  it('keeps the newest 20,000 firings, oldest first, and starts again empty when the rules change', () => {
    const faults = new FaultInjector('seed-ring');
    faults.set([
      { id: 'slow', endpoint: 'purchaseWeb', type: 'latency', latencyMs: 5 },
      { id: 'half', endpoint: 'purchaseWeb', type: 'error_before', probability: 0.5, keyBy: 'amount' },
    ]);
    const total = 20_007;
    let half = 0;
    for (let i = 0; i < total; i++) {
      const d = faults.decide('purchaseWeb', `ref-${i}`, '1000.00');
      expect(d.latencyMs).toBe(5);
      if (d.errorBefore !== undefined) half += 1;
    }
    // The rule that always fires fired on every call; the drawn one on some, not all.
    expect(faults.list().rules.map((r) => r.fired)).toEqual([total, half]);
    expect(half).toBeGreaterThan(total * 0.4);
    expect(half).toBeLessThan(total * 0.6);
    const log = faults.firings();
    expect(log).toHaveLength(20_000);
    // The oldest kept is the firing after the dropped ones: the last call's firings end the log.
    expect(log[log.length - 1].key).toMatch(/^(ref-20006|amount:1000\.00)$/);
    const slow = log.filter((f) => f.rule === 'slow');
    expect(slow[slow.length - 1].key).toBe('ref-20006');
    const kept = slow.map((f) => Number(f.key.slice(4)));
    expect(kept).toEqual([...kept].sort((a, b) => a - b));
    expect(kept[0]).toBe(total - slow.length);

    faults.set([{ id: 'again', endpoint: 'purchaseWeb', type: 'latency', latencyMs: 1 }]);
    expect(faults.firings()).toEqual([]);
    faults.decide('purchaseWeb', 'ref-a');
    faults.decide('purchaseWeb', 'ref-b');
    expect(faults.firings().map((f) => f.key)).toEqual(['ref-a', 'ref-b']);
  });

  it('a drawn rule decides the same with the same seed, whatever a rule that always fires does beside it', () => {
    const draw = (withAlways: boolean) => {
      const faults = new FaultInjector('seed-same');
      faults.set([
        ...(withAlways ? [{ id: 'always', endpoint: 'purchaseWeb' as const, type: 'latency' as const, latencyMs: 1 }] : []),
        { id: 'drawn', endpoint: 'purchaseWeb', type: 'error_before', probability: 0.3 },
      ]);
      return Array.from({ length: 200 }, (_, i) => faults.decide('purchaseWeb', `ref-${i % 50}`).errorBefore !== undefined);
    };
    const alone = draw(false);
    expect(draw(true)).toEqual(alone);
    expect(alone.filter(Boolean).length).toBeGreaterThan(20);
  });

  it("a drawn rule's counts per operation stay bounded, forgetting the first taken, and decide the same for the same calls", () => {
    const run = () => {
      const faults = new FaultInjector('seed-bound');
      faults.set([{ id: 'drawn', endpoint: 'purchaseWeb', type: 'error_before', probability: 0.5 }]);
      const decisions: boolean[] = [];
      for (let i = 0; i < MAX_OCCURRENCE_KEYS + 10; i++) faults.decide('purchaseWeb', `ref-${i}`);
      expect(faults.occurrenceKeys()).toBe(MAX_OCCURRENCE_KEYS);
      // ref-0 was forgotten, so its next call draws as its first did; ref-20 (kept) draws its second.
      for (const ref of ['ref-0', 'ref-0', 'ref-20', 'ref-20']) decisions.push(faults.decide('purchaseWeb', ref).errorBefore !== undefined);
      expect(faults.occurrenceKeys()).toBe(MAX_OCCURRENCE_KEYS);
      return decisions;
    };
    const fresh = new FaultInjector('seed-bound');
    fresh.set([{ id: 'drawn', endpoint: 'purchaseWeb', type: 'error_before', probability: 0.5 }]);
    const firstDraws = ['ref-0', 'ref-0'].map((ref) => fresh.decide('purchaseWeb', ref).errorBefore !== undefined);
    const decisions = run();
    expect(decisions.slice(0, 2)).toEqual(firstDraws);
    expect(run()).toEqual(decisions);
  });
});
