import { createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders, Server } from 'node:http';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DataSource } from 'typeorm';
import type { SignedInUser } from './support/actors';
import { registerUser } from './support/actors';
import { until } from './support/until';
import { createPurchaseToPay } from './support/paid-purchase';
import type { WalletEnv } from './support/wallet-fixtures';
import { createBoundWallet, startWalletEnv } from './support/wallet-fixtures';

/** Standard Webhooks verification with one secret, written from the specification (not our signer). */
function verifies(secret: string, headers: IncomingHttpHeaders, body: string): boolean {
  const id = String(headers['webhook-id'] ?? '');
  const timestamp = String(headers['webhook-timestamp'] ?? '');
  if (!id || !/^\d+$/.test(timestamp) || Math.abs(Date.now() / 1000 - Number(timestamp)) > 300) return false;
  const key = Buffer.from(secret.replace(/^whsec_/, ''), 'base64');
  const expected = createHmac('sha256', key).update(`${id}.${timestamp}.${body}`).digest();
  return String(headers['webhook-signature'] ?? '')
    .split(' ')
    .some((s) => {
      const [version, value] = s.split(',');
      const given = Buffer.from(value ?? '', 'base64');
      return version === 'v1' && given.length === expected.length && timingSafeEqual(given, expected);
    });
}

interface Delivery {
  id: string;
  transactionId: string | undefined;
  signatures: number;
  /** Which secret the receiver knew when the delivery came, and whether it verified with it. */
  knew: 'old' | 'new';
  verified: boolean;
  headers: IncomingHttpHeaders;
  body: string;
}

/**
 * A partner that switched at once: it verifies with the one secret it knows, the old one until it
 * reads the rotation answer, the new one from then on, and refuses (401) what does not verify.
 */
class SwitchingReceiver {
  readonly deliveries: Delivery[] = [];
  secret = '';
  knew: 'old' | 'new' = 'old';
  port = 0;
  private server!: Server;

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        const verified = verifies(this.secret, req.headers, body);
        let transactionId: string | undefined;
        try {
          transactionId = (JSON.parse(body) as { data?: { transactionId?: string } }).data?.transactionId;
        } catch {
          transactionId = undefined;
        }
        this.deliveries.push({
          id: String(req.headers['webhook-id']),
          transactionId,
          signatures: String(req.headers['webhook-signature'] ?? '').split(' ').length,
          knew: this.knew,
          verified,
          headers: req.headers,
          body,
        });
        res.writeHead(verified ? 200 : 401, { 'content-type': 'text/plain' }).end(verified ? 'ok' : 'bad signature');
      });
    });
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

/**
 * A webhook subscription's secret is rotated, then the previous one retired, while purchases are
 * made and paid by several concurrent workers: every event reaches the partner once verified,
 * none is refused by a partner that switched to the new secret as soon as it got it, and after the
 * retirement only the new secret signs (docs/operations.md#rotating-keys).
 */
