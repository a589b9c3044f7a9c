import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { rupiah } from '../src/common/money/money';
import type { CheckoutClientConfig } from '../src/integrations/doku/checkout/checkout.client';
import { DokuCheckoutClient } from '../src/integrations/doku/checkout/checkout.client';
import { CheckoutCallError } from '../src/integrations/doku/checkout/checkout.errors';
import type { CheckoutOrder } from '../src/integrations/doku/checkout/checkout.mapper';
import type { CheckoutNotificationVerdict } from '../src/integrations/doku/checkout/checkout-notification';
import { verifyCheckoutNotification } from '../src/integrations/doku/checkout/checkout-notification';
import type { SimulatorHandle } from '../simulator/src';
import { startSimulator } from '../simulator/src';
import { eventually, RecorderRegistry } from './support/doku-contract-helpers';

/**
 * Contract between the DOKU e-Wallet checkout client (src/integrations/doku-checkout) and the
 * simulator's checkout mode over real HTTP: the order and its page, the status query, a refusal,
 * signatures refused both ways (ours by DOKU, DOKU's answer and notification by us), and unknown
 * outcomes settled by resending with the same Request-Id or by the status query.
 */

const MERCHANT = { clientId: 'MCH-0001-1700000000777', secretKey: 'SK-checkout-contract-throwaway-1' };
const NOTIFY_PATH = '/v1/callbacks/doku/checkout';

