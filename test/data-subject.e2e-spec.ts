import { randomBytes, randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import type { SignedInUser } from './support/actors';
import { registerUser, serviceToken, uniquePhone } from './support/actors';
import type { TestApp } from './support/test-app';
import { startTestApp } from './support/test-app';
import { until } from './support/until';
import type { BoundWallet, WalletEnv } from './support/wallet-fixtures';
import { createBoundWallet, startWalletEnv } from './support/wallet-fixtures';

/** A user whose name, email and phone appear nowhere else in the database. */
interface Person extends SignedInUser {
  name: string;
  phone: string;
}

/** Every text, jsonb and array column of every table of ours, to search for a person's values. */
async function searchableColumns(db: DataSource): Promise<Array<{ table: string; column: string }>> {
  const rows = await db.query<Array<{ table_name: string; column_name: string }>>(
    `SELECT c.table_name, c.column_name FROM information_schema.columns c
       JOIN information_schema.tables t ON t.table_schema = c.table_schema AND t.table_name = c.table_name AND t.table_type = 'BASE TABLE'
      WHERE c.table_schema = 'public' AND c.data_type IN ('text', 'character varying', 'jsonb', 'json', 'ARRAY')
      ORDER BY 1, 2`,
  );
  return rows.map((r) => ({ table: r.table_name, column: r.column_name }));
}

/** Where in the database a value occurs (case-insensitive), as `table.column` names. */
async function whereFound(db: DataSource, value: string): Promise<string[]> {
  const found: string[] = [];
  for (const { table, column } of await searchableColumns(db)) {
    const [row] = await db.query<Array<{ n: number }>>(`SELECT count(*)::int AS n FROM "${table}" WHERE "${column}"::text ILIKE $1`, [
      `%${value.replace(/[\\%_]/g, (c) => `\\${c}`)}%`,
    ]);
    if (row.n > 0) found.push(`${table}.${column}`);
  }
  return found;
}

describe('Data-subject rights: export, erasure (e2e, simulator)', () => {
  let env: WalletEnv;
  let db: DataSource;
  let refunder: string;
  let admin: SignedInUser;
  const http = () => env.t.http();
  const auth = (u: { accessToken: string }) => ({ authorization: `Bearer ${u.accessToken}` });
  const key = () => `key-${randomUUID()}`;

  beforeAll(async () => {
    env = await startWalletEnv({ LOG_LEVEL: process.env.PRIVACY_LOG ?? 'silent' });
    db = env.t.app.get(DataSource);
    refunder = (await serviceToken(env.t, ['refunds:write'])).token;
    admin = await registerUser(env.t, 'admin');
  });
  afterAll(async () => {
    await env.close();
  });

  async function person(t: TestApp = env.t): Promise<Person> {
    // Letters only: a DOKU Wallet registration takes the profile name, which may hold no digits.
    const tag = [...randomBytes(10)].map((b) => String.fromCharCode(97 + (b % 26))).join('');
    const name = `Siti Privasi ${tag}`;
    const email = `privasi.${tag}@example.com`;
    const phone = uniquePhone();
    const password = 'correct horse battery staple';
    const reg = await t.http().post('/v1/auth/register').send({ name, email, phone, password });
    expect(reg.status).toBe(202);
    const login = await t.http().post('/v1/auth/login').send({ email, password });
    expect(login.status).toBe(200);
    const sub = (JSON.parse(Buffer.from(String(login.body.accessToken).split('.')[1], 'base64url').toString('utf8')) as { sub: string })
      .sub;
    return { id: sub, name, email, phone, password, accessToken: login.body.accessToken, refreshToken: login.body.refreshToken };
  }

  const partnerRef = async (id: string): Promise<string> =>
    (await db.query<Array<{ partner_reference_no: string }>>(`SELECT partner_reference_no FROM transactions WHERE id = $1`, [id]))[0]
      .partner_reference_no;

  /** A purchase paid on DOKU's side and read back as SUCCESS, with a description naming the buyer. */
  async function paidPurchase(u: Person, amount: number): Promise<string> {
    const created = await http()
      .post('/v1/purchases')
      .set(auth(u))
      .set('idempotency-key', key())
      .send({ amount, description: `Kado untuk ${u.name}` });
    expect(created.status).toBe(201);
    env.sim.control.pay({ partnerReferenceNo: await partnerRef(created.body.id) });
    const after = await http().get(`/v1/purchases/${created.body.id}`).set(auth(u));
    expect(after.body.status).toBe('SUCCESS');
    return created.body.id as string;
  }

  async function refund(u: Person, purchaseId: string, amount: number): Promise<string> {
    const res = await http()
      .post(`/v1/users/${u.id}/purchases/${purchaseId}/refunds`)
      .set({ authorization: `Bearer ${refunder}` })
      .set('idempotency-key', key())
      .send({ amount, reason: `Requested by ${u.name}` });
    expect(res.status).toBe(201);
    expect(res.body.status).toBe('SUCCESS');
    return res.body.id as string;
  }

  /** A user with a bound wallet, a paid purchase, a partial refund of it, and a canceled purchase. */
  async function customerWithHistory(): Promise<{ u: Person; wallet: BoundWallet; purchase: string; refundId: string; canceled: string }> {
    const u = await person();
    const wallet = await createBoundWallet(env, u, { balance: 1_000_000 });
    const purchase = await paidPurchase(u, 120_000);
    const refundId = await refund(u, purchase, 20_000);
    const pending = await http().post('/v1/purchases').set(auth(u)).set('idempotency-key', key()).send({ amount: 5_000 });
    expect(pending.status).toBe(201);
    const cancel = await http().post(`/v1/purchases/${pending.body.id}/cancel`).set(auth(u)).set('idempotency-key', key()).send({});
    expect(cancel.status).toBe(200);
    // A withdrawal to a bank account: the look-up stores the account holder's name and the sealed number.
    const inquiry = await http()
      .post('/v1/bank-transfers/inquiries')
      .set(auth(u))
      .send({ bankCode: '014', accountNumber: '8377388292', amount: 30_000 });
    expect(inquiry.status).toBe(201);
    const transfer = await http()
      .post('/v1/bank-transfers')
      .set(auth(u))
      .set('idempotency-key', key())
      .send({ inquiryId: inquiry.body.inquiryId });
    expect(transfer.status).toBe(201);
    expect(transfer.body.status).toBe('SUCCESS');
    return { u, wallet, purchase, refundId, canceled: pending.body.id as string };
  }

  const text0 = (v: unknown) => JSON.stringify(v);
  const exportOf = (u: { accessToken: string }) => http().get('/v1/me/export').set(auth(u));
  const simBindings = (accountId: string) =>
    (env.sim.control.getAccount(accountId).bindings as Array<{ status: string }>).map((b) => b.status);

  let alice: Awaited<ReturnType<typeof customerWithHistory>>;
  let bob: Awaited<ReturnType<typeof customerWithHistory>>;

  it('exports every record of the user and nothing of another, without secrets', async () => {
    alice = await customerWithHistory();
    bob = await customerWithHistory();

    const res = await exportOf(alice.u);
    expect(res.status).toBe(200);
    const body = res.body as Record<string, unknown> & {
      user: Record<string, unknown>;
      transactions: Array<{ id: string; events: Array<{ transactionId: string }> }>;
      refunds: Array<{ id: string; parentId: string; events: unknown[] }>;
      walletBindings: Array<{ id: string; status: string }>;
      consents: Array<{ bindingId: string }>;
      events: Array<{ id: string }>;
      sessions: Array<{ id: string }>;
      otpSends: unknown[];
      dokuExchanges: Array<{ partnerReference: string }>;
    };
    expect(body.user).toMatchObject({ id: alice.u.id, name: alice.u.name, email: alice.u.email, phone: alice.u.phone });
    expect(body.wallet).toMatchObject({ status: 'BOUND', dokuAccountId: alice.wallet.accountId, phone: alice.u.phone });

    // Every record of hers, by id, against the database.
    const ids = async (sql: string) => (await db.query<Array<{ id: string }>>(sql, [alice.u.id])).map((r) => r.id).sort();
    const exported = [...body.transactions, ...body.refunds].map((t) => t.id).sort();
    expect(exported).toEqual(await ids(`SELECT id FROM transactions WHERE user_id = $1`));
    expect(exported).toEqual(expect.arrayContaining([alice.purchase, alice.refundId, alice.canceled]));
    expect(body.refunds.find((r) => r.id === alice.refundId)).toMatchObject({ parentId: alice.purchase, type: 'REFUND', amount: '20000' });
    const exportedEvents = [...body.transactions, ...body.refunds].flatMap((t) => t.events as Array<{ id: string }>).map((e) => e.id);
    expect(exportedEvents.sort()).toEqual(
      await ids(`SELECT e.id FROM transaction_events e JOIN transactions t ON t.id = e.transaction_id WHERE t.user_id = $1`),
    );
    expect(body.walletBindings.map((b) => b.id).sort()).toEqual(await ids(`SELECT id FROM wallet_bindings WHERE user_id = $1`));
    expect(body.consents.map((c) => c.bindingId)).toEqual(body.walletBindings.filter((b) => b.status === 'ACTIVE').map((b) => b.id));
    expect(body.events.map((e) => e.id).sort()).toEqual(await ids(`SELECT id FROM outbox_events WHERE user_id = $1`));
    expect(body.events.every((e) => typeof (e as { seq?: unknown }).seq === 'string')).toBe(true);
    expect(body.sessions.map((s) => s.id).sort()).toEqual(await ids(`SELECT id FROM auth_sessions WHERE user_id = $1`));
    expect(body.otpSends.length).toBeGreaterThanOrEqual(1);
    expect(body.bankTransferInquiries).toEqual([
      expect.objectContaining({ beneficiaryName: 'FHILEA HERMANUS', accountNumberMasked: '******8292' }),
    ]);
    expect(text0(body)).not.toContain('8377388292');
    const purchaseRef = await partnerRef(alice.purchase);
    expect(body.dokuExchanges.some((x) => x.partnerReference === purchaseRef)).toBe(true);

    // Nothing of Bob's, in any form.
    const text = JSON.stringify(body);
    const bobRefs = (
      await db.query<Array<{ r: string }>>(`SELECT partner_reference_no AS r FROM transactions WHERE user_id = $1`, [bob.u.id])
    ).map((r) => r.r);
    for (const value of [
      bob.u.id,
      bob.u.name,
      bob.u.email,
      bob.u.phone,
      bob.purchase,
      bob.refundId,
      bob.canceled,
      bob.wallet.accountId,
      ...bobRefs,
    ]) {
      expect({ value, found: text.toLowerCase().includes(value.toLowerCase()) }).toEqual({ value, found: false });
    }

    // No secret: password hash, refresh tokens (plain or hashed), DOKU tokens, sealed data.
    const [secrets] = await db.query<Array<{ password_hash: string }>>(`SELECT password_hash FROM users WHERE id = $1`, [alice.u.id]);
    expect(text).not.toContain(secrets.password_hash);
    expect(text).not.toContain(alice.u.refreshToken);
    expect(text).not.toContain(alice.u.accessToken);
    for (const r of await db.query<Array<{ v: string }>>(
      `SELECT token_hash AS v FROM refresh_tokens r JOIN auth_sessions s ON s.id = r.session_id WHERE s.user_id = $1
       UNION ALL SELECT access_token_ciphertext FROM doku_customer_tokens WHERE user_id = $1 AND access_token_ciphertext IS NOT NULL
       UNION ALL SELECT refresh_token_ciphertext FROM doku_customer_tokens WHERE user_id = $1 AND refresh_token_ciphertext IS NOT NULL`,
      [alice.u.id],
    )) {
      expect(text).not.toContain(r.v);
    }
    expect(text).not.toMatch(/passwordHash|password_hash|tokenHash|ciphertext|accessToken"\s*:\s*"ey/i);
    expect(text).not.toMatch(/\?token=/);

    // And Bob's own export is his.
    const his = await exportOf(bob.u);
    expect(his.body.user.id).toBe(bob.u.id);
    expect(JSON.stringify(his.body)).not.toContain(alice.u.id);
  });

  it('refuses erasure with 409 PRIVACY.MONEY_UNRESOLVED while money is pending, and changes nothing', async () => {
    const u = await person();
    const wallet = await createBoundWallet(env, u, { balance: 100_000 });
    const pending = await http().post('/v1/purchases').set(auth(u)).set('idempotency-key', key()).send({ amount: 10_000 });
    expect(pending.status).toBe(201);

    const refused = await http().post('/v1/me/erasure').set(auth(u)).send({});
    expect(refused.status).toBe(409);
    expect(refused.body.error.code).toBe('PRIVACY.MONEY_UNRESOLVED');
    expect(refused.body.error.details.transactions).toEqual([
      { id: pending.body.id, type: 'PURCHASE', status: 'PENDING', attentionRequired: false },
    ]);
    // The admin route says the same.
    const byAdmin = await http().post(`/v1/admin/users/${u.id}/erasure`).set(auth(admin)).send({ ticket: 'SUP-1' });
    expect(byAdmin.status).toBe(409);
    expect(byAdmin.body.error.code).toBe('PRIVACY.MONEY_UNRESOLVED');
    // Nothing happened: still named, still bound here and at DOKU, still signed in, no erasure recorded.
    expect((await db.query(`SELECT name FROM users WHERE id = $1`, [u.id]))[0].name).toBe(u.name);
    expect(simBindings(wallet.accountId)).toEqual(['ACTIVE']);
    expect((await http().get('/v1/me').set(auth(u))).status).toBe(200);
    expect(await db.query(`SELECT 1 FROM data_subject_erasures WHERE user_id = $1`, [u.id])).toEqual([]);

    // A purchase waiting for the back office is unresolved too, even once it has a final-looking state.
    const cancel = await http().post(`/v1/purchases/${pending.body.id}/cancel`).set(auth(u)).set('idempotency-key', key()).send({});
    expect(cancel.status).toBe(200);
    await db.query(`UPDATE transactions SET attention_required_at = now() WHERE id = $1`, [pending.body.id]);
    const waiting = await http().post('/v1/me/erasure').set(auth(u)).send({});
    expect(waiting.status).toBe(409);
    expect(waiting.body.error.details.transactions[0]).toMatchObject({ id: pending.body.id, attentionRequired: true });
  });

  it('erases: unbinds at DOKU first, removes every personal field everywhere, keeps the ledger intact, and ends sign-in', async () => {
    const { u, wallet } = alice;
    const ledger = () =>
      db.query(`SELECT type, status, count(*)::int AS n, sum(amount)::text AS amount, sum(refunded_amount)::text AS refunded
                  FROM transactions GROUP BY type, status ORDER BY type, status`);
    const herMoney = () =>
      db.query(
        `SELECT id, type, status, amount::text, refunded_amount::text, partner_reference_no, doku_reference_no, parent_id, payment_method,
                created_at, finalized_at FROM transactions WHERE user_id = $1 ORDER BY id`,
        [u.id],
      );
    const herEvents = () =>
      db.query(
        `SELECT e.id, e.from_status, e.to_status, e.cause, e.created_at FROM transaction_events e
           JOIN transactions t ON t.id = e.transaction_id WHERE t.user_id = $1 ORDER BY e.id`,
        [u.id],
      );
    const before = { ledger: await ledger(), money: await herMoney(), events: await herEvents() };
    expect(await whereFound(db, u.name)).not.toEqual([]);

    // Step 1: the binding is ended through the app's unbinding; DOKU asks for an OTP.
    const first = await http().post('/v1/me/erasure').set(auth(u)).send({});
    expect(first.status).toBe(202);
    expect(first.body).toMatchObject({ status: 'AWAITING_UNBINDING_OTP', completedAt: null });
    const otp = env.sim.control.lastOtp(wallet.phone);
    expect(otp).toMatchObject({ purpose: 'ACCOUNT_UNBINDING' });
    expect(simBindings(wallet.accountId)).toEqual(['ACTIVE']);

    // Step 2: with the OTP, DOKU unbinds, then everything personal goes.
    const done = await http().post('/v1/me/erasure').set(auth(u)).send({ otp: otp.otp });
    expect(done.status).toBe(200);
    expect(done.body).toMatchObject({ status: 'ERASED', erasureId: first.body.erasureId, completedAt: expect.any(String) });
    expect(simBindings(wallet.accountId)).toEqual(['UNBOUND']);

    // No personal field of hers remains anywhere in the database.
    for (const value of [u.name, u.email, u.phone]) {
      expect({ value, foundIn: await whereFound(db, value) }).toEqual({ value, foundIn: [] });
    }
    // Bob's are untouched.
    expect(await whereFound(db, bob.u.name)).toEqual(expect.arrayContaining(['users.name']));
    expect((await exportOf(bob.u)).body.user.email).toBe(bob.u.email);

    // The money records stay intact and the ledger balances as before.
    expect(await ledger()).toEqual(before.ledger);
    expect(await herMoney()).toEqual(before.money);
    expect(await herEvents()).toEqual(before.events);
    expect(await db.query(`SELECT description FROM transactions WHERE user_id = $1 AND description IS NOT NULL`, [u.id])).toEqual([]);
    // The bank account holder's name and the sealed account number are gone from her records; the transfer stays.
    expect(
      await db.query(`SELECT beneficiary_name, account_number_sealed FROM bank_transfer_inquiries WHERE user_id = $1`, [u.id]),
    ).toEqual([{ beneficiary_name: '[erased]', account_number_sealed: '[erased]' }]);
    const herText = await db.query<Array<{ t: string }>>(
      `SELECT details::text AS t FROM transactions WHERE user_id = $1
       UNION ALL SELECT coalesce(response_body::text, '') FROM idempotency_keys WHERE scope = 'user:' || $1::text
       UNION ALL SELECT payload::text FROM outbox_events WHERE user_id = $1::uuid`,
      [u.id],
    );
    expect(herText.length).toBeGreaterThan(0);
    expect(herText.filter((r) => /FHILEA|HERMANUS/i.test(r.t))).toEqual([]);
    // The account holder is not her: Bob's withdrawal to the same account keeps its holder's name.
    expect(await db.query(`SELECT beneficiary_name FROM bank_transfer_inquiries WHERE user_id = $1`, [bob.u.id])).toEqual([
      { beneficiary_name: 'FHILEA HERMANUS' },
    ]);

    // She can no longer sign in, refresh, or use the token she had.
    expect((await http().get('/v1/me').set(auth(u))).status).toBe(401);
    const signIn = await http().post('/v1/auth/login').send({ email: u.email, password: u.password });
    expect(signIn.status).toBe(401);
    expect(signIn.body.error.code).toBe('AUTH.INVALID_CREDENTIALS');
    expect((await http().post('/v1/auth/refresh').send({ refreshToken: u.refreshToken })).status).toBe(401);
    // Nor can the partner's services charge her closed account, by any payment method: nothing is written.
    const orders = (await serviceToken(env.t, ['purchases:write'])).token;
    const moneyBefore = await herMoney();
    for (const method of [{ paymentMethod: 'DANA', deviceId: 'kiosk42' }, { paymentMethod: 'DOKU_WALLET' }]) {
      const charged = await http()
        .post(`/v1/users/${u.id}/purchases`)
        .set(auth({ accessToken: orders }))
        .set('idempotency-key', `erased-${method.paymentMethod}-${u.id}`)
        .send({ amount: 5_000, merchantOrderRef: `ORD-ERASED-${method.paymentMethod}`, ...method });
      expect({ method: method.paymentMethod, status: charged.status, code: charged.body.error?.code }).toMatchObject({
        method: method.paymentMethod,
        status: method.paymentMethod === 'DANA' ? 404 : 409,
        code: method.paymentMethod === 'DANA' ? 'USER.NOT_FOUND' : expect.stringMatching(/^WALLET\./),
      });
    }
    expect(await herMoney()).toEqual(moneyBefore);

    // The erasure is recorded: who asked, when, what was done; and it cannot be repeated.
    const [record] = await db.query(`SELECT * FROM data_subject_erasures WHERE user_id = $1`, [u.id]);
    expect(record).toMatchObject({ requested_by_kind: 'user', requested_by: u.id, status: 'COMPLETED', ticket: null });
    expect(record.summary).toMatchObject({
      users: 1,
      wallet_registrations: expect.any(Number),
      transactions_description: 3,
      bank_transfer_inquiries: 1,
    });
    const [told] = await db.query(`SELECT payload FROM outbox_events WHERE type = 'user.erased' AND user_id = $1`, [u.id]);
    expect(told.payload).toEqual({ userId: u.id, erasureId: record.id, requestedBy: 'user', completedAt: expect.any(String) });
    const again = await http().post(`/v1/admin/users/${u.id}/erasure`).set(auth(admin)).send({ ticket: 'SUP-2' });
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe('PRIVACY.ALREADY_ERASED');
  });

  it('erases nothing when DOKU cannot unbind, and goes through once it can', async () => {
    const u = await person();
    const wallet = await createBoundWallet(env, u, { balance: 10_000 });
    env.sim.control.setFaults([{ endpoint: 'accountUnbinding', type: 'error_before', status: 503, times: 1 }]);
    try {
      const failed = await http().post('/v1/me/erasure').set(auth(u)).send({});
      expect(failed.status).toBe(503);
      expect(failed.body.error.code).toMatch(/^DOKU\./);
    } finally {
      env.sim.control.setFaults([]);
    }
    expect(simBindings(wallet.accountId)).toEqual(['ACTIVE']);
    expect((await db.query(`SELECT name FROM users WHERE id = $1`, [u.id]))[0].name).toBe(u.name);
    expect((await http().get('/v1/me').set(auth(u))).status).toBe(200);
    expect(await db.query(`SELECT 1 FROM data_subject_erasures WHERE user_id = $1 AND status = 'COMPLETED'`, [u.id])).toEqual([]);

    const asked = await http().post('/v1/me/erasure').set(auth(u)).send({});
    expect(asked.status).toBe(202);
    // A wrong OTP is DOKU's refusal: still nothing erased.
    const otp = env.sim.control.lastOtp(wallet.phone).otp;
    const wrong = await http()
      .post('/v1/me/erasure')
      .set(auth(u))
      .send({ otp: otp === '000000' ? '111111' : '000000' });
    expect(wrong.status).toBe(422);
    expect(wrong.body.error.code).toBe('OTP.INVALID');
    expect((await db.query(`SELECT name FROM users WHERE id = $1`, [u.id]))[0].name).toBe(u.name);
    const done = await http().post('/v1/me/erasure').set(auth(u)).send({ otp });
    expect(done.status).toBe(200);
    expect(simBindings(wallet.accountId)).toEqual(['UNBOUND']);
    for (const value of [u.name, u.email, u.phone]) expect(await whereFound(db, value)).toEqual([]);
  });

  it('lets an admin erase on a support ticket, for admins only, with the ticket recorded', async () => {
    const u = await person();
    const support = await registerUser(env.t, 'support');
    expect((await http().post(`/v1/admin/users/${u.id}/erasure`).set(auth(support)).send({ ticket: 'SUP-3' })).status).toBe(403);
    expect((await http().post(`/v1/admin/users/${u.id}/erasure`).set(auth(u)).send({ ticket: 'SUP-3' })).status).toBe(403);
    const badTicket = await http().post(`/v1/admin/users/${u.id}/erasure`).set(auth(admin)).send({ ticket: 'call Siti on 0812' });
    expect(badTicket.status).toBe(400);
    expect(badTicket.body.error.code).toBe('REQUEST.VALIDATION_FAILED');
    const unknown = await http().post(`/v1/admin/users/${randomUUID()}/erasure`).set(auth(admin)).send({ ticket: 'SUP-3' });
    expect(unknown.status).toBe(404);

    // She started creating a DOKU Wallet: the registration, and the request sent to DOKU, hold her name, email and phone.
    const registration = await http().post('/v1/wallet/registrations').set(auth(u)).send({});
    expect(registration.status).toBe(201);
    // DOKU exchange records are written in the background: wait for this one.
    const stored = await until(
      () => whereFound(db, u.name),
      (where) => where.includes('doku_exchanges.request_body'),
    );
    expect(stored).toEqual(expect.arrayContaining(['users.name', 'wallet_registrations.name', 'doku_exchanges.request_body']));

    const done = await http().post(`/v1/admin/users/${u.id}/erasure`).set(auth(admin)).send({ ticket: 'SUP-2026-00417' });
    expect(done.status).toBe(200);
    expect(done.body.status).toBe('ERASED');
    const [record] = await db.query(
      `SELECT requested_by_kind, requested_by, ticket, status FROM data_subject_erasures WHERE user_id = $1`,
      [u.id],
    );
    expect(record).toEqual({ requested_by_kind: 'admin', requested_by: admin.id, ticket: 'SUP-2026-00417', status: 'COMPLETED' });
    // The erasure is in the back office's audit trail, in the erasure's own transaction.
    const audited = await http().get(`/v1/admin/audit?action=privacy.erasure&targetId=${u.id}`).set(auth(admin));
    expect(audited.status).toBe(200);
    expect(audited.body.total).toBe(1);
    expect(audited.body.items[0]).toMatchObject({
      action: 'privacy.erasure',
      actor: { kind: 'user', id: admin.id, role: 'admin' },
      targetType: 'user',
      targetId: u.id,
      after: { requestedBy: 'admin', ticket: 'SUP-2026-00417' },
    });
    for (const value of [u.name, u.email, u.phone]) expect(await whereFound(db, value)).toEqual([]);
    expect((await http().post('/v1/auth/login').send({ email: u.email, password: u.password })).status).toBe(401);
  });

  it('is for signed-in users: no token 401, a service token 403', async () => {
    expect((await http().get('/v1/me/export')).status).toBe(401);
    expect((await http().post('/v1/me/erasure').send({})).status).toBe(401);
    const service = await serviceToken(env.t, ['wallets:read']);
    expect(
      (
        await http()
          .get('/v1/me/export')
          .set({ authorization: `Bearer ${service.token}` })
      ).status,
    ).toBe(403);
  });
});

describe('Data export rate limit (e2e)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ RATE_LIMIT_SENSITIVE_PER_MINUTE: '3' });
  });
  afterAll(async () => {
    await t.close();
  });

  it('answers 429 with Retry-After past the sensitive per-minute limit', async () => {
    const u = await registerUser(t);
    for (let i = 0; i < 3; i++)
      expect(
        (
          await t
            .http()
            .get('/v1/me/export')
            .set({ authorization: `Bearer ${u.accessToken}` })
        ).status,
      ).toBe(200);
    const limited = await t
      .http()
      .get('/v1/me/export')
      .set({ authorization: `Bearer ${u.accessToken}` });
    expect(limited.status).toBe(429);
    expect(limited.body.error.code).toBe('REQUEST.RATE_LIMITED');
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
  });
});
