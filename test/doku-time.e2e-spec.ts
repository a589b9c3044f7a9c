import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { DokuClock } from '../src/integrations/doku/snap/doku-clock';
import type { SignedInUser } from './support/actors';
import { registerUser, serviceToken } from './support/actors';
import type { WalletEnv } from './support/wallet-fixtures';
import { createBoundWallet, startWalletEnv } from './support/wallet-fixtures';
import { until } from './support/until';

const HOUR_MS = 3_600_000;
const JAKARTA_OFFSET_MS = 7 * HOUR_MS;

/** `YYYY-MM-DD` of the Asia/Jakarta day (UTC+7, no daylight saving). */
const jakartaDay = (epochMs: number) => new Date(epochMs + JAKARTA_OFFSET_MS).toISOString().slice(0, 10);

/**
 * Rules that depend on time passing at DOKU: a purchase paid on an earlier Jakarta day is no longer
 * cancelable (docs/doku-integration.md#cancel), and a registration OTP expires after its lifetime (simulator 300 s).
 *
 * Time moves on BOTH sides by the same amount: the simulator's clock through its control API, and
 * ours through the injectable DokuClock (X-TIMESTAMP, X-EXTERNAL-ID day, token expiry, validUpTo).
 * Moving only the simulator would make it refuse our X-TIMESTAMP (401xx00 outside the skew).
 * Each test leaves the clocks moved, so this file has its own simulator and app.
 */
