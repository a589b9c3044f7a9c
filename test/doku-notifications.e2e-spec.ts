import { createHash, createHmac, createSign, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { jakartaTimestamp } from '../src/integrations/doku/snap/doku-signature';
import { ExchangeRecorderService } from '../src/integrations/doku/snap/exchange-recorder.service';
import { NotificationsRepository } from '../src/notifications/notifications.repository';
import { Transaction } from '../src/transactions/entities/transaction.entity';
import type { SignedInUser } from './support/actors';
import { registerUser } from './support/actors';
import { metricSample } from './support/metrics-text';
import type { WalletEnv } from './support/wallet-fixtures';
import { createBoundWallet, startWalletEnv } from './support/wallet-fixtures';
import { until } from './support/until';

const NOTIFY_PATH = '/v1.0/debit/notify';
const TOKEN_PATH = '/authorization/v1/access-token/b2b';
// The simulator's DOKU key pair (the backend's development DOKU public key is its public half).
const DOKU_PRIVATE_KEY = (
  JSON.parse(readFileSync(join(__dirname, '..', 'simulator', 'dev-partner.json'), 'utf8')) as { dokuPrivateKeyPem: string }
).dokuPrivateKeyPem;

const rsa = (text: string) => createSign('RSA-SHA256').update(text, 'utf8').sign(DOKU_PRIVATE_KEY, 'base64');
const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');

/**
 * DOKU's notifications to us (docs/doku-integration.md#notifications): the token handshake,
 * verification over the raw body, storage and replay safety.
 */
describe('DOKU notifications (e2e, simulator)', () => {
  let env: WalletEnv;
  let user: SignedInUser;

  beforeAll(async () => {
    env = await startWalletEnv({}, { notifications: true });
    user = await registerUser(env.t);
    await createBoundWallet(env, user, { balance: 1_000_000 });
  });
  afterAll(async () => {
    await env.close();
  });

  const http = () => env.t.http();
  const db = () => env.t.app.get(DataSource);
  const clientId = () => env.t.config.doku.clientId;

  async function handshake(): Promise<string> {
    const timestamp = jakartaTimestamp(new Date());
    const res = await http()
      .post(TOKEN_PATH)
      .set({ 'x-client-key': clientId(), 'x-timestamp': timestamp, 'x-signature': rsa(`${clientId()}|${timestamp}`) })
      .send({ grantType: 'client_credentials' });
    expect(res.status).toBe(200);
    return res.body.accessToken as string;
  }

  function signed(token: string, body: string, options: { timestamp?: string; externalId?: string; asymmetric?: boolean } = {}) {
    const timestamp = options.timestamp ?? jakartaTimestamp(new Date());
    const signature = options.asymmetric
      ? rsa(`POST:${NOTIFY_PATH}:${sha256(body)}:${timestamp}`)
      : createHmac('sha512', env.t.config.doku.clientSecret)
          .update(`POST:${NOTIFY_PATH}:${token}:${sha256(body)}:${timestamp}`)
          .digest('base64');
    return {
      'content-type': 'application/json',
      authorization: `Bearer ${token}`,
      'x-timestamp': timestamp,
      'x-signature': signature,
      'x-partner-id': clientId(),
      'x-external-id': options.externalId ?? String(Date.now()) + String(Math.floor(Math.random() * 1e9)),
    };
  }

  async function pendingPurchase(amount = 10_000): Promise<{ id: string; ref: string }> {
    const res = await http()
      .post('/v1/purchases')
      .set('authorization', `Bearer ${user.accessToken}`)
      .set('idempotency-key', `k-${randomUUID()}`)
      .send({ amount });
    expect(res.status).toBe(201);
    const rows = await db().query<Array<{ partner_reference_no: string }>>(`SELECT partner_reference_no FROM transactions WHERE id = $1`, [
      res.body.id,
    ]);
    return { id: res.body.id as string, ref: rows[0].partner_reference_no };
  }

  /** A purchase paid at DOKU, and settled here by DOKU's notification about it. */
  async function paidPurchase(amount: number): Promise<{ id: string; ref: string }> {
    const purchase = await pendingPurchase(amount);
    env.sim.control.pay({ partnerReferenceNo: purchase.ref });
    await until(
      () => stored(purchase.ref),
      (r) => r.length > 0 && r.every((x) => x.processed_at !== null),
    );
    return purchase;
  }
  const statusOf = async (id: string) =>
    (await db().query<Array<{ status: string }>>(`SELECT status FROM transactions WHERE id = $1`, [id]))[0].status;
  const eventsOf = async (id: string) =>
    Number((await db().query<Array<{ n: string }>>(`SELECT count(*) AS n FROM transaction_events WHERE transaction_id = $1`, [id]))[0].n);
  /** Query Purchase calls stored for this purchase (the exchange records flushed first). */
  const queryPurchaseCount = async (ref: string) => {
    await env.t.app.get(ExchangeRecorderService).flush();
    const rows = await db().query<Array<{ n: number }>>(
      `SELECT count(*)::int AS n FROM doku_exchanges WHERE endpoint = 'queryPurchase' AND partner_reference = $1`,
      [ref],
    );
    return rows[0].n;
  };
  const stored = async (ref: string) =>
    await db().query<
      Array<{
        id: string;
        processed_at: Date | null;
        process_result: string | null;
        signature_kind: string;
        headers: Record<string, string>;
        /** Closed by the statement that stored it (closed when it was received). */
        closed_with_row: boolean | null;
        claimed_until: Date | null;
      }>
    >(
      `SELECT id, processed_at, process_result, signature_kind, headers, processed_at = received_at AS closed_with_row, claimed_until
         FROM doku_notifications WHERE partner_reference_no = $1 ORDER BY received_at`,
      [ref],
    );

  it('token handshake: DOKU signature checked with its public key; answers in the SNAP shape', async () => {
    const timestamp = jakartaTimestamp(new Date());
    const bad = await http()
      .post(TOKEN_PATH)
      .set({ 'x-client-key': clientId(), 'x-timestamp': timestamp, 'x-signature': rsa(`${clientId()}|2020-01-01T00:00:00+07:00`) })
      .send({});
    expect(bad.status).toBe(401);
    expect(bad.body).toEqual({ responseCode: '4017300', responseMessage: 'Unauthorized. Invalid Signature' });

    const good = await http()
      .post(TOKEN_PATH)
      .set({ 'x-client-key': clientId(), 'x-timestamp': timestamp, 'x-signature': rsa(`${clientId()}|${timestamp}`) })
      .send({ grantType: 'client_credentials' });
    expect(good.status).toBe(200);
    expect(good.body).toEqual({
      responseCode: '2007300',
      responseMessage: 'Successful',
      accessToken: expect.any(String),
      tokenType: 'Bearer',
      expiresIn: 900,
      additionalInfo: '',
    });
    expect(good.headers['x-client-key']).toBe(clientId());
    // Stored hashed only.
    const rows = await db().query<Array<{ token_hash: string }>>(`SELECT token_hash FROM doku_notification_tokens`);
    expect(rows.map((r) => r.token_hash)).toContain(sha256(good.body.accessToken));
    expect(JSON.stringify(rows)).not.toContain(good.body.accessToken);
  });

  it("the simulator's real notification (symmetric signature) is stored, acknowledged and confirmed by a status query", async () => {
    const { id, ref } = await pendingPurchase(12_000);
    env.sim.control.pay({ partnerReferenceNo: ref });
    const rows = await until(
      () => stored(ref),
      (r) => r.length > 0 && r.every((x) => x.processed_at !== null),
    );
    expect(rows[0]).toMatchObject({ signature_kind: 'symmetric', process_result: 'confirmed by Query Purchase: SUCCESS' });
    expect(rows[0].headers.authorization).toBeUndefined();
    expect(rows[0].headers['x-signature']).toBeUndefined();
    expect(await statusOf(id)).toBe('SUCCESS');
    expect(env.sim.control.notifications({ partnerReferenceNo: ref }).every((n) => n.status === 'delivered')).toBe(true);
  });

  it('a later notification that repeats the settled status is closed without asking DOKU again; one that disagrees is confirmed', async () => {
    const { id, ref } = await pendingPurchase(12_500);
    env.sim.control.pay({ partnerReferenceNo: ref });
    await until(
      () => stored(ref),
      (r) => r.length > 0 && r.every((x) => x.processed_at !== null),
    );
    expect(await statusOf(id)).toBe('SUCCESS');
    const statusQueries = () => queryPurchaseCount(ref);
    const asked = await statusQueries();
    expect(asked).toBeGreaterThan(0);

    const token = await handshake();
    const notify = async (latestTransactionStatus: string) => {
      const body = JSON.stringify({ originalPartnerReferenceNo: ref, originalReferenceNo: 'X', latestTransactionStatus });
      const ack = await http().post(NOTIFY_PATH).set(signed(token, body)).send(body);
      expect(ack.body.responseCode).toBe('2005600');
    };
    const events = await eventsOf(id);
    await notify('00');
    // Closed by the statement that stored it, before the acknowledgement: closed when it was received,
    // and never held for processing.
    let rows = await stored(ref);
    expect(rows).toHaveLength(2);
    expect(rows[1]).toMatchObject({ closed_with_row: true, process_result: 'already SUCCESS: DOKU not asked again', claimed_until: null });
    expect(await statusQueries()).toBe(asked);

    // It says failed, we have it paid: only DOKU's answer counts, and it says paid.
    await notify('06');
    rows = await until(
      () => stored(ref),
      (r) => r.length === 3 && r.every((x) => x.processed_at !== null),
    );
    expect(rows[2].process_result).toBe('confirmed by Query Purchase: SUCCESS');
    expect(await statusQueries()).toBe(asked + 1);
    expect(await statusOf(id)).toBe('SUCCESS');
    expect(await eventsOf(id)).toBe(events);
  });

  it('a repeat of the settled status is confirmed with DOKU while a refund or cancel of the purchase waits', async () => {
    const { id, ref } = await pendingPurchase(12_600);
    env.sim.control.pay({ partnerReferenceNo: ref });
    await until(
      () => stored(ref),
      (r) => r.length > 0 && r.every((x) => x.processed_at !== null),
    );
    expect(await statusOf(id)).toBe('SUCCESS');
    // Another PENDING operation made a child of this purchase, as a refund waiting for DOKU is.
    const child = await pendingPurchase(12_601);
    await db().query(`UPDATE transactions SET parent_id = $1 WHERE id = $2`, [id, child.id]);
    const statusQueries = () => queryPurchaseCount(ref);
    const asked = await statusQueries();
    const token = await handshake();
    const body = JSON.stringify({ originalPartnerReferenceNo: ref, originalReferenceNo: 'X', latestTransactionStatus: '00' });
    const ack = await http().post(NOTIFY_PATH).set(signed(token, body)).send(body);
    expect(ack.body.responseCode).toBe('2005600');
    const rows = await until(
      () => stored(ref),
      (r) => r.length === 2 && r.every((x) => x.processed_at !== null),
    );
    expect(rows[1].process_result).toBe('confirmed by Query Purchase: SUCCESS');
    expect(await statusQueries()).toBe(asked + 1);
    await db().query(`UPDATE transactions SET parent_id = NULL WHERE id = $1`, [child.id]);
  });

  it('repeats closed at intake: each notification that repeats a settled status is stored closed, every other is stored held for processing', async () => {
    const paid = await paidPurchase(12_620);
    expect(await statusOf(paid.id)).toBe('SUCCESS');
    const pending = await pendingPurchase(12_621);
    const failed = await pendingPurchase(12_622);
    await db().query(`UPDATE transactions SET status = 'FAILED', failure_code = 'DOKU.NOT_FOUND' WHERE id = $1`, [failed.id]);
    const refunding = await paidPurchase(12_623);
    const child = await pendingPurchase(12_624);
    await db().query(`UPDATE transactions SET parent_id = $1 WHERE id = $2`, [refunding.id, child.id]);
    const unknownRef = `NO-SUCH-${randomUUID()}`;
    const cases: Array<{ ref: string | null; status: string; closedAs?: string }> = [
      { ref: paid.ref, status: '00', closedAs: 'SUCCESS' },
      { ref: paid.ref, status: 'SUCCESS', closedAs: 'SUCCESS' },
      { ref: failed.ref, status: '06', closedAs: 'FAILED' },
      { ref: pending.ref, status: '00' },
      { ref: refunding.ref, status: '00' },
      { ref: unknownRef, status: '00' },
      { ref: paid.ref, status: '06' },
      { ref: paid.ref, status: '03' },
      { ref: paid.ref, status: 'PAID?' },
      { ref: null, status: '00' },
    ];
    const repository = env.t.app.get(NotificationsRepository);
    const key = `intake-${randomUUID()}`;
    // Stored straight through the repository, held for an hour, so that nothing here processes them.
    const answers = await Promise.all(
      [...cases, cases[0]].map((c, i) =>
        repository.storeOnce(
          {
            dedupeKey: `${key}-${i % cases.length}`,
            partnerReferenceNo: c.ref,
            dokuReferenceNo: null,
            latestTransactionStatus: c.status,
            externalId: null,
            signatureKind: 'symmetric',
            rawBody: '{}',
            headers: {},
          },
          3600,
        ),
      ),
    );
    // The same delivery twice: the second copy is a replay and answers nothing.
    expect(answers[cases.length]).toBeUndefined();
    cases.forEach((c, i) => expect(answers[i]).toEqual({ id: expect.any(String), closedAsRepeat: c.closedAs !== undefined }));
    const rows = await db().query<Array<{ id: string; closed_with_row: boolean | null; process_result: string | null; held: boolean }>>(
      `SELECT id, processed_at = received_at AS closed_with_row, process_result, claimed_until > now() + interval '50 minutes' AS held
         FROM doku_notifications WHERE id = ANY($1::uuid[])`,
      [answers.slice(0, cases.length).map((a) => a!.id)],
    );
    const byId = new Map(rows.map((r) => [r.id, r]));
    cases.forEach((c, i) => {
      const row = byId.get(answers[i]!.id)!;
      if (c.closedAs) {
        expect(row).toEqual({
          id: answers[i]!.id,
          closed_with_row: true,
          process_result: `already ${c.closedAs}: DOKU not asked again`,
          held: null,
        });
      } else {
        expect(row).toEqual({ id: answers[i]!.id, closed_with_row: null, process_result: null, held: true });
      }
    });
    // The test's own open rows are closed so that no sweep picks them up later.
    await db().query(
      `UPDATE doku_notifications SET processed_at = now(), claimed_until = NULL WHERE id = ANY($1::uuid[]) AND processed_at IS NULL`,
      [answers.slice(0, cases.length).map((a) => a!.id)],
    );
    await db().query(`UPDATE transactions SET parent_id = NULL WHERE id = $1`, [child.id]);
  });

  it('repeats closed together: one statement closes each that repeats a settled status and answers the purchase of each other', async () => {
    const paid = await paidPurchase(12_610);
    expect(await statusOf(paid.id)).toBe('SUCCESS');
    const pending = await pendingPurchase(12_611);
    const refunding = await paidPurchase(12_612);
    const child = await pendingPurchase(12_613);
    await db().query(`UPDATE transactions SET parent_id = $1 WHERE id = $2`, [refunding.id, child.id]);
    // Stored as held by another instance for an hour, so that nothing here processes them meanwhile.
    const notification = async (ref: string, status: string): Promise<string> =>
      (
        await db().query<Array<{ id: string }>>(
          `INSERT INTO doku_notifications (dedupe_key, partner_reference_no, latest_transaction_status, signature_kind, raw_body, headers, claimed_until)
           VALUES ($1, $2, $3, 'symmetric', '{}', '{}', now() + interval '1 hour') RETURNING id`,
          [`batch-${randomUUID()}`, ref, status],
        )
      )[0].id;
    const unknownRef = `NO-SUCH-${randomUUID()}`;
    const repeats = [
      { id: await notification(paid.ref, '00'), partnerReferenceNo: paid.ref, status: 'SUCCESS' as const },
      { id: await notification(pending.ref, '00'), partnerReferenceNo: pending.ref, status: 'SUCCESS' as const },
      { id: await notification(refunding.ref, '00'), partnerReferenceNo: refunding.ref, status: 'SUCCESS' as const },
      { id: await notification(unknownRef, '00'), partnerReferenceNo: unknownRef, status: 'SUCCESS' as const },
      { id: await notification(paid.ref, '06'), partnerReferenceNo: paid.ref, status: 'FAILED' as const },
      { id: await notification(paid.ref, '00'), partnerReferenceNo: paid.ref, status: 'SUCCESS' as const },
    ];
    const answers = await env.t.app.get(NotificationsRepository).closeRepeats(repeats);
    const entity = async (id: string) => await db().getRepository(Transaction).findOneByOrFail({ id });
    expect(answers).toEqual([
      { closed: true },
      { closed: false, purchase: await entity(pending.id) },
      { closed: false, purchase: await entity(refunding.id) },
      { closed: false, purchase: null },
      { closed: false, purchase: await entity(paid.id) },
      { closed: true },
    ]);
    const rows = await db().query<
      Array<{ id: string; processed_at: Date | null; process_result: string | null; claimed_until: Date | null }>
    >(`SELECT id, processed_at, process_result, claimed_until FROM doku_notifications WHERE id = ANY($1::uuid[])`, [
      repeats.map((r) => r.id),
    ]);
    const byId = new Map(rows.map((r) => [r.id, r]));
    repeats.forEach(({ id }, i) => {
      if (i === 0 || i === 5) {
        expect(byId.get(id)).toMatchObject({ process_result: 'already SUCCESS: DOKU not asked again', claimed_until: null });
        expect(byId.get(id)!.processed_at).toBeInstanceOf(Date);
      } else {
        expect(byId.get(id)).toMatchObject({ processed_at: null, process_result: null });
      }
    });
    // Given back to nobody: the test's own rows are closed so that no sweep picks them up later.
    await db().query(`UPDATE doku_notifications SET processed_at = now(), claimed_until = NULL WHERE id = ANY($1::uuid[])`, [
      repeats.map((r) => r.id),
    ]);
    await db().query(`UPDATE transactions SET parent_id = NULL WHERE id = $1`, [child.id]);
  });

  it('a purchase we failed that DOKU then reports paid stays FAILED and is flagged for the back office, until finance marks it handled', async () => {
    const { id, ref } = await pendingPurchase(12_750);
    // As the not-found grace period leaves a purchase whose request reached DOKU late.
    await db().query(`UPDATE transactions SET status = 'FAILED', failure_code = 'DOKU.NOT_FOUND' WHERE id = $1`, [id]);
    const events = await eventsOf(id);
    env.sim.control.pay({ partnerReferenceNo: ref });
    const rows = await until(
      () => stored(ref),
      (r) => r.length > 0 && r.every((x) => x.processed_at !== null),
    );
    expect(rows[0].process_result).toBe('confirmed by Query Purchase: FAILED');
    expect(await statusOf(id)).toBe('FAILED');
    expect(await eventsOf(id)).toBe(events);
    const [flag] = await db().query<Array<{ doku_disagrees_at: Date | null; doku_reported_status: string | null }>>(
      `SELECT doku_disagrees_at, doku_reported_status FROM transactions WHERE id = $1`,
      [id],
    );
    expect(flag.doku_disagrees_at).toBeInstanceOf(Date);
    expect(flag.doku_reported_status).toBe('SUCCESS');

    const support = await registerUser(env.t, 'support');
    const list = await http()
      .get(`/v1/admin/transactions?dokuDisagrees=true&userId=${user.id}`)
      .set('authorization', `Bearer ${support.accessToken}`);
    expect(list.status).toBe(200);
    expect(list.body.items.map((t: { id: string }) => t.id)).toEqual([id]);
    expect(list.body.items[0]).toMatchObject({ status: 'FAILED', dokuReportedStatus: 'SUCCESS' });
    const metrics = await http().get('/metrics');
    expect(metrics.text).toMatch(/doku_settled_status_disagreements_total\{ours="FAILED",doku="SUCCESS"\} 1/);

    // The same answer again keeps the first time, and counts once.
    const token = await handshake();
    const body = JSON.stringify({ originalPartnerReferenceNo: ref, originalReferenceNo: 'X', latestTransactionStatus: '00' });
    expect((await http().post(NOTIFY_PATH).set(signed(token, body)).send(body)).status).toBe(200);
    await until(
      () => stored(ref),
      (r) => r.length === 2 && r.every((x) => x.processed_at !== null),
    );
    const [again] = await db().query<Array<{ doku_disagrees_at: Date }>>(`SELECT doku_disagrees_at FROM transactions WHERE id = $1`, [id]);
    expect(again.doku_disagrees_at.getTime()).toBe(flag.doku_disagrees_at!.getTime());
    expect((await http().get('/metrics')).text).toMatch(/doku_settled_status_disagreements_total\{ours="FAILED",doku="SUCCESS"\} 1/);

    // Finance deals with it outside (a refund from DOKU's dashboard) and marks it handled, with a note.
    const finance = await registerUser(env.t, 'finance');
    const handle = (who: { accessToken: string }, target: string, note: unknown) =>
      http()
        .post(`/v1/admin/transactions/${target}/doku-disagreement/handled`)
        .set('authorization', `Bearer ${who.accessToken}`)
        .send({ note });
    const open = async () =>
      (
        await http()
          .get(`/v1/admin/transactions?dokuDisagrees=open&userId=${user.id}`)
          .set('authorization', `Bearer ${support.accessToken}`)
      ).body.items.map((t: { id: string }) => t.id);
    expect(await open()).toEqual([id]);
    expect((await handle(support, id, 'Refunded from the DOKU dashboard')).status).toBe(403);
    expect((await handle(finance, id, 'short')).body.error.code).toBe('REQUEST.VALIDATION_FAILED');
    const note = 'Refunded from the DOKU dashboard, ticket 88213';
    const handled = await handle(finance, id, note);
    expect(handled.status).toBe(200);
    expect(handled.body).toMatchObject({ id, status: 'FAILED', dokuReportedStatus: 'SUCCESS', dokuDisagreementNote: note });
    expect(typeof handled.body.dokuDisagreementHandledAt).toBe('string');
    expect(await open()).toEqual([]);
    const twice = await handle(finance, id, note);
    expect([twice.status, twice.body.error.code]).toEqual([409, 'ADMIN.NO_OPEN_DISAGREEMENT']);
    const { id: agreed } = await pendingPurchase(12_800);
    expect((await handle(finance, agreed, note)).body.error.code).toBe('ADMIN.NO_OPEN_DISAGREEMENT');
    expect((await handle(finance, randomUUID(), note)).body.error.code).toBe('ADMIN.TRANSACTION_NOT_FOUND');
    const audited = await db().query<Array<{ actor_id: string; after: unknown }>>(
      `SELECT actor_id, after FROM audit_log WHERE action = 'transaction.doku-disagreement-handled' AND target_id = $1`,
      [id],
    );
    expect(audited).toEqual([{ actor_id: finance.id, after: { note } }]);
    const [handledRow] = await db().query<Array<{ doku_disagreement_handled_by: string }>>(
      `SELECT doku_disagreement_handled_by FROM transactions WHERE id = $1`,
      [id],
    );
    expect(handledRow.doku_disagreement_handled_by).toBe(finance.id);
  });

  it('the asymmetric (RSA) form is accepted too', async () => {
    env.sim.control.setNotification(clientId(), { signature: 'asymmetric' });
    try {
      const { id, ref } = await pendingPurchase(13_000);
      env.sim.control.pay({ partnerReferenceNo: ref });
      const rows = await until(
        () => stored(ref),
        (r) => r.length > 0 && r.every((x) => x.processed_at !== null),
      );
      expect(rows[0].signature_kind).toBe('asymmetric');
      expect(await statusOf(id)).toBe('SUCCESS');
    } finally {
      env.sim.control.setNotification(clientId(), { signature: 'symmetric' });
    }
  });

  it('a missing, forged or unknown token is 401 4015601; a bad signature or stale timestamp is 401 4015600', async () => {
    const body = JSON.stringify({ originalPartnerReferenceNo: 'PUR-x', originalReferenceNo: 'R1', latestTransactionStatus: '00' });
    const none = await http().post(NOTIFY_PATH).set('content-type', 'application/json').send(body);
    expect(none.status).toBe(401);
    expect(none.body).toEqual({ responseCode: '4015601', responseMessage: 'Invalid Token (B2B)' });
    const forged = await http().post(NOTIFY_PATH).set(signed('dnt_forged-token', body)).send(body);
    expect(forged.body.responseCode).toBe('4015601');

    const token = await handshake();
    const stale = await http()
      .post(NOTIFY_PATH)
      .set(signed(token, body, { timestamp: jakartaTimestamp(new Date(Date.now() - 10 * 60_000)) }))
      .send(body);
    expect(stale.status).toBe(401);
    expect(stale.body).toEqual({ responseCode: '4015600', responseMessage: 'Unauthorized. Invalid Signature' });
    const wrongKey = { ...signed(token, body), 'x-signature': createHmac('sha512', 'SK-not-ours').update(body).digest('base64') };
    expect((await http().post(NOTIFY_PATH).set(wrongKey).send(body)).status).toBe(401);
  });

  it('replays are no-ops; a tampered body is 401 with no state change; a lying notification is only a hint', async () => {
    const { id, ref } = await pendingPurchase(14_000);
    const token = await handshake();
    const body = JSON.stringify({
      originalPartnerReferenceNo: ref,
      originalReferenceNo: 'X',
      amount: { value: '14000.00', currency: 'IDR' },
      latestTransactionStatus: '00',
      transactionStatusDesc: 'Success',
      additionalInfo: {},
    });
    const headers = signed(token, body);

    const tampered = body.replace('14000.00', '14001.00');
    const refused = await http().post(NOTIFY_PATH).set(headers).send(tampered);
    expect(refused.status).toBe(401);
    expect(refused.body.responseCode).toBe('4015600');
    expect(await stored(ref)).toHaveLength(0);

    const events = await eventsOf(id);
    for (let i = 0; i < 5; i++) {
      const ack = await http().post(NOTIFY_PATH).set(headers).send(body);
      expect(ack.status).toBe(200);
      expect(ack.body).toEqual({ responseCode: '2005600', responseMessage: 'Successful' });
    }
    const rows = await until(
      () => stored(ref),
      (r) => r.length === 1 && r[0].processed_at !== null,
    );
    expect(rows).toHaveLength(1);
    // It claimed success, but Query Purchase says the PIN was never entered: nothing moves.
    expect(rows[0].process_result).toBe('confirmed by Query Purchase: PENDING');
    expect(await statusOf(id)).toBe('PENDING');
    expect(await eventsOf(id)).toBe(events);

    // A pretty-printed body is verified over its raw bytes.
    const pretty = JSON.stringify(JSON.parse(body), null, 2);
    expect((await http().post(NOTIFY_PATH).set(signed(token, pretty)).send(pretty)).status).toBe(200);
  });
  it('accepts a pretty-printed body signed over its minified form, and the bearer scheme in any case; refuses tampering inside a string', async () => {
    const token = await handshake();
    for (const asymmetric of [false, true]) {
      const { ref } = await pendingPurchase(15_000);
      const minified = JSON.stringify({
        originalPartnerReferenceNo: ref,
        originalReferenceNo: 'X',
        latestTransactionStatus: '03',
        transactionStatusDesc: 'In progress',
        additionalInfo: {},
      });
      const pretty = JSON.stringify(JSON.parse(minified), null, 2);
      const headers = signed(token, minified, { asymmetric });
      const ok = await http().post(NOTIFY_PATH).set(headers).send(pretty);
      expect({ asymmetric, status: ok.status, body: ok.body }).toEqual({
        asymmetric,
        status: 200,
        body: { responseCode: '2005600', responseMessage: 'Successful' },
      });
      const tampered = pretty.replace('"In progress"', '"In  progress"');
      const refused = await http()
        .post(NOTIFY_PATH)
        .set({ ...headers, 'x-external-id': `${Date.now()}1` })
        .send(tampered);
      expect(refused.status).toBe(401);
      expect((await stored(ref)).length).toBe(1);
    }
    const { ref } = await pendingPurchase(15_001);
    const body = JSON.stringify({ originalPartnerReferenceNo: ref, originalReferenceNo: 'X', latestTransactionStatus: '03' });
    for (const scheme of ['bearer', 'BEARER']) {
      const res = await http()
        .post(NOTIFY_PATH)
        .set({ ...signed(token, body), authorization: `${scheme} ${token}` })
        .send(body);
      expect(res.status).toBe(200);
    }
  });

  it('refuses a notification for another partner (X-PARTNER-ID) and stores nothing', async () => {
    const token = await handshake();
    const { ref } = await pendingPurchase(16_000);
    const body = JSON.stringify({ originalPartnerReferenceNo: ref, originalReferenceNo: 'X', latestTransactionStatus: '00' });
    for (const partner of ['BRN-0000-0000000000000', undefined]) {
      const headers: Record<string, string> = { ...signed(token, body) };
      if (partner === undefined) delete headers['x-partner-id'];
      else headers['x-partner-id'] = partner;
      const res = await http().post(NOTIFY_PATH).set(headers).send(body);
      expect({ partner, status: res.status, code: res.body.responseCode }).toEqual({ partner, status: 401, code: '4015600' });
    }
    expect(await stored(ref)).toHaveLength(0);
  });

  it('a burst is stored in a few statements, each delivery once (twice in the same statement too), and acknowledged only once committed', async () => {
    const token = await handshake();
    const purchases = await Promise.all(Array.from({ length: 4 }, (_, i) => pendingPurchase(21_000 + i)));
    const bodies = Array.from({ length: 40 }, (_, i) =>
      JSON.stringify({ originalPartnerReferenceNo: purchases[i % 4].ref, originalReferenceNo: `B${i}`, latestTransactionStatus: '03' }),
    );
    const twice = `${Date.now()}88`;
    const intakeMetrics = async () => {
      const text = (await http().get('/metrics')).text;
      const value = (name: string) => metricSample(text, name, 'statement="notification_intake"');
      return {
        statements: value('db_shared_statement_operations_count'),
        notifications: value('db_shared_statement_operations_sum'),
        waits: value('db_shared_statement_wait_seconds_count'),
      };
    };
    const metricsBefore = await intakeMetrics();
    // The table is locked while the burst arrives: the first statements wait, the rest queue behind them.
    const locker = new Client({ connectionString: env.t.databaseUrl });
    // Its own connection: inside a transaction pg_stat_activity stays as first read, and the app's
    // pool may be all taken by waiting statements.
    const watcher = new Client({ connectionString: env.t.databaseUrl });
    await locker.connect();
    await watcher.connect();
    let released = false;
    try {
      await locker.query('BEGIN');
      await locker.query('LOCK TABLE doku_notifications IN EXCLUSIVE MODE');
      const answer = (request: PromiseLike<{ status: number; body: { responseCode: string } }>) =>
        request.then((res) => ({ status: res.status, code: res.body.responseCode, at: Date.now() }));
      const intake = env.t.app.get(NotificationsRepository);
      const waitingOnLock = (n: number) =>
        until(
          async () =>
            Number(
              (
                await watcher.query<{ n: string }>(
                  `SELECT count(*) AS n FROM pg_stat_activity
                    WHERE datname = current_database() AND wait_event_type = 'Lock' AND query LIKE '%FROM doku_notifications_store(%'`,
                )
              ).rows[0].n,
            ),
          (v) => v === n,
        );
      // A lone notification goes at once, in a statement of its own; it is not a burst, so
      // processing keeps its full pace.
      const sent = [answer(http().post(NOTIFY_PATH).set(signed(token, bodies[0])).send(bodies[0]))];
      expect(await waitingOnLock(1)).toBe(1);
      expect(intake.intakeWaiting()).toBe(0);
      expect(intake.intakeBusy()).toBe(false);
      sent.push(
        ...[
          ...bodies.slice(1).map((body) => http().post(NOTIFY_PATH).set(signed(token, body)).send(body)),
          ...[0, 1].map(() =>
            http()
              .post(NOTIFY_PATH)
              .set(signed(token, bodies[0], { externalId: twice }))
              .send(bodies[0]),
          ),
        ].map(answer),
      );
      // One statement in flight at most: the others wait in memory, not in the pool.
      expect(
        await until(
          async () => intake.intakeWaiting(),
          (n) => n === 41,
          15_000,
        ),
      ).toBe(41);
      expect(await waitingOnLock(1)).toBe(1);
      // A burst: processing gives way to the acknowledgements until it is stored.
      expect(intake.intakeBusy()).toBe(true);
      const releasedAt = Date.now();
      await locker.query('COMMIT');
      released = true;
      const answers = await Promise.all(sent);
      expect(answers.map((a) => `${a.status} ${a.code}`)).toEqual(answers.map(() => '200 2005600'));
      // Nothing was acknowledged while its row could not be written.
      expect(answers.filter((a) => a.at < releasedAt)).toEqual([]);
    } finally {
      if (!released) await locker.query('ROLLBACK');
      await locker.end();
      await watcher.end();
    }
    const rows = await db().query<Array<{ received_at: Date; external_id: string }>>(
      `SELECT received_at, external_id FROM doku_notifications WHERE partner_reference_no = ANY($1)`,
      [purchases.map((p) => p.ref)],
    );
    expect(rows).toHaveLength(41);
    expect(rows.filter((r) => r.external_id === twice)).toHaveLength(1);
    // The metrics say the same: the two intake statements and the 42 deliveries, each delivery's wait
    // counted once. (At least: a notification the simulator sends meanwhile is counted too.)
    const metricsAfter = await intakeMetrics();
    const grew = {
      statements: metricsAfter.statements - metricsBefore.statements,
      notifications: metricsAfter.notifications - metricsBefore.notifications,
      waits: metricsAfter.waits - metricsBefore.waits,
    };
    expect(grew.statements).toBeGreaterThanOrEqual(2);
    expect(grew.notifications).toBeGreaterThanOrEqual(42);
    expect(grew.notifications - grew.statements).toBeGreaterThanOrEqual(40);
    expect(grew.waits).toBe(grew.notifications);
    // One statement, one transaction timestamp: the one that waited for the lock, then one for the 41 behind it.
    const statements = new Set(rows.map((r) => r.received_at.getTime())).size;
    expect(statements).toBeLessThanOrEqual(2);
    const unprocessed = await until(
      async () =>
        Number(
          (
            await db().query<Array<{ n: string }>>(
              `SELECT count(*) AS n FROM doku_notifications WHERE partner_reference_no = ANY($1) AND processed_at IS NULL`,
              [purchases.map((p) => p.ref)],
            )
          )[0].n,
        ),
      (n) => n === 0,
      15_000,
    );
    expect(unprocessed).toBe(0);
  });

  it('one delivery per X-EXTERNAL-ID: a resend is acknowledged and stored once; the same id with another body is 409 and stores nothing', async () => {
    const token = await handshake();
    const { ref } = await pendingPurchase(17_000);
    const externalId = `${Date.now()}77`;
    const body = JSON.stringify({ originalPartnerReferenceNo: ref, originalReferenceNo: 'X', latestTransactionStatus: '03' });
    for (let i = 0; i < 3; i++) {
      // A resend may be re-signed with a new timestamp: still the same delivery.
      const res = await http()
        .post(NOTIFY_PATH)
        .set(signed(token, body, { externalId }))
        .send(body);
      expect(res.status).toBe(200);
    }
    expect(await stored(ref)).toHaveLength(1);
    const other = JSON.stringify({ originalPartnerReferenceNo: ref, originalReferenceNo: 'X', latestTransactionStatus: '00' });
    const conflict = await http()
      .post(NOTIFY_PATH)
      .set(signed(token, other, { externalId }))
      .send(other);
    expect({ status: conflict.status, code: conflict.body.responseCode }).toEqual({ status: 409, code: '4095600' });
    expect(await stored(ref)).toHaveLength(1);
  });
});
