import { createHmac, randomUUID, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders, Server } from 'node:http';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DataSource } from 'typeorm';
import { rupiah } from '../src/common/money/money';
import { OutboxRepository } from '../src/outbox/outbox.repository';
import { TransactionsRepository } from '../src/transactions/transactions.repository';
import { WebhookSender } from '../src/webhooks/webhook-sender';
import type { SignedInUser } from './support/actors';
import { registerUser, serviceToken } from './support/actors';
import type { TestApp } from './support/test-app';
import { startTestApp } from './support/test-app';

interface Received {
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
  answered: number;
}

/** A partner endpoint on 127.0.0.1: records every request and answers from a per-path script. */
class Receiver {
  readonly requests: Received[] = [];
  private readonly scripts = new Map<string, Array<number | { redirect: string }>>();
  /** Milliseconds a path's answers wait (the request is recorded when it arrives). */
  readonly delays = new Map<string, number>();
  private server!: Server;
  port = 0;

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const path = req.url ?? '/';
        const step = this.scripts.get(path)?.shift() ?? 200;
        const answered = typeof step === 'number' ? step : 302;
        this.requests.push({ path, headers: req.headers, body: Buffer.concat(chunks).toString('utf8'), answered });
        const answer = (): void => {
          if (typeof step === 'number') res.writeHead(step, { 'content-type': 'text/plain' }).end('ok');
          else res.writeHead(302, { location: step.redirect }).end();
        };
        const delay = this.delays.get(path) ?? 0;
        if (delay > 0) setTimeout(answer, delay);
        else answer();
      });
    });
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
  }

  url(path: string): string {
    return `http://127.0.0.1:${this.port}${path}`;
  }

  script(path: string, steps: Array<number | { redirect: string }>): void {
    this.scripts.set(path, [...steps]);
  }

  to(path: string): Received[] {
    return this.requests.filter((r) => r.path === path);
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

/**
 * The Standard Webhooks verification a partner runs, written from the specification (independent
 * of our signer): HMAC-SHA256 over `${id}.${timestamp}.${body}` with the base64-decoded secret,
 * any of the space-separated `v1,` signatures matching, timestamp within 5 minutes.
 */
function verifyStandardWebhook(secret: string, headers: IncomingHttpHeaders, body: string): boolean {
  const id = String(headers['webhook-id'] ?? '');
  const timestamp = String(headers['webhook-timestamp'] ?? '');
  const signatures = String(headers['webhook-signature'] ?? '').split(' ');
  if (!id || !/^\d+$/.test(timestamp) || Math.abs(Date.now() / 1000 - Number(timestamp)) > 300) return false;
  const key = Buffer.from(secret.replace(/^whsec_/, ''), 'base64');
  const expected = createHmac('sha256', key).update(`${id}.${timestamp}.${body}`).digest();
  return signatures.some((s) => {
    const [version, value] = s.split(',');
    const given = Buffer.from(value ?? '', 'base64');
    return version === 'v1' && given.length === expected.length && timingSafeEqual(given, expected);
  });
}

async function waitFor<T>(what: string, probe: () => Promise<T | undefined | null | false>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('Webhooks: signed delivery, retries, redelivery, SSRF rules (e2e)', () => {
  let t: TestApp;
  let db: DataSource;
  let receiver: Receiver;
  let trap: Receiver;
  let admin: SignedInUser;
  let userId: string;
  const auth = (u: SignedInUser) => ({ authorization: `Bearer ${u.accessToken}` });

  beforeAll(async () => {
    receiver = new Receiver();
    trap = new Receiver();
    await receiver.start();
    await trap.start();
    t = await startTestApp({
      WEBHOOKS_ENABLED: 'true',
      WEBHOOKS_INTERVAL_MS: '100',
      WEBHOOKS_TIMEOUT_MS: '2000',
      // Both local servers are allowed, so the only thing keeping the trap silent is that redirects are not followed.
      WEBHOOK_ALLOW_INSECURE_TARGETS: `127.0.0.1:${receiver.port},127.0.0.1:${trap.port}`,
    });
    db = t.app.get(DataSource);
    admin = await registerUser(t, 'admin');
    userId = (await registerUser(t)).id;
  });
  afterAll(async () => {
    await t.close();
    await receiver.close();
    await trap.close();
  });

  const subscribe = async (path: string, eventTypes?: string[]) => {
    const res = await t
      .http()
      .post('/v1/admin/webhooks')
      .set(auth(admin))
      .send({ url: receiver.url(path), description: `test ${path}`, ...(eventTypes ? { eventTypes } : {}) });
    expect(res.status).toBe(201);
    return res.body as { id: string; url: string; eventTypes: string[]; secret: string };
  };
  const newTransaction = () =>
    db.transaction((tx) =>
      t.app.get(TransactionsRepository).createPending(tx, {
        userId,
        type: 'PURCHASE',
        amount: rupiah(12_500),
        partnerReferenceNo: `PUR-WH-${randomUUID()}`,
        initiatorKind: 'user',
        initiatorId: userId,
      }),
    );
  const deliveries = async (subscriptionId: string) => {
    const res = await t.http().get(`/v1/admin/webhooks/${subscriptionId}/deliveries`).set(auth(admin));
    expect(res.status).toBe(200);
    return res.body.deliveries as Array<Record<string, unknown> & { id: string; status: string; attempts: number }>;
  };

  it('delivers each matching event once, signed in the Standard Webhooks format, with the event id as webhook-id', async () => {
    const path = `/hook-${randomUUID()}`;
    const sub = await subscribe(path, ['transaction.status_changed']);
    expect(sub.secret).toMatch(/^whsec_[A-Za-z0-9+/]+=*$/);
    expect(Buffer.from(sub.secret.slice(6), 'base64').length).toBe(32);

    const transaction = await newTransaction();
    // An event of another type is not sent to this subscription.
    await db.transaction((tx) =>
      t.app.get(OutboxRepository).append(tx, {
        type: 'wallet.binding_changed',
        aggregateType: 'wallet_binding',
        aggregateId: randomUUID(),
        userId,
        payload: { status: 'PENDING' },
      }),
    );
    const [got] = await waitFor('the delivery', async () => (receiver.to(path).length ? receiver.to(path) : null));
    expect(got.headers['content-type']).toBe('application/json');
    expect(verifyStandardWebhook(sub.secret, got.headers, got.body)).toBe(true);
    expect(verifyStandardWebhook(`whsec_${Buffer.alloc(32, 1).toString('base64')}`, got.headers, got.body)).toBe(false);
    expect(verifyStandardWebhook(sub.secret, got.headers, got.body.replace('12500', '12501'))).toBe(false);
    const body = JSON.parse(got.body);
    expect(body).toMatchObject({
      id: got.headers['webhook-id'],
      type: 'transaction.status_changed',
      data: { transactionId: transaction.id, status: 'PENDING', amount: 12500 },
    });

    const reader = (await serviceToken(t, ['events:read'])).token;
    const events = (
      await t
        .http()
        .get('/v1/events?limit=500')
        .set({ authorization: `Bearer ${reader}` })
    ).body.events as Array<{ id: string; seq: string; data: Record<string, unknown> }>;
    const event = events.find((e) => e.data.transactionId === transaction.id)!;
    expect(got.headers['webhook-id']).toBe(event.id);
    expect(body.seq).toBe(event.seq);

    const log = await waitFor('DELIVERED in the log', async () => {
      const rows = await deliveries(sub.id);
      return rows.length === 1 && rows[0].status === 'DELIVERED' ? rows : null;
    });
    expect(log[0]).toMatchObject({
      eventId: event.id,
      eventType: 'transaction.status_changed',
      attempts: 1,
      lastStatusCode: 200,
      lastError: null,
      nextAttemptAt: null,
    });
    await new Promise((r) => setTimeout(r, 400));
    expect(receiver.to(path)).toHaveLength(1);
  });

  it('retries a receiver answering 500 after a backoff with jitter, and delivers once when it answers 200', async () => {
    const path = `/flaky-${randomUUID()}`;
    receiver.script(path, [500, 200]);
    const sub = await subscribe(path);
    await newTransaction();
    const failed = await waitFor('the first attempt', async () => {
      const rows = await deliveries(sub.id);
      return rows[0]?.attempts === 1 ? rows[0] : null;
    });
    expect(failed).toMatchObject({ status: 'PENDING', lastStatusCode: 500, lastError: 'HTTP_500' });
    const wait = (Date.parse(String(failed.nextAttemptAt)) - Date.parse(String(failed.lastAttemptAt))) / 1000;
    expect(wait).toBeGreaterThanOrEqual(3.9);
    expect(wait).toBeLessThanOrEqual(6.1);
    expect(receiver.to(path)).toHaveLength(1);

    // The clock moves on: the retry is due now.
    await db.query(`UPDATE webhook_deliveries SET next_attempt_at = now() WHERE id = $1`, [failed.id]);
    const delivered = await waitFor('the retry', async () => {
      const rows = await deliveries(sub.id);
      return rows[0]?.status === 'DELIVERED' ? rows[0] : null;
    });
    expect(delivered).toMatchObject({ attempts: 2, lastStatusCode: 200, lastError: null });
    await new Promise((r) => setTimeout(r, 400));
    const calls = receiver.to(path);
    expect(calls.map((c) => c.answered)).toEqual([500, 200]);
    expect(calls[0].headers['webhook-id']).toBe(calls[1].headers['webhook-id']);
    for (const c of calls) expect(verifyStandardWebhook(sub.secret, c.headers, c.body)).toBe(true);
  });

  it('marks a delivery FAILED past the last retry, and sends it again on manual redelivery', async () => {
    const path = `/down-${randomUUID()}`;
    receiver.script(path, [503]);
    const sub = await subscribe(path);
    await newTransaction();
    const first = await waitFor(
      'the first attempt',
      async () => (await deliveries(sub.id))[0]?.attempts === 1 && (await deliveries(sub.id))[0],
    );
    // Eight retries have been spent: the next failure is final.
    receiver.script(path, [503]);
    await db.query(`UPDATE webhook_deliveries SET attempts = 8, next_attempt_at = now() WHERE id = $1`, [first.id]);
    const dead = await waitFor('FAILED', async () =>
      (await deliveries(sub.id))[0]?.status === 'FAILED' ? (await deliveries(sub.id))[0] : null,
    );
    expect(dead).toMatchObject({ attempts: 9, lastStatusCode: 503, nextAttemptAt: null });

    const redo = await t.http().post(`/v1/admin/webhook-deliveries/${first.id}/redeliver`).set(auth(admin)).send();
    expect(redo.status).toBe(202);
    expect(redo.body).toMatchObject({ id: first.id, status: 'PENDING', attempts: 0 });
    const again = await waitFor('the redelivery', async () =>
      (await deliveries(sub.id))[0]?.status === 'DELIVERED' ? (await deliveries(sub.id))[0] : null,
    );
    expect(again).toMatchObject({ attempts: 1, lastStatusCode: 200 });
    const calls = receiver.to(path);
    expect(calls.map((c) => c.answered)).toEqual([503, 503, 200]);
    expect(new Set(calls.map((c) => c.headers['webhook-id'])).size).toBe(1);

    // A delivered one can be sent again too (the partner lost it); unknown ids are 404.
    const redoDelivered = await t.http().post(`/v1/admin/webhook-deliveries/${first.id}/redeliver`).set(auth(admin)).send();
    expect(redoDelivered.status).toBe(202);
    await waitFor('the second redelivery', async () => receiver.to(path).length === 4);
    expect((await t.http().post(`/v1/admin/webhook-deliveries/${randomUUID()}/redeliver`).set(auth(admin)).send()).status).toBe(404);
    expect((await t.http().post(`/v1/admin/webhook-deliveries/not-a-uuid/redeliver`).set(auth(admin)).send()).status).toBe(404);
  });

  it('does not follow redirects: a 302 is a failed attempt and its target is never called', async () => {
    const path = `/moved-${randomUUID()}`;
    receiver.script(path, [{ redirect: trap.url('/trap') }]);
    const sub = await subscribe(path);
    await newTransaction();
    const row = await waitFor('the attempt', async () => (await deliveries(sub.id))[0]?.attempts === 1 && (await deliveries(sub.id))[0]);
    expect(row).toMatchObject({ status: 'PENDING', lastStatusCode: 302, lastError: 'HTTP_302' });
    await new Promise((r) => setTimeout(r, 300));
    expect(trap.requests).toHaveLength(0);
  });

  it('refuses subscription URLs to private, loopback, link-local or metadata addresses, userinfo tricks and plain http (400)', async () => {
    const before = (await db.query<Array<{ n: number }>>(`SELECT count(*)::int AS n FROM webhook_subscriptions`))[0].n;
    for (const url of [
      'https://10.0.0.1/hook',
      'http://127.0.0.1:9/hook', // loopback, not on the test allow-list
      'https://127.0.0.1/hook',
      'http://hooks.partner.example/hook',
      'https://169.254.169.254/latest/meta-data/',
      'https://metadata.google.internal/',
      'https://localhost/hook',
      'https://2130706433/hook',
      'https://0x7f.1/hook',
      'https://[::1]/hook',
      'https://[::ffff:127.0.0.1]/hook',
      `https://good.com@127.0.0.1/hook`,
      `http://user@127.0.0.1:${receiver.port}/hook`,
    ]) {
      const res = await t.http().post('/v1/admin/webhooks').set(auth(admin)).send({ url, description: 'nope' });
      expect({ url, status: res.status, code: res.body.error?.code }).toEqual({ url, status: 400, code: 'WEBHOOK.URL_REFUSED' });
    }
    const bad = await t
      .http()
      .post('/v1/admin/webhooks')
      .set(auth(admin))
      .send({ url: receiver.url('/x'), description: 'x', eventTypes: ['no.such_event'] });
    expect([bad.status, bad.body.error.code]).toEqual([400, 'REQUEST.VALIDATION_FAILED']);
    expect((await db.query<Array<{ n: number }>>(`SELECT count(*)::int AS n FROM webhook_subscriptions`))[0].n).toBe(before);
  });

  it('checks the URL again before each delivery: a URL that became forbidden is not called', async () => {
    const path = `/changed-${randomUUID()}`;
    const sub = await subscribe(path);
    // As if the rules or the allow-list changed after registration: the stored URL (the same
    // receiver, by a name that is not on the test allow-list) is no longer allowed.
    await db.query(`UPDATE webhook_subscriptions SET url = $2 WHERE id = $1`, [sub.id, `http://localhost:${receiver.port}${path}`]);
    await newTransaction();
    const row = await waitFor(
      'the refused attempt',
      async () => (await deliveries(sub.id))[0]?.attempts === 1 && (await deliveries(sub.id))[0],
    );
    expect(row).toMatchObject({ status: 'PENDING', lastStatusCode: null, lastError: 'URL_REFUSED' });
    expect(receiver.to(path)).toHaveLength(0);
  });

  it('refuses at connect time a host name resolving to loopback (DNS rebinding after the check)', async () => {
    const path = `/rebind-${randomUUID()}`;
    // The sender is given a URL as if it had passed the check; its agent's lookup still refuses.
    const result = await t.app
      .get(WebhookSender)
      .send({ url: new URL(`http://localhost:${receiver.port}${path}`), insecureAllowed: false, headers: {}, body: '{}' });
    expect(result).toEqual({ statusCode: null, error: 'WEBHOOK_ADDRESS_REFUSED' });
    expect(receiver.to(path)).toHaveLength(0);
  });

  it('never shows a secret except in the creation and rotation answers; stores it encrypted; signs with both secrets after a rotation', async () => {
    const path = `/rotate-${randomUUID()}`;
    const sub = await subscribe(path);
    const list = await t.http().get('/v1/admin/webhooks').set(auth(admin));
    expect(list.status).toBe(200);
    const listed = (list.body.subscriptions as Array<Record<string, unknown>>).find((s) => s.id === sub.id)!;
    expect(Object.keys(listed).sort()).toEqual(['createdAt', 'description', 'eventTypes', 'id', 'updatedAt', 'url']);
    expect(JSON.stringify(list.body)).not.toContain(sub.secret.slice(6));
    const [stored] = await db.query<Array<{ secret_ciphertext: string }>>(
      `SELECT secret_ciphertext FROM webhook_subscriptions WHERE id = $1`,
      [sub.id],
    );
    expect(stored.secret_ciphertext).toMatch(/^v2\.[A-Za-z0-9_-]{12}\./);
    expect(stored.secret_ciphertext).not.toContain(sub.secret.slice(6));

    const rotated = await t.http().post(`/v1/admin/webhooks/${sub.id}/rotate-secret`).set(auth(admin)).send();
    expect(rotated.status).toBe(200);
    expect(rotated.body.secret).toMatch(/^whsec_/);
    expect(rotated.body.secret).not.toBe(sub.secret);
    await newTransaction();
    const [got] = await waitFor('the delivery', async () => (receiver.to(path).length ? receiver.to(path) : null));
    expect(String(got.headers['webhook-signature']).split(' ')).toHaveLength(2);
    expect(verifyStandardWebhook(rotated.body.secret, got.headers, got.body)).toBe(true);
    expect(verifyStandardWebhook(sub.secret, got.headers, got.body)).toBe(true);
    const log = await waitFor('DELIVERED', async () =>
      (await deliveries(sub.id))[0]?.status === 'DELIVERED' ? await deliveries(sub.id) : null,
    );
    const answers = JSON.stringify([list.body, log]);
    expect(answers).not.toContain(rotated.body.secret.slice(6));
    expect(answers).not.toContain(sub.secret.slice(6));

    // The overlap ended early by the admin: from now on only the new secret signs.
    const retired = await t.http().delete(`/v1/admin/webhooks/${sub.id}/previous-secret`).set(auth(admin));
    expect(retired.status).toBe(200);
    expect(retired.body).toMatchObject({ id: sub.id, url: sub.url });
    expect(JSON.stringify(retired.body)).not.toContain(rotated.body.secret.slice(6));
    await newTransaction();
    const [, after] = await waitFor('the next delivery', async () => (receiver.to(path).length > 1 ? receiver.to(path) : null));
    expect(String(after.headers['webhook-signature']).split(' ')).toHaveLength(1);
    expect(verifyStandardWebhook(rotated.body.secret, after.headers, after.body)).toBe(true);
    expect(verifyStandardWebhook(sub.secret, after.headers, after.body)).toBe(false);
    const unknown = await t.http().delete(`/v1/admin/webhooks/${randomUUID()}/previous-secret`).set(auth(admin));
    expect(unknown.status).toBe(404);
  });

  it('a rotation answers only after the attempts claimed before it are recorded: a receiver that switches at once never gets an old-secret-only delivery after the answer', async () => {
    const path = `/rotate-in-flight-${randomUUID()}`;
    const sub = await subscribe(path);
    receiver.delays.set(path, 1_500);
    await newTransaction();
    // The attempt is in flight: the receiver has the request and holds its answer for 1.5 s.
    const [inFlight] = await waitFor('the attempt in flight', async () => (receiver.to(path).length ? receiver.to(path) : null));
    expect(String(inFlight.headers['webhook-signature']).split(' ')).toHaveLength(1);
    expect(verifyStandardWebhook(sub.secret, inFlight.headers, inFlight.body)).toBe(true);
    const rotated = await t.http().post(`/v1/admin/webhooks/${sub.id}/rotate-secret`).set(auth(admin)).send();
    expect(rotated.status).toBe(200);
    // By the time the new secret is handed out, the old-secret-only attempt has been answered and recorded.
    expect((await deliveries(sub.id))[0]).toMatchObject({ status: 'DELIVERED', attempts: 1 });
    expect(receiver.to(path)).toHaveLength(1);
    receiver.delays.delete(path);
  });

  it('deletes a subscription: nothing more is sent, its pending deliveries end, it reads as 404', async () => {
    const path = `/gone-${randomUUID()}`;
    receiver.script(path, [500]);
    const sub = await subscribe(path);
    await newTransaction();
    await waitFor('the first attempt', async () => (await deliveries(sub.id))[0]?.attempts === 1);
    const del = await t.http().delete(`/v1/admin/webhooks/${sub.id}`).set(auth(admin));
    expect(del.status).toBe(200);
    expect(del.body).toEqual({
      id: sub.id,
      url: sub.url,
      eventTypes: [],
      description: expect.any(String),
      createdAt: expect.any(String),
      updatedAt: expect.any(String),
    });
    const [row] = await db.query<Array<{ status: string; last_error: string }>>(
      `SELECT status, last_error FROM webhook_deliveries WHERE subscription_id = $1`,
      [sub.id],
    );
    expect(row).toEqual({ status: 'FAILED', last_error: 'SUBSCRIPTION_DELETED' });
    expect((await t.http().get(`/v1/admin/webhooks/${sub.id}/deliveries`).set(auth(admin))).status).toBe(404);
    expect((await t.http().delete(`/v1/admin/webhooks/${sub.id}`).set(auth(admin))).status).toBe(404);
    expect((await t.http().post(`/v1/admin/webhooks/${sub.id}/rotate-secret`).set(auth(admin)).send()).status).toBe(404);
    const listed = (await t.http().get('/v1/admin/webhooks').set(auth(admin))).body.subscriptions as Array<{ id: string }>;
    expect(listed.map((s) => s.id)).not.toContain(sub.id);
    await newTransaction();
    await new Promise((r) => setTimeout(r, 400));
    expect(receiver.to(path)).toHaveLength(1);
  });

  it('lets admins change subscriptions, admins or support read them and resend deliveries; refuses finance, mobile users and services', async () => {
    const path = `/rules-${randomUUID()}`;
    const sub = await subscribe(path);
    const support = await registerUser(t, 'support');
    const finance = await registerUser(t, 'finance');
    const user = await registerUser(t);
    const service = (await serviceToken(t, ['events:read', 'wallets:read'])).token;
    expect((await t.http().get('/v1/admin/webhooks').set(auth(support))).status).toBe(200);
    expect((await t.http().get(`/v1/admin/webhooks/${sub.id}/deliveries`).set(auth(support))).status).toBe(200);
    const writes = [
      () =>
        t
          .http()
          .post('/v1/admin/webhooks')
          .send({ url: receiver.url('/x'), description: 'x' }),
      () => t.http().delete(`/v1/admin/webhooks/${sub.id}`),
      () => t.http().post(`/v1/admin/webhooks/${sub.id}/rotate-secret`).send(),
    ];
    for (const write of writes) {
      for (const who of [auth(support), auth(finance), auth(user), { authorization: `Bearer ${service}` }]) {
        expect((await write().set(who)).status).toBe(403);
      }
    }
    // Support resends deliveries (an unknown one is 404 past the guard); nobody else but admins.
    const redeliver = () => t.http().post(`/v1/admin/webhook-deliveries/${randomUUID()}/redeliver`).send();
    expect((await redeliver().set(auth(support))).status).toBe(404);
    for (const who of [auth(finance), auth(user), { authorization: `Bearer ${service}` }]) {
      expect((await redeliver().set(who)).status).toBe(403);
    }
    for (const who of [auth(finance), auth(user), { authorization: `Bearer ${service}` }]) {
      expect((await t.http().get('/v1/admin/webhooks').set(who)).status).toBe(403);
      expect((await t.http().get(`/v1/admin/webhooks/${sub.id}/deliveries`).set(who)).status).toBe(403);
    }
    // Nothing changed: the subscription is still there with its secret.
    expect(
      ((await t.http().get('/v1/admin/webhooks').set(auth(admin))).body.subscriptions as Array<{ id: string }>).map((s) => s.id),
    ).toContain(sub.id);
  });
});