describe('Time passing at DOKU (e2e, simulator, both clocks advanced)', () => {
  let env: WalletEnv;
  let offsetMs = 0;
  const key = () => `key-${randomUUID()}`;
  const auth = (token: string) => ({ authorization: `Bearer ${token}` });
  const http = () => env.t.http();
  const db = () => env.t.app.get(DataSource);

  beforeAll(async () => {
    env = await startWalletEnv();
    jest.spyOn(env.t.app.get(DokuClock), 'now').mockImplementation(() => new Date(Date.now() + offsetMs));
  });
  afterAll(async () => {
    jest.restoreAllMocks();
    await env?.close();
  });

  /** Moves DOKU's clock and ours together. */
  function advanceBothClocks(ms: number): void {
    offsetMs += ms;
    const sim = env.sim.control.advanceClock(ms);
    expect(Math.abs(sim.offsetMs - offsetMs)).toBe(0);
  }

  const partnerRef = async (id: string): Promise<string> =>
    (await db().query<Array<{ partner_reference_no: string }>>(`SELECT partner_reference_no FROM transactions WHERE id = $1`, [id]))[0]
      .partner_reference_no;
  const buy = (user: SignedInUser, amount: number) =>
    http().post('/v1/purchases').set(auth(user.accessToken)).set('idempotency-key', key()).send({ amount });
  const cancel = (user: SignedInUser, id: string) =>
    http().post(`/v1/purchases/${id}/cancel`).set(auth(user.accessToken)).set('idempotency-key', key()).send({ reason: 'Changed my mind' });

  async function paidPurchase(user: SignedInUser, amount: number): Promise<string> {
    const created = await buy(user, amount);
    expect({ status: created.status, error: created.body.error }).toEqual({ status: 201, error: undefined });
    env.sim.control.pay({ partnerReferenceNo: await partnerRef(created.body.id) });
    expect((await http().get(`/v1/purchases/${created.body.id}`).set(auth(user.accessToken))).body.status).toBe('SUCCESS');
    return created.body.id as string;
  }

  it('a purchase paid on an earlier Jakarta day: DOKU answers 4055701, we answer PURCHASE.NOT_CANCELABLE (409) and nothing moves; a refund still works', async () => {
    const user = await registerUser(env.t);
    const wallet = await createBoundWallet(env, user, { balance: 300_000 });
    const refunder = (await serviceToken(env.t, ['refunds:write'])).token;
    const id = await paidPurchase(user, 80_000);
    const paidDay = jakartaDay(env.sim.control.clock().epochMs);

    // To one hour past the next Jakarta midnight, on both clocks.
    const simNow = env.sim.control.clock().epochMs;
    const nextMidnight = Date.parse(`${jakartaDay(simNow + 24 * HOUR_MS)}T00:00:00+07:00`);
    advanceBothClocks(nextMidnight - simNow + HOUR_MS);
    expect(jakartaDay(env.sim.control.clock().epochMs)).not.toBe(paidDay);
    expect(jakartaDay(env.t.app.get(DokuClock).now().getTime())).toBe(jakartaDay(env.sim.control.clock().epochMs));

    const refused = await cancel(user, id);
    expect(refused.status).toBe(409);
    expect(refused.body.error).toMatchObject({
      code: 'PURCHASE.NOT_CANCELABLE',
      details: { responseCode: '4055701', purchaseStatus: 'SUCCESS' },
    });
    // DOKU really was asked (our timestamps accepted) and said no; the exchange log is written
    // asynchronously, hence the wait.
    const exchanges = await until(
      async () =>
        await db().query<Array<{ response_code: string }>>(
          `SELECT response_code FROM doku_exchanges WHERE endpoint = 'cancelPurchase' ORDER BY created_at`,
        ),
      (rows) => rows.length > 0,
    );
    expect(exchanges.map((e) => e.response_code)).toEqual(['4055701']);

    // Nothing changed: the purchase stays SUCCESS, the cancel record is FAILED, no money moved back.
    const after = await http().get(`/v1/purchases/${id}`).set(auth(user.accessToken));
    expect(after.body).toMatchObject({ status: 'SUCCESS', refundedAmount: 0 });
    const rows = await db().query<
      Array<{
        status: string;
        failure_code: string;
      }>
    >(`SELECT status, failure_code FROM transactions WHERE parent_id = $1 AND type = 'CANCEL'`, [id]);
    expect(rows).toEqual([{ status: 'FAILED', failure_code: 'PURCHASE.NOT_CANCELABLE' }]);
    expect(env.sim.control.transactions({ accountId: wallet.accountId, type: 'PURCHASE' })[0].status).toBe('00');
    expect(env.sim.control.ledger({ accountId: wallet.accountId }).creditCount).toBe(0);

    // As DOKU says: refund it instead.
    const refund = await http()
      .post(`/v1/users/${user.id}/purchases/${id}/refunds`)
      .set(auth(refunder))
      .set('idempotency-key', key())
      .send({ amount: 80_000, reason: 'Canceled too late' });
    expect(refund.status).toBe(201);
    expect(refund.body).toMatchObject({ status: 'SUCCESS', purchaseRefundedAmount: 80_000 });
    expect(env.sim.control.getAccount(wallet.accountId).balance).toBe('300000.00');

    // On this later day, a new purchase works end to end and is cancelable the same day.
    const today = await paidPurchase(user, 20_000);
    const sameDay = await cancel(user, today);
    expect(sameDay.status).toBe(200);
    expect(sameDay.body).toMatchObject({ status: 'SUCCESS', purchaseStatus: 'CANCELED' });
    expect(env.sim.control.getAccount(wallet.accountId).balance).toBe('300000.00');
  });

  it('an expired registration OTP: OTP.EXPIRED (422) and nothing changes; a resend then works', async () => {
    const user = await registerUser(env.t);
    const phone = (await db().query<Array<{ phone: string }>>(`SELECT phone FROM users WHERE id = $1`, [user.id]))[0].phone;
    const started = await http().post('/v1/wallet/registrations').set(auth(user.accessToken)).send({});
    expect(started.status).toBe(201);
    const regId = started.body.id as string;
    const sent = env.sim.control.lastOtp(phone);
    const registrationRow = async () =>
      (
        await db().query<Array<Record<string, unknown>>>(
          `SELECT status, partner_reference_no, doku_reference_no, otp_failed_attempts, otp_resends, doku_account_id FROM wallet_registrations WHERE id = $1`,
          [regId],
        )
      )[0];
    const before = await registrationRow();
    const dokuAccounts = env.sim.state.accounts.size;

    // Past the simulator's 300 s OTP lifetime, on both clocks.
    expect(Date.parse(sent.expiresAt) - env.sim.control.clock().epochMs).toBeLessThanOrEqual(300_000);
    advanceBothClocks(301_000);

    const expired = await http().post(`/v1/wallet/registrations/${regId}/otp`).set(auth(user.accessToken)).send({ otp: sent.otp });
    expect(expired.status).toBe(422);
    expect(expired.body.error).toMatchObject({ code: 'OTP.EXPIRED', details: { responseCode: '4030412' } });
    expect(JSON.stringify(expired.body)).not.toContain(sent.otp);

    // Nothing changed: the same registration waits for an OTP, the wallet is still being registered,
    // no attempt was counted, and DOKU created no account.
    expect(await registrationRow()).toEqual(before);
    expect((await http().get('/v1/wallet').set(auth(user.accessToken))).body).toMatchObject({ status: 'REGISTERING', accountId: null });
    expect(env.sim.state.accounts.size).toBe(dokuAccounts);

    // A resend (our own 60 s resend interval runs on the database clock, which the test cannot move:
    // the last send is dated back instead) sends a fresh OTP, and that one verifies.
    await db().query(`UPDATE wallet_registrations SET last_otp_sent_at = last_otp_sent_at - interval '61 seconds' WHERE id = $1`, [regId]);
    const resent = await http().post(`/v1/wallet/registrations/${regId}/otp/resend`).set(auth(user.accessToken)).send();
    expect(resent.status).toBe(200);
    expect(resent.body).toMatchObject({ id: regId, status: 'OTP_SENT', otpAttemptsLeft: 3 });
    const fresh = env.sim.control.lastOtp(phone);
    expect(fresh.partnerReferenceNo).not.toBe(sent.partnerReferenceNo);
    expect(fresh.partnerReferenceNo).toBe((await registrationRow()).partner_reference_no);

    const ok = await http().post(`/v1/wallet/registrations/${regId}/otp`).set(auth(user.accessToken)).send({ otp: fresh.otp });
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({ registrationId: regId, status: 'OTP_VERIFIED', pinPageUrl: expect.stringContaining(env.sim.url) });
  });
});
