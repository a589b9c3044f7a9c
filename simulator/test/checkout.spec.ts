import { createHash, createHmac, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Harness } from './support/harness';
import { startHarness } from './support/harness';

/** The test's own non-SNAP signing, written from DOKU's page (not the simulator's code). */
function sign(secret: string, lines: string[]): string {
  return `HMACSHA256=${createHmac('sha256', secret).update(lines.join('\n')).digest('base64')}`;
}
const digest = (body: string): string => createHash('sha256').update(body).digest('base64');
const utc = (d = new Date()): string => `${d.toISOString().slice(0, 19)}Z`;

const CLIENT = { clientId: 'MCH-0001-10791114622547', secretKey: 'SK-ThrowawayExampleSecret01' };
const PAY = '/dokuwallet-emoney/v1/payment';

interface Answer {
  status: number;
  headers: Headers;
  text: string;
  json: Record<string, unknown>;
}

class Receiver {
  readonly received: { headers: IncomingMessage['headers']; raw: string }[] = [];
  answer = 200;
  private server!: Server;
  url = '';
  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        this.received.push({ headers: req.headers, raw: Buffer.concat(chunks).toString('utf8') });
        res.statusCode = this.answer;
        res.end();
      });
    });
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }
  async stop(): Promise<void> {
    await new Promise<void>((r) => this.server.close(() => r()));
  }
}