describe('Webhook signing secret rotated under load (e2e, simulator)', () => {
  const receiver = new SwitchingReceiver();
  let env: WalletEnv;
  let user: SignedInUser;
  let admin: SignedInUser;
  beforeAll(async () => {
    await receiver.start();
    env = await startWalletEnv(
      {
        WEBHOOKS_ENABLED: 'true',
        WEBHOOKS_INTERVAL_MS: '50',
        WEBHOOKS_TIMEOUT_MS: '2000',
        WEBHOOK_ALLOW_INSECURE_TARGETS: `127.0.0.1:${receiver.port}`,
      },
      { notifications: true },
    );
    user = await registerUser(env.t);
    admin = await registerUser(env.t, 'admin');
    await createBoundWallet(env, user, { balance: 100_000_000 });
  });
  afterAll(async () => {
    await env.close();
    await receiver.close();
  });

  it('loses no notification and no request while the secret is rotated and the previous one retired', async () => {
    const db = env.t.app.get(DataSource);
    const asAdmin = { authorization: `Bearer ${admin.accessToken}` };
    const created = await env.t
      .http()
      .post('/v1/admin/webhooks')
      .set(asAdmin)
      .send({ url: `http://127.0.0.1:${receiver.port}/hooks`, description: 'rotation under load' });
    expect(created.status).toBe(201);
    const sub = created.body as { id: string; secret: string };
    receiver.secret = sub.secret;

    const failures: string[] = [];
    const purchases: Array<{ id: string; startedAfterRetire: boolean }> = [];
    let retired = false;
    let stop = false;
    const buy = async () => {
      const startedAfterRetire = retired;
      const created = await createPurchaseToPay(env.t, user, failures);
      if (!created) return;
      purchases.push({ id: created.id, startedAfterRetire });
      env.sim.control.pay({ partnerReferenceNo: created.ref });
    };
    const worker = async () => {
      while (!stop) await buy();
    };
    const workers = Array.from({ length: 4 }, worker);
    const verifiedWith = (knew: 'old' | 'new') => receiver.deliveries.filter((d) => d.knew === knew && d.verified).length;

    // Deliveries flow under the old secret before the rotation.
    await until(
      async () => verifiedWith('old'),
      (n) => n >= 10,
      15_000,
    );
    const rotated = await env.t.http().post(`/v1/admin/webhooks/${sub.id}/rotate-secret`).set(asAdmin).send();
    expect(rotated.status).toBe(200);
    const newSecret = rotated.body.secret as string;
    expect(newSecret).not.toBe(sub.secret);
    // The partner stores the new secret at once and forgets the old one.
    receiver.secret = newSecret;
    receiver.knew = 'new';
    await until(
      async () => verifiedWith('new'),
      (n) => n >= 10,
      15_000,
    );
    const retire = await env.t.http().delete(`/v1/admin/webhooks/${sub.id}/previous-secret`).set(asAdmin);
    expect(retire.status).toBe(200);
    retired = true;
    // Purchases begun after the retirement, and their events delivered.
    const deliveredAfterRetire = () => {
      const ids = new Set(purchases.filter((p) => p.startedAfterRetire).map((p) => p.id));
      return receiver.deliveries.filter((d) => d.transactionId !== undefined && ids.has(d.transactionId));
    };
    await until(
      async () => deliveredAfterRetire().length,
      (n) => n >= 10,
      15_000,
    );
    stop = true;
    await Promise.all(workers);
    expect(failures).toEqual([]);
    // Every purchase is paid (its notification came), so no more events are on their way.
    const statuses = await until(
      () => db.query<Array<{ status: string }>>(`SELECT status FROM transactions WHERE id = ANY($1)`, [purchases.map((p) => p.id)]),
      (rows) => rows.length === purchases.length && rows.every((r) => r.status === 'SUCCESS'),
      15_000,
    );
    expect(statuses.map((r) => r.status)).toEqual(Array(purchases.length).fill('SUCCESS'));

    // Every event since the subscription exists reaches the partner, verified, each once in the log.
    const expected = async () =>
      (
        await db.query<Array<{ id: string }>>(
          `SELECT e.id FROM outbox_events e JOIN webhook_subscriptions s ON s.id = $1 WHERE e.created_at >= s.created_at ORDER BY e.seq`,
          [sub.id],
        )
      ).map((r) => r.id);
    const verifiedIds = () => new Set(receiver.deliveries.filter((d) => d.verified).map((d) => d.id));
    const deliveryLog = async () =>
      (
        await db.query<Array<{ n: number; delivered: number; distinct_events: number; attempts: number }>>(
          `SELECT count(*)::int AS n, count(*) FILTER (WHERE status = 'DELIVERED')::int AS delivered,
                  count(DISTINCT event_id)::int AS distinct_events, coalesce(sum(attempts), 0)::int AS attempts
             FROM webhook_deliveries WHERE subscription_id = $1`,
          [sub.id],
        )
      )[0];
    const settled = await until(
      async () => ({ events: await expected(), verified: verifiedIds(), log: await deliveryLog() }),
      ({ events, verified, log }) => events.every((id) => verified.has(id)) && log.delivered === events.length,
      20_000,
    );
    // No delivery was refused by the partner: each verified with the one secret it knew then.
    expect(receiver.deliveries.filter((d) => !d.verified).map((d) => ({ id: d.id, knew: d.knew, signatures: d.signatures }))).toEqual([]);
    expect(settled.events.length).toBeGreaterThanOrEqual(30);
    expect(settled.events.filter((id) => !settled.verified.has(id))).toEqual([]);
    expect([...settled.verified].filter((id) => !settled.events.includes(id))).toEqual([]);
    // One delivery per event, each delivered on its first attempt.
    expect(settled.log).toEqual({
      n: settled.events.length,
      delivered: settled.events.length,
      distinct_events: settled.events.length,
      attempts: settled.events.length,
    });

    expect(receiver.deliveries).toHaveLength(settled.events.length);
    const before = receiver.deliveries.filter((d) => d.knew === 'old');
    expect(before.length).toBeGreaterThanOrEqual(10);
    for (const d of before) expect(verifies(sub.secret, d.headers, d.body)).toBe(true);
    // After the retirement only the new secret signs: a partner still on the old one refuses them.
    const after = deliveredAfterRetire();
    expect(after.length).toBeGreaterThanOrEqual(10);
    for (const d of after) {
      expect(d.signatures).toBe(1);
      expect(verifies(newSecret, d.headers, d.body)).toBe(true);
      expect(verifies(sub.secret, d.headers, d.body)).toBe(false);
    }
  }, 60_000);
});
