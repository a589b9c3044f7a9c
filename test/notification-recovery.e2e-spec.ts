import { DataSource } from 'typeorm';
import { NotificationsRepository } from '../src/notifications/notifications.repository';
import type { SignedInUser } from './support/actors';
import { registerUser } from './support/actors';
import type { BackendProcess } from './support/backend-process';
import { startBackendProcess } from './support/backend-process';
import { until } from './support/until';
import { createBoundWallet } from './support/wallet-fixtures';
import type { SinkDelivery } from './reliability/support/doku-notifications';
import { DokuNotificationSender, NotificationSink } from './reliability/support/doku-notifications';
import type { ReliabilityEnv } from './reliability/support/env';
import { startReliabilityEnv } from './reliability/support/env';
import { BatteryHttp } from './reliability/support/http-client';

/**
 * A DOKU notification is stored before it is acknowledged, then processed in the background. These
 * tests prove a stored notification is processed even when the instance that stored it cannot:
 * it died right after storing it (SIGKILL at the `notification.after-store` failpoint), its queue
 * was full, or it was stopped with notifications still waiting. Nothing else settles the purchases
 * here: every backend runs with the reconciler off, so a purchase that ends SUCCESS was moved by
 * its notification.
 */
describe('Stored DOKU notifications are never left unprocessed (e2e, backend processes)', () => {
  let env: ReliabilityEnv;
  let db: DataSource;
  let sink: NotificationSink;
  let user: SignedInUser;
  let seq = 0;
  const children: BackendProcess[] = [];
  const clients: BatteryHttp[] = [];

  beforeAll(async () => {
    // The in-process app creates the purchases; it sweeps only once, at its start, so every
    // takeover below is done by the backend process under test.
    env = await startReliabilityEnv({ env: { NOTIFICATION_SWEEP_INTERVAL_MS: '3600000' } });
    db = env.t.app.get(DataSource);
    sink = await NotificationSink.start();
    env.sim.control.setNotification(env.t.config.doku.clientId, { enabled: true, baseUrl: sink.url, timeScale: 0.001 });
    user = await registerUser(env.t);
    await createBoundWallet(env, user, { balance: 50_000_000 });
  }, 60_000);
  afterAll(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close().catch(() => undefined)));
    await Promise.all(children.splice(0).map((c) => c.kill9()));
    await env?.close();
    await sink?.close();
  });

  const backend = async (extra: Record<string, string>): Promise<{ child: BackendProcess; sender: DokuNotificationSender }> => {
    const child = await startBackendProcess(env.t.databaseUrl, {
      DOKU_BASE_URL: env.sim.url,
      RECONCILER_ENABLED: 'false',
      WEBHOOKS_ENABLED: 'false',
      ...extra,
    });
    children.push(child);
    const http = new BatteryHttp(child.url, 4);
    clients.push(http);
    const { clientId, clientSecret, notificationPath } = env.t.config.doku;
    return { child, sender: new DokuNotificationSender(http, { clientId, clientSecret, notifyPath: notificationPath }) };
  };

  /** A purchase pending with us that the customer has paid on DOKU's page, and DOKU's notification of it. */
  async function paidAtDoku(): Promise<{ id: string; ref: string; notification: SinkDelivery }> {
    const res = await env.http.post(
      '/v1/purchases',
      { amount: 10_000 + seq, description: 'order' },
      user.accessToken,
      `nr-${process.pid}-${seq++}`,
    );
    if (res.status !== 201) throw new Error(`purchase: ${res.status} ${res.text.slice(0, 200)}`);
    const rows = await db.query<Array<{ partner_reference_no: string }>>(`SELECT partner_reference_no FROM transactions WHERE id = $1`, [
      res.json.id,
    ]);
    const ref = rows[0].partner_reference_no;
    env.sim.control.pay({ partnerReferenceNo: ref });
    const [notification] = await sink.waitFor(ref, 1);
    return { id: res.json.id as string, ref, notification: notification };
  }

  async function deliver(sender: DokuNotificationSender, body: string, externalId: string) {
    const token = await sender.token();
    return sender.send(body, sender.sign(body, { form: 'symmetric', token, externalId }));
  }

  const stored = async (ref: string) =>
    await db.query<
      Array<{ processed_at: Date | null; process_result: string | null; claimed_until: Date | null; process_attempts: number }>
    >(
      `SELECT processed_at, process_result, claimed_until, process_attempts FROM doku_notifications WHERE partner_reference_no = $1 ORDER BY received_at`,
      [ref],
    );
  const statusOf = async (id: string) =>
    (await db.query<Array<{ status: string }>>(`SELECT status FROM transactions WHERE id = $1`, [id]))[0].status;
  const successEvents = async (id: string) =>
    Number(
      (
        await db.query<Array<{ n: number }>>(
          `SELECT count(*)::int AS n FROM transaction_events WHERE transaction_id = $1 AND to_status = 'SUCCESS'`,
          [id],
        )
      )[0].n,
    );

  it('dies right after storing a notification: DOKU retries, the replay is acknowledged without a second row, and the restarted backend processes the stored one', async () => {
    const purchase = await paidAtDoku();
    const externalId = `9${Date.now()}1`;

    const dying = await backend({ FAILPOINTS: 'notification.after-store', NOTIFICATION_LEASE_SECONDS: '2' });
    const answer = await deliver(dying.sender, purchase.notification.body, externalId).then(
      (r) => r,
      (e: unknown) => e as Error,
    );
    await dying.child.kill9(); // already dead by its failpoint: this waits for the exit
    expect(answer).toBeInstanceOf(Error); // DOKU got no acknowledgement
    expect(dying.child.child.signalCode).toBe('SIGKILL');
    let rows = await stored(purchase.ref);
    expect(rows).toHaveLength(1);
    expect(rows[0].processed_at).toBeNull();
    expect(await statusOf(purchase.id)).toBe('PENDING');

    const restarted = await backend({ NOTIFICATION_LEASE_SECONDS: '2', NOTIFICATION_SWEEP_INTERVAL_MS: '200' });
    // DOKU retries the unacknowledged delivery: acknowledged, and recognised as the stored one.
    const retry = await deliver(restarted.sender, purchase.notification.body, externalId);
    expect(retry.status).toBe(200);
    expect(retry.json?.responseCode).toBe('2005600');

    // The dead backend's hold runs out after 2 s; the restarted one takes the notification over.
    expect(
      await until(
        async () => ((await stored(purchase.ref))[0]?.processed_at ?? null) !== null,
        (done) => done,
        15_000,
      ),
    ).toBe(true);
    rows = await stored(purchase.ref);
    expect(rows).toHaveLength(1);
    expect(rows[0].process_result).toBe('confirmed by Query Purchase: SUCCESS');
    expect(await statusOf(purchase.id)).toBe('SUCCESS');
    expect(await successEvents(purchase.id)).toBe(1);
    await restarted.child.stop();
  }, 90_000);

  it('with no room in memory (queue limit 0) every notification is acknowledged at once and processed by the sweep', async () => {
    const purchases: Array<Awaited<ReturnType<typeof paidAtDoku>>> = [];
    for (let i = 0; i < 8; i++) purchases.push(await paidAtDoku());
    const { child, sender } = await backend({ NOTIFICATION_QUEUE_LIMIT: '0', NOTIFICATION_SWEEP_INTERVAL_MS: '100' });
    const answers = await Promise.all(purchases.map((p, i) => deliver(sender, p.notification.body, `8${Date.now()}${i}`)));
    expect(answers.map((a) => a.status)).toEqual(purchases.map(() => 200));

    const allDone = async () =>
      (await Promise.all(purchases.map((p) => stored(p.ref)))).every((r) => r.length === 1 && r[0].processed_at !== null);
    expect(await until(allDone, (done) => done, 20_000)).toBe(true);
    for (const p of purchases) {
      expect(await statusOf(p.id)).toBe('SUCCESS');
      expect(await successEvents(p.id)).toBe(1);
    }
    await child.stop();
  }, 90_000);

  it('past the queue limit the sweep follows demand: with no periodic sweep at all, every notification is still processed', async () => {
    const purchases: Array<Awaited<ReturnType<typeof paidAtDoku>>> = [];
    for (let i = 0; i < 12; i++) purchases.push(await paidAtDoku());
    // The only timed sweep runs at start, before anything is stored; the rest is up to the queue running low.
    const { child, sender } = await backend({
      NOTIFICATION_QUEUE_LIMIT: '0',
      NOTIFICATION_PROCESSING_CONCURRENCY: '2',
      NOTIFICATION_SWEEP_INTERVAL_MS: '3600000',
    });
    const answers = await Promise.all(purchases.map((p, i) => deliver(sender, p.notification.body, `6${Date.now()}${i}`)));
    expect(answers.map((a) => a.status)).toEqual(purchases.map(() => 200));

    const allDone = async () =>
      (await Promise.all(purchases.map((p) => stored(p.ref)))).every((r) => r.length === 1 && r[0].processed_at !== null);
    expect(await until(allDone, (done) => done, 20_000)).toBe(true);
    for (const p of purchases) expect(await statusOf(p.id)).toBe('SUCCESS');
    await child.stop();
  }, 90_000);

  it('stopped with notifications waiting: it gives them back, and the next start takes them over at once (not a lease later)', async () => {
    const purchases: Array<Awaited<ReturnType<typeof paidAtDoku>>> = [];
    for (let i = 0; i < 8; i++) purchases.push(await paidAtDoku());
    // One at a time, and DOKU answers each Query Purchase slowly: most of them are still waiting at the stop.
    env.sim.control.setFaults([{ id: 'slow-query', endpoint: 'queryPurchase' as never, type: 'latency', latencyMs: 600 }]);
    const first = await backend({ NOTIFICATION_PROCESSING_CONCURRENCY: '1', NOTIFICATION_LEASE_SECONDS: '600' });
    const answers = await Promise.all(purchases.map((p, i) => deliver(first.sender, p.notification.body, `7${Date.now()}${i}`)));
    expect(answers.map((a) => a.status)).toEqual(purchases.map(() => 200));
    await first.child.stop();
    expect(first.child.child.exitCode).toBe(0);
    env.sim.control.clearFaults();

    const left = (await Promise.all(purchases.map((p) => stored(p.ref)))).map((r) => r[0]).filter((r) => r.processed_at === null);
    expect(left.length).toBeGreaterThanOrEqual(4);
    expect(left.every((r) => r.claimed_until === null)).toBe(true); // given back, not held for 600 s

    const next = await backend({ NOTIFICATION_LEASE_SECONDS: '600', NOTIFICATION_SWEEP_INTERVAL_MS: '3600000' });
    const allDone = async () => (await Promise.all(purchases.map((p) => stored(p.ref)))).every((r) => r[0].processed_at !== null);
    expect(await until(allDone, (done) => done, 20_000)).toBe(true);
    for (const p of purchases) expect(await statusOf(p.id)).toBe('SUCCESS');
    await next.child.stop();
  }, 90_000);

  it('a notification whose Query Purchase settles nothing is not closed unconfirmed: it is tried again and settles the purchase', async () => {
    const { child, sender } = await backend({ NOTIFICATION_LEASE_SECONDS: '1', NOTIFICATION_SWEEP_INTERVAL_MS: '200' });
    const purchase = await paidAtDoku();
    // DOKU's status query fails for the first processing (every ask of it, retries included).
    env.sim.control.setFaults([{ endpoint: 'queryPurchase', type: 'error_before', status: 503, times: 2 }]);
    try {
      const first = await deliver(sender, purchase.notification.body, `9${Date.now()}2`);
      expect(first.status).toBe(200);
      expect(
        await until(
          async () => ((await stored(purchase.ref))[0]?.processed_at ?? null) !== null,
          (done) => done,
          20_000,
        ),
      ).toBe(true);
    } finally {
      env.sim.control.setFaults([]);
    }
    const rows = await stored(purchase.ref);
    expect(rows).toHaveLength(1);
    // Closed only once DOKU's answer was applied, after at least one failed attempt.
    expect(rows[0].process_result).toBe('confirmed by Query Purchase: SUCCESS');
    expect(rows[0].process_attempts).toBeGreaterThanOrEqual(1);
    // The reconciler is off: only the notification's retry can have settled it.
    expect(await statusOf(purchase.id)).toBe('SUCCESS');
    expect(await successEvents(purchase.id)).toBe(1);
    await child.stop();
  }, 60_000);

  it('a notification whose processing keeps failing is retried, then given up after the maximum attempts (its purchase is left to the reconciler)', async () => {
    const repository = env.t.app.get(NotificationsRepository);
    const stored = await repository.storeOnce(
      {
        dedupeKey: `failing-${Date.now()}`,
        partnerReferenceNo: 'NO-SUCH-REF',
        dokuReferenceNo: null,
        latestTransactionStatus: '00',
        externalId: null,
        signatureKind: 'symmetric',
        rawBody: '{}',
        headers: {},
      },
      60,
    );
    expect(stored).toEqual({ id: expect.any(String), closedAsRepeat: false });
    const id = stored!.id;
    const row = async () =>
      (
        await db.query<
          Array<{
            processed_at: Date | null;
            process_result: string | null;
            process_attempts: number;
          }>
        >(`SELECT processed_at, process_result, process_attempts FROM doku_notifications WHERE id = $1`, [id])
      )[0];
    expect(await repository.recordFailure(id, 3, 'database went away')).toBe(false);
    expect(await repository.recordFailure(id, 3, 'database went away')).toBe(false);
    expect(await row()).toMatchObject({ processed_at: null, process_attempts: 2 });
    expect(await repository.recordFailure(id, 3, 'database went away')).toBe(true);
    const closed = await row();
    expect(closed.processed_at).not.toBeNull();
    expect(closed.process_result).toBe('gave up after 3 attempts: database went away');
    // Closed means closed: a sweep does not take it again, and a late failure changes nothing.
    expect((await repository.claimUnheld(100, 60)).map((r) => r.id)).not.toContain(id);
    expect(await repository.recordFailure(id, 3, 'again')).toBe(false);
    expect((await row()).process_attempts).toBe(3);
  });
});