async function until(check: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (check()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe('DOKU e-Wallet checkout (non-SNAP)', () => {
  let h: Harness;
  const receiver = new Receiver();
  let invoiceSeq = 0;
  const invoice = (): string => `INV-${Date.now().toString(36)}-${++invoiceSeq}`;

  beforeAll(async () => {
    await receiver.start();
    h = await startHarness({ checkout: { clients: [CLIENT], notify: { retryDelaysMs: [0, 10, 10], timeScale: 1 } } });
  });
  afterAll(async () => {
    await h.sim.close();
    await receiver.stop();
  });

  async function send(
    method: 'POST' | 'GET',
    path: string,
    body: string | undefined,
    over: { requestId?: string; timestamp?: string; secret?: string; signature?: string; clientId?: string } = {},
  ): Promise<Answer> {
    const requestId = over.requestId ?? randomUUID();
    const timestamp = over.timestamp ?? utc();
    const clientId = over.clientId ?? CLIENT.clientId;
    const lines = [`Client-Id:${clientId}`, `Request-Id:${requestId}`, `Request-Timestamp:${timestamp}`, `Request-Target:${path}`];
    if (body !== undefined) lines.push(`Digest:${digest(body)}`);
    const res = await fetch(`${h.sim.url}${path}`, {
      method,
      body,
      headers: {
        'Content-Type': 'application/json',
        'Client-Id': clientId,
        'Request-Id': requestId,
        'Request-Timestamp': timestamp,
        Signature: over.signature ?? sign(over.secret ?? CLIENT.secretKey, lines),
      },
      redirect: 'manual',
    });
    const text = await res.text();
    let json: Record<string, unknown>;
    try {
      json = JSON.parse(text) as Record<string, unknown>;
    } catch {
      json = {};
    }
    return { status: res.status, headers: res.headers, text, json };
  }

  const order = (inv: string, extra: Record<string, unknown> = {}) =>
    JSON.stringify({
      order: {
        invoice_number: inv,
        amount: 9000,
        line_items: [
          { name: 'T-Shirt Red', price: 3000, quantity: 2 },
          { name: 'Polo Navy', price: 3000, quantity: 1 },
        ],
        success_url: 'https://shop.example/ok',
        failed_url: 'https://shop.example/failed',
        notify_url: `${receiver.url}/payments/notifications`,
        auto_redirect: true,
        ...extra,
      },
    });

  function responseSignatureValid(a: Answer, requestId: string, path: string): boolean {
    const lines = [
      `Client-Id:${CLIENT.clientId}`,
      `Request-Id:${requestId}`,
      `Response-Timestamp:${a.headers.get('response-timestamp') ?? ''}`,
      `Request-Target:${path}`,
      `Digest:${digest(a.text)}`,
    ];
    return a.headers.get('signature') === sign(CLIENT.secretKey, lines) && a.headers.get('request-id') === requestId;
  }

  it('creates the order with a signed answer naming the payment page', async () => {
    const inv = invoice();
    const requestId = randomUUID();
    const a = await send('POST', PAY, order(inv), { requestId });
    expect(a.status).toBe(200);
    expect(a.json).toMatchObject({ order: { invoice_number: inv, line_items: expect.any(Array) } });
    expect((a.json.doku_wallet_payment_page as { url: string }).url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/dokuwallet\/pay\/[0-9a-f]{32}$/);
    expect(a.headers.get('client-id')).toBe(CLIENT.clientId);
    expect(a.headers.get('response-timestamp')).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
    expect(responseSignatureValid(a, requestId, PAY)).toBe(true);
  });

  it.each([
    ['line items that do not add up', { amount: 9001 }],
    ['a decimal amount', { amount: 9000.5, line_items: undefined }],
    ['an amount of 13 digits', { amount: 1_000_000_000_000, line_items: undefined }],
    ['no notify_url', { notify_url: undefined }],
    ['auto_redirect "yes"', { auto_redirect: 'yes' }],
    ['an invoice number of 65 characters', { invoice_number: 'I'.repeat(65) }],
  ])('refuses %s with 400', async (_what, change) => {
    expect((await send('POST', PAY, order(invoice(), change))).status).toBe(400);
  });

  it('refuses a used invoice number with 400', async () => {
    const inv = invoice();
    expect((await send('POST', PAY, order(inv))).status).toBe(200);
    expect((await send('POST', PAY, order(inv))).status).toBe(400);
  });

  it.each([
    ['a wrong secret', { secret: 'SK-Another-Throwaway-02' }, 401],
    ['a lower-case signature', { signature: sign(CLIENT.secretKey, ['x']).toLowerCase() }, 401],
    ['an unknown client', { clientId: 'MCH-9999' }, 401],
    ['a Jakarta-time timestamp', { timestamp: '2021-07-07T15:45:42+07:00' }, 400],
    ['a timestamp an hour old', { timestamp: utc(new Date(Date.now() - 3_600_000)) }, 401],
    ['a Request-Id of 129 characters', { requestId: 'r'.repeat(129) }, 400],
  ])('refuses %s', async (_what, over, status) => {
    expect((await send('POST', PAY, order(invoice()), over)).status).toBe(status);
  });

  it('replays the first answer with 409 for the same Request-Id and body, and refuses another body', async () => {
    const requestId = randomUUID();
    const body = order(invoice());
    const first = await send('POST', PAY, body, { requestId });
    const again = await send('POST', PAY, body, { requestId });
    expect(again.status).toBe(409);
    expect(again.text).toBe(first.text);
    const other = await send('POST', PAY, order(invoice()), { requestId });
    expect(other.status).toBe(409);
    expect(other.json).toHaveProperty('error');
  });

  it('pays on the page: redirect to success_url, a signed notification, then the status says SUCCESS', async () => {
    const inv = invoice();
    const created = await send('POST', PAY, order(inv));
    const pageUrl = (created.json.doku_wallet_payment_page as { url: string }).url;
    const page = await fetch(pageUrl);
    expect(await page.text()).toContain(inv);
    const token = pageUrl.split('/').pop() as string;
    const done = await fetch(pageUrl, { method: 'POST', body: new URLSearchParams({ token, action: 'approve' }), redirect: 'manual' });
    expect(done.status).toBe(302);
    expect(done.headers.get('location')).toBe('https://shop.example/ok');

    await until(() => receiver.received.some((n) => n.raw.includes(inv)), 'the notification');
    const n = receiver.received.find((x) => x.raw.includes(inv));
    const headers = n?.headers as IncomingMessage['headers'];
    const lines = [
      `Client-Id:${String(headers['client-id'])}`,
      `Request-Id:${String(headers['request-id'])}`,
      `Request-Timestamp:${String(headers['request-timestamp'])}`,
      'Request-Target:/payments/notifications',
      `Digest:${digest(n?.raw ?? '')}`,
    ];
    expect(headers.signature).toBe(sign(CLIENT.secretKey, lines));
    expect(JSON.parse(n?.raw ?? '{}')).toMatchObject({ order: { invoice_number: inv, amount: 9000 }, transaction: { status: 'SUCCESS' } });

    const path = `/orders/v1/status/${inv}`;
    const requestId = randomUUID();
    const s = await send('GET', path, undefined, { requestId });
    expect(s.status).toBe(200);
    expect(s.json).toMatchObject({ transaction: { status: 'SUCCESS' } });
    expect(responseSignatureValid(s, requestId, path)).toBe(true);
  });

  it('declines through the control API, retries a failed notification, and knows no unknown invoice', async () => {
    const inv = invoice();
    await send('POST', PAY, order(inv));
    receiver.answer = 500;
    const before = receiver.received.length;
    const res = await fetch(`${h.sim.url}/_sim/checkout/orders/${inv}/pay`, { method: 'POST', body: '{"result":"FAILED"}' });
    expect(await res.json()).toMatchObject({ transaction: { status: 'FAILED' } });
    await until(() => receiver.received.length - before >= 3, 'three attempts');
    receiver.answer = 200;
    const ids = receiver.received.slice(before).map((n) => n.headers['request-id']);
    expect(new Set(ids).size).toBe(ids.length);
    expect((await send('GET', '/orders/v1/status/NOPE-1', undefined)).status).toBe(404);
  });

  it("refunds a paid order in DOKU's back office through the control API: the status says REFUNDED; an unpaid one is refused", async () => {
    const inv = invoice();
    await send('POST', PAY, order(inv));
    const early = await fetch(`${h.sim.url}/_sim/checkout/orders/${inv}/refund`, { method: 'POST' });
    expect(early.status).toBe(400);
    await fetch(`${h.sim.url}/_sim/checkout/orders/${inv}/pay`, { method: 'POST', body: '{"result":"SUCCESS"}' });
    const refunded = await fetch(`${h.sim.url}/_sim/checkout/orders/${inv}/refund`, { method: 'POST' });
    expect(refunded.status).toBe(200);
    const s = await send('GET', `/orders/v1/status/${inv}`, undefined);
    expect(s.json).toMatchObject({ transaction: { status: 'REFUNDED' } });
  });

  it('signs with a wrong key when the bad_signature fault fires, and drops the answer with drop', async () => {
    h.sim.control.setFaults([{ endpoint: 'checkoutPayment', type: 'bad_signature', times: 1 }]);
    const requestId = randomUUID();
    const a = await send('POST', PAY, order(invoice()), { requestId });
    expect(a.status).toBe(200);
    expect(responseSignatureValid(a, requestId, PAY)).toBe(false);
    h.sim.control.setFaults([{ endpoint: 'checkoutPayment', type: 'drop', times: 1 }]);
    const inv = invoice();
    await expect(send('POST', PAY, order(inv))).rejects.toThrow();
    h.sim.control.setFaults([]);
    expect((await send('GET', `/orders/v1/status/${inv}`, undefined)).json).toMatchObject({ transaction: { status: 'PENDING' } });
  });
});