/** Our notification route in miniature: the pure verifier on the exact bytes, 200 when accepted, 401 otherwise. */
class NotificationRoute {
  readonly verdicts: CheckoutNotificationVerdict[] = [];
  private server!: Server;
  url = '';

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const verdict = verifyCheckoutNotification({
          headers: req.headers,
          rawBody: Buffer.concat(chunks),
          targetPath: (req.url ?? '').split('?')[0],
          clientId: MERCHANT.clientId,
          secretKey: MERCHANT.secretKey,
          now: new Date(),
        });
        this.verdicts.push(verdict);
        res.statusCode = verdict.ok ? 200 : 401;
        res.end();
      });
    });
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}${NOTIFY_PATH}`;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

async function failureOf(call: Promise<unknown>): Promise<CheckoutCallError> {
  try {
    await call;
  } catch (error) {
    expect(error).toBeInstanceOf(CheckoutCallError);
    return error as CheckoutCallError;
  }
  throw new Error('expected the checkout call to fail, it succeeded');
}

describe('DOKU e-Wallet checkout client ↔ simulator contract', () => {
  const registry = new RecorderRegistry();
  const route = new NotificationRoute();
  const clients: DokuCheckoutClient[] = [];
  let sim: SimulatorHandle;
  let checkout: DokuCheckoutClient;
  let seq = 0;

  const config = (over: Partial<CheckoutClientConfig> = {}): CheckoutClientConfig => ({
    baseUrl: sim.url,
    clientId: MERCHANT.clientId,
    secretKey: MERCHANT.secretKey,
    timeoutMs: 2_000,
    connectTimeoutMs: 1_000,
    maxResponseBytes: 64 * 1024,
    poolConnections: 2,
    ...over,
  });
  const client = (over: Partial<CheckoutClientConfig> = {}): DokuCheckoutClient => {
    const c = new DokuCheckoutClient(config(over), { recorder: registry.create() });
    clients.push(c);
    return c;
  };
  const order = (over: Partial<CheckoutOrder> = {}): CheckoutOrder => ({
    invoiceNumber: `INV-${Date.now().toString(36)}-${++seq}`,
    amount: rupiah(9000),
    items: [
      { name: 'T-Shirt Red', price: rupiah(3000), quantity: 2 },
      { name: 'Polo Navy', price: rupiah(3000), quantity: 1 },
    ],
    successUrl: 'https://shop.example/checkout/done',
    notifyUrl: route.url,
    autoRedirect: true,
    ...over,
  });
  const accepted = (invoice: string) =>
    route.verdicts.filter((v): v is Extract<CheckoutNotificationVerdict, { ok: true }> => v.ok && v.outcome.invoiceNumber === invoice);

  beforeAll(async () => {
    await route.start();
    sim = await startSimulator({
      port: 0,
      log: false,
      seed: 'checkout-contract',
      checkout: { clients: [MERCHANT], notify: { retryDelaysMs: [0, 20, 20], timeScale: 1 } },
    });
    checkout = client();
  });

  afterAll(async () => {
    await Promise.all(clients.map((c) => c.close()));
    await sim?.close();
    await route.stop();
  });

  it('creates the order and answers the payment page, believed on DOKU’s response signature', async () => {
    const o = order();
    const requestId = checkout.newRequestId();
    const started = await checkout.createPayment(o, requestId);
    expect(started).toMatchObject({ httpStatus: 200, replayed: false, requestId });
    expect(started.body.invoiceNumber).toBe(o.invoiceNumber);
    expect(started.body.paymentPageUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/dokuwallet\/pay\/[0-9a-f]{32}$/);
  });

  it('the customer pays on the page: the notification passes our verifier, and the status query says SUCCESS', async () => {
    const o = order();
    const started = await checkout.createPayment(o, checkout.newRequestId());
    const url = started.body.paymentPageUrl;
    const done = await fetch(url, { method: 'POST', body: new URLSearchParams({ action: 'approve' }), redirect: 'manual' });
    expect(done.headers.get('location')).toBe(o.successUrl);
    await eventually(() => accepted(o.invoiceNumber).length === 1, 'the accepted notification');
    expect(accepted(o.invoiceNumber)[0].outcome).toMatchObject({
      status: 'SUCCESS',
      amount: rupiah(9000),
      originalRequestId: started.requestId,
    });
    const status = await checkout.status(o.invoiceNumber);
    expect(status.body).toMatchObject({ invoiceNumber: o.invoiceNumber, status: 'SUCCESS', amount: rupiah(9000) });
  });

  it('a declined payment is FAILED in the notification and the status', async () => {
    const o = order();
    await checkout.createPayment(o, checkout.newRequestId());
    await fetch(`${sim.url}/_sim/checkout/orders/${o.invoiceNumber}/pay`, { method: 'POST', body: '{"result":"FAILED"}' });
    await eventually(() => accepted(o.invoiceNumber).length === 1, 'the accepted notification');
    expect(accepted(o.invoiceNumber)[0].outcome.status).toBe('FAILED');
    expect((await checkout.status(o.invoiceNumber)).body.status).toBe('FAILED');
  });

  it('a refusal: an invoice number already used is REJECTED, nothing unknown', async () => {
    const o = order();
    await checkout.createPayment(o, checkout.newRequestId());
    const e = await failureOf(checkout.createPayment(o, checkout.newRequestId()));
    expect({ kind: e.kind, code: e.code, httpStatus: e.httpStatus, outcomeUnknown: e.outcomeUnknown }).toEqual({
      kind: 'REJECTED',
      code: 'DOKU.REJECTED',
      httpStatus: 400,
      outcomeUnknown: false,
    });
  });

  it('DOKU refuses our request signed with the wrong secret, and nothing is created', async () => {
    const o = order();
    const e = await failureOf(client({ secretKey: 'SK-not-ours' }).createPayment(o, checkout.newRequestId()));
    expect({ kind: e.kind, code: e.code, httpStatus: e.httpStatus, outcomeUnknown: e.outcomeUnknown }).toEqual({
      kind: 'REQUEST_SIGNATURE_REFUSED',
      code: 'DOKU.INVALID_SIGNATURE',
      httpStatus: 401,
      outcomeUnknown: false,
    });
    expect((await failureOf(checkout.status(o.invoiceNumber))).kind).toBe('NOT_FOUND');
  });

  it('we refuse an answer with a bad signature: the outcome is unknown, and the status query finds the order', async () => {
    const o = order();
    sim.control.setFaults([{ endpoint: 'checkoutPayment', type: 'bad_signature', times: 1 }]);
    try {
      const e = await failureOf(checkout.createPayment(o, checkout.newRequestId()));
      expect({ kind: e.kind, outcomeUnknown: e.outcomeUnknown }).toEqual({ kind: 'RESPONSE_SIGNATURE_INVALID', outcomeUnknown: true });
    } finally {
      sim.control.setFaults([]);
    }
    expect((await checkout.status(o.invoiceNumber)).body.status).toBe('PENDING');
  });

  it('we refuse a notification with a bad signature, and each retry of it signed the same way', async () => {
    const o = order();
    await checkout.createPayment(o, checkout.newRequestId());
    const refusedBefore = route.verdicts.filter((v) => !v.ok).length;
    sim.control.setFaults([{ endpoint: 'checkoutPayment', type: 'bad_signature', times: 1 }]);
    try {
      await fetch(`${sim.url}/_sim/checkout/orders/${o.invoiceNumber}/pay`, { method: 'POST', body: '{"result":"SUCCESS"}' });
      await eventually(() => route.verdicts.filter((v) => !v.ok).length > refusedBefore, 'the refused notification');
    } finally {
      sim.control.setFaults([]);
    }
    expect(route.verdicts.filter((v) => !v.ok).slice(refusedBefore)).toContainEqual({ ok: false, reason: 'BAD_SIGNATURE' });
    // Every retry of that delivery is signed the same wrong way: none of them is believed.
    expect(accepted(o.invoiceNumber)).toHaveLength(0);
  });

  it('a lost answer is unknown; resending with the same Request-Id and order gets DOKU’s first answer back', async () => {
    const o = order();
    const requestId = checkout.newRequestId();
    sim.control.setFaults([{ endpoint: 'checkoutPayment', type: 'drop', times: 1 }]);
    try {
      const e = await failureOf(checkout.createPayment(o, requestId));
      expect({ kind: e.kind, outcomeUnknown: e.outcomeUnknown }).toEqual({ kind: 'UNKNOWN', outcomeUnknown: true });
    } finally {
      sim.control.setFaults([]);
    }
    const again = await checkout.createPayment(o, requestId);
    expect(again).toMatchObject({ httpStatus: 409, replayed: true });
    expect(again.body.invoiceNumber).toBe(o.invoiceNumber);
  });

  it('an answer slower than the timeout is unknown', async () => {
    sim.control.setFaults([{ endpoint: 'checkoutPayment', type: 'latency', latencyMs: 2_500, times: 1 }]);
    try {
      const e = await failureOf(checkout.createPayment(order(), checkout.newRequestId()));
      expect({ kind: e.kind, code: e.code, outcomeUnknown: e.outcomeUnknown }).toEqual({
        kind: 'UNKNOWN',
        code: 'DOKU.TIMEOUT',
        outcomeUnknown: true,
      });
    } finally {
      sim.control.setFaults([]);
    }
  });

  it('records every exchange without the secret key', () => {
    const endpoints = new Set(registry.all.map((x) => x.endpoint));
    expect([...endpoints].sort()).toEqual(['checkoutPayment', 'checkoutStatus']);
    expect(registry.all.some((x) => x.outcome === 'SUCCESS' && x.endpoint === 'checkoutPayment')).toBe(true);
    for (const x of registry.all) expect(JSON.stringify(x)).not.toContain(MERCHANT.secretKey);
  });
});
