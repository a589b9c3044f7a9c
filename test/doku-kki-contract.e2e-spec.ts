import { rupiah } from '../src/common/money/money';
import { DEV_DOKU_CREDENTIALS } from '../src/config/dev-credentials';
import { DOKU_ENDPOINTS } from '../src/integrations/doku/snap/doku-endpoints';
import { REDACTED } from '../src/integrations/doku/snap/doku-redaction';
import { DokuResponseError } from '../src/integrations/doku/snap/doku.errors';
import type { ExternalIdBlock, ExternalIdRepository } from '../src/integrations/doku/snap/external-id.repository';
import { KkiRefundNumbers } from '../src/integrations/doku/kki/kki-refund-number';
import { DokuKkiCards } from '../src/integrations/doku/kki/kki.facade';
import { newKkiPartnerReference } from '../src/integrations/doku/kki/kki.mapper';
import type { SimulatorHandle } from '../simulator/src';
import { SAMPLE_CARD, startSimulator } from '../simulator/src';
import type { ContractHarness } from './support/doku-contract-helpers';
import { buildHarness, contractConfig, phone, RecorderRegistry, SecretBook } from './support/doku-contract-helpers';

/**
 * Contract between the KKI card facade and client (src/integrations/doku, kki.*) and the
 * simulator's KKI mode, over real HTTP with the shared SNAP signing, B2B token and exchange
 * records: each operation's success, a refusal, a refused signature, an unknown outcome settled by
 * the status query, and card data kept out of every record. No database: refund references come
 * from blocks handed out here the way the X-EXTERNAL-ID sequence hands them out.
 */

const CLIENT_ID = DEV_DOKU_CREDENTIALS.clientId;

/** Sequence blocks as PostgreSQL would give them (the repository itself is covered with the X-EXTERNAL-ID generator). */
class BlockSource {
  private next = 1_000n;
  reserveBlock(): Promise<ExternalIdBlock> {
    const block = { first: this.next, size: 50 };
    this.next += 50n;
    return Promise.resolve(block);
  }
}

async function failureOf(call: Promise<unknown>): Promise<DokuResponseError> {
  try {
    await call;
  } catch (error) {
    expect(error).toBeInstanceOf(DokuResponseError);
    return error as DokuResponseError;
  }
  throw new Error('expected the DOKU call to fail, it succeeded');
}

describe('KKI card client ↔ simulator contract', () => {
  const registry = new RecorderRegistry();
  const secrets = new SecretBook();
  let sim: SimulatorHandle;
  let main: ContractHarness;
  let cards: DokuKkiCards;
  let customerToken: string;
  const closers: ContractHarness[] = [];

  beforeAll(async () => {
    sim = await startSimulator({ port: 0, log: false, seed: 'kki-contract' });
    main = buildHarness(registry, contractConfig(sim.url));
    closers.push(main);
    cards = new DokuKkiCards(main.client, new KkiRefundNumbers(new BlockSource() as unknown as ExternalIdRepository));
    // DOKU's page makes the customer token mandatory on the payment: any live one of the partner.
    const created = sim.control.createAccount({ phoneNo: phone(), balance: 0, pin: '735194', bindTo: CLIENT_ID });
    const token = await main.client.b2b2cToken({ grantType: 'authorization_code', authCode: created.authCode as string });
    customerToken = token.body.accessToken as string;
    secrets.add(customerToken);
    secrets.add(DEV_DOKU_CREDENTIALS.clientSecret);
    secrets.add(SAMPLE_CARD.cpan);
    secrets.add(SAMPLE_CARD.bankCardToken);
    secrets.addShort(SAMPLE_CARD.otp);
  });

  afterAll(async () => {
    await Promise.all(closers.map((h) => h.client.close()));
    await sim?.close();
  });

  const payment = (
    amount: number,
    card: { bankCardToken: string } | { cpan: string } = { bankCardToken: SAMPLE_CARD.bankCardToken },
    otp: string = SAMPLE_CARD.otp,
  ) => ({
    partnerReferenceNo: newKkiPartnerReference(),
    amount: rupiah(amount),
    card,
    otp,
  });

  it('pays with the card token and OTP, and the status query confirms it', async () => {
    const order = payment(150_000);
    const paid = await cards.pay(customerToken, order);
    expect(DOKU_ENDPOINTS.kkiPayment.codes.success).toContain(paid.responseCode);
    expect(paid.responseCode).toBe('2005400');
    expect(paid.body).toEqual({ referenceNo: expect.any(String), webRedirectUrl: null });
    const status = await cards.status({ partnerReferenceNo: order.partnerReferenceNo, referenceNo: paid.body.referenceNo });
    expect(status.responseCode).toBe('2005500');
    expect(status.body).toMatchObject({ status: 'SUCCESS', statusCode: '00', amount: rupiah(150_000), refunds: [] });
  });

  it('pays with the CPAN when there is no card token', async () => {
    const card = sim.channels.kki.addCard({ otp: '24681357' });
    secrets.add(card.cpan);
    secrets.addShort(card.otp);
    const paid = await cards.pay(customerToken, payment(20_000, { cpan: card.cpan }, card.otp));
    expect(paid.responseCode).toBe('2005400');
  });

  it('refuses a wrong OTP as a definite decline (nothing was charged)', async () => {
    const card = sim.channels.kki.addCard({ otp: '11223344', available: '1000000.00' });
    secrets.add(card.bankCardToken);
    const e = await failureOf(cards.pay(customerToken, payment(10_000, { bankCardToken: card.bankCardToken }, '44332211')));
    expect({ kind: e.kind, code: e.code, responseCode: e.responseCode, outcomeUnknown: e.outcomeUnknown }).toEqual({
      kind: 'REJECTED',
      code: 'DOKU.INVALID_OTP',
      responseCode: '4045415',
      outcomeUnknown: false,
    });
    expect(sim.channels.kki.cards.get(card.cpan)?.available).toBe(100_000_000n);
  });

  it('refunds in part, refuses an over-refund, refunds the rest, with references of 12 characters', async () => {
    const order = payment(90_000);
    const paid = await cards.pay(customerToken, order);
    const reference = { partnerReferenceNo: order.partnerReferenceNo, referenceNo: paid.body.referenceNo, externalId: paid.externalId };
    const first = await cards.newRefundNo();
    expect(first).toMatch(/^[A-Z0-9]{12}$/);
    const part = await cards.refund({ purchase: reference, partnerRefundNo: first, amount: rupiah(30_000), reason: 'Request by Customer' });
    expect(part.responseCode).toBe('2000700');
    expect(part.body.refundNo).toEqual(expect.any(String));
    const over = await failureOf(
      cards.refund({
        purchase: reference,
        partnerRefundNo: await cards.newRefundNo(),
        amount: rupiah(60_001),
        reason: 'Request by Customer',
      }),
    );
    expect({ kind: over.kind, code: over.code, outcomeUnknown: over.outcomeUnknown }).toEqual({
      kind: 'REJECTED',
      code: 'DOKU.INVALID_AMOUNT',
      outcomeUnknown: false,
    });
    const second = await cards.newRefundNo();
    await cards.refund({ purchase: reference, partnerRefundNo: second, amount: rupiah(60_000), reason: 'Request by Customer' });
    const status = await cards.status(reference);
    expect(status.body.status).toBe('REFUNDED');
    expect(status.body.refunds.map((r) => [r.partnerRefundNo, r.amount, r.status])).toEqual([
      [first, rupiah(30_000), 'SUCCESS'],
      [second, rupiah(60_000), 'SUCCESS'],
    ]);
  });

  it('reads a refund DOKU applied but whose answer was lost as unknown, and the status query shows it applied', async () => {
    const order = payment(40_000);
    const paid = await cards.pay(customerToken, order);
    const reference = { partnerReferenceNo: order.partnerReferenceNo, referenceNo: paid.body.referenceNo };
    const refundNo = await cards.newRefundNo();
    sim.control.setFaults([{ endpoint: 'kkiRefund', type: 'error_after', status: 503, times: 1 }]);
    try {
      const e = await failureOf(
        cards.refund({ purchase: reference, partnerRefundNo: refundNo, amount: rupiah(40_000), reason: 'Request by Customer' }),
      );
      expect({ kind: e.kind, outcomeUnknown: e.outcomeUnknown }).toEqual({ kind: 'UNKNOWN', outcomeUnknown: true });
    } finally {
      sim.control.setFaults([]);
    }
    const status = await cards.status(reference);
    expect(status.body.refunds.map((r) => r.partnerRefundNo)).toEqual([refundNo]);
    // Sending the same refund again never refunds twice: DOKU knows the reference.
    const again = await failureOf(
      cards.refund({ purchase: reference, partnerRefundNo: refundNo, amount: rupiah(40_000), reason: 'Request by Customer' }),
    );
    expect({ kind: again.kind, outcomeUnknown: again.outcomeUnknown }).toEqual({ kind: 'DUPLICATE_REFERENCE', outcomeUnknown: true });
    expect((await cards.status(reference)).body.refunds).toHaveLength(1);
  });

  it('is refused when it signs with the wrong secret: nothing charged, nothing retried', async () => {
    const wrong = buildHarness(registry, contractConfig(sim.url, { clientSecret: 'SK-not-the-partners-secret' }));
    closers.push(wrong);
    const facade = new DokuKkiCards(wrong.client, new KkiRefundNumbers(new BlockSource() as unknown as ExternalIdRepository));
    const order = payment(5_000);
    const e = await failureOf(facade.pay(customerToken, order));
    expect({ kind: e.kind, code: e.code, responseCode: e.responseCode, outcomeUnknown: e.outcomeUnknown }).toEqual({
      kind: 'INVALID_SIGNATURE',
      code: 'DOKU.INVALID_SIGNATURE',
      responseCode: '4015400',
      outcomeUnknown: false,
    });
    expect(wrong.recorder.exchanges.filter((x) => x.endpoint === 'kkiPayment')).toHaveLength(1);
    expect(sim.channels.kki.payments.has(`${CLIENT_ID}|${order.partnerReferenceNo}`)).toBe(false);
  });

  it('a card that asks the customer to confirm in the issuer app: pending with a link, paid once approved', async () => {
    const card = sim.channels.kki.addCard({ confirm: 'in-app' });
    secrets.add(card.bankCardToken);
    secrets.addShort(card.otp);
    const order = payment(25_000, { bankCardToken: card.bankCardToken }, card.otp);
    const started = await cards.pay(customerToken, order);
    expect(started.responseCode).toBe('2005400');
    expect(started.body.webRedirectUrl).toMatch(/\/kki\/confirm\?token=[0-9a-f]{32}$/);
    expect((await cards.status({ partnerReferenceNo: order.partnerReferenceNo })).body.status).toBe('PENDING');
    const page = new URL(started.body.webRedirectUrl as string);
    const approved = await fetch(`${page.origin}${page.pathname}`, {
      method: 'POST',
      body: new URLSearchParams({ token: page.searchParams.get('token') as string, action: 'approve' }),
    });
    expect(approved.status).toBe(200);
    expect((await cards.status({ partnerReferenceNo: order.partnerReferenceNo })).body.status).toBe('SUCCESS');
  });

  it('a payment answered later than our timeout is unknown, and the status query finds it paid', async () => {
    const slow = buildHarness(registry, contractConfig(sim.url, { timeoutMs: 300 }));
    closers.push(slow);
    const facade = new DokuKkiCards(slow.client, new KkiRefundNumbers(new BlockSource() as unknown as ExternalIdRepository));
    const order = payment(7_000);
    sim.control.setFaults([{ endpoint: 'kkiPayment', type: 'latency', latencyMs: 800, times: 1 }]);
    try {
      await expect(facade.pay(customerToken, order)).rejects.toMatchObject({ code: 'DOKU.TIMEOUT', outcomeUnknown: true });
    } finally {
      sim.control.setFaults([]);
    }
    // The simulator applies the payment once its delay is over; until then DOKU does not know it.
    let status = 'NOT_FOUND';
    for (let i = 0; i < 40 && status !== 'SUCCESS'; i++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      status = await cards.status({ partnerReferenceNo: order.partnerReferenceNo }).then(
        (r) => r.body.status,
        () => 'NOT_FOUND',
      );
    }
    expect(status).toBe('SUCCESS');
  });

  it('does not know a reference it never saw', async () => {
    const e = await failureOf(cards.status({ partnerReferenceNo: newKkiPartnerReference() }));
    expect({ kind: e.kind, code: e.code }).toEqual({ kind: 'NOT_FOUND', code: 'DOKU.NOT_FOUND' });
  });

  it('recorded a success of each KKI endpoint, and no record holds the card, its token, the OTP, the secret or a token', () => {
    const succeeded = new Set(registry.all.filter((x) => x.outcome === 'SUCCESS').map((x) => x.endpoint));
    expect(['kkiPayment', 'kkiRefund', 'kkiStatus'].filter((name) => !succeeded.has(name as never))).toEqual([]);
    const payments = registry.all.filter((x) => x.endpoint === 'kkiPayment');
    expect(payments.length).toBeGreaterThan(3);
    for (const x of payments) {
      const body = x.requestBody as Record<string, unknown>;
      if (body.otp !== undefined) expect(body.otp).toBe(REDACTED);
      if (body.bankCardToken !== undefined) expect(body.bankCardToken).toBe(REDACTED);
      const info = body.additionalInfo as Record<string, unknown>;
      if (info.cpan !== undefined) expect(info.cpan).toBe(REDACTED);
    }
    for (const exchange of registry.all) expect(secrets.leaksIn(exchange)).toEqual([]);
  });
});
