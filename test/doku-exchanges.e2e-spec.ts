import { randomInt } from 'node:crypto';
import { DataSource } from 'typeorm';
import { B2bTokenService } from '../src/auth-token/b2b-token.service';
import { CustomerTokenVault } from '../src/auth-token/customer-token-vault.service';
import { DokuExchangesRepository } from '../src/integrations/doku/snap/doku-exchanges.repository';
import { DokuClient } from '../src/integrations/doku/snap/doku.client';
import { ExchangeRecorderService } from '../src/integrations/doku/snap/exchange-recorder.service';
import type { SimulatorHandle } from '../simulator/src';
import { startSimulator } from '../simulator/src';
import { registerUser, uniquePhone } from './support/actors';
import type { TestApp } from './support/test-app';
import { startTestApp } from './support/test-app';

/** One stored row per HTTP attempt to DOKU, with no secret in it (docs/reliability.md, R8; docs/doku-integration.md#redaction). */
describe('DOKU exchange records', () => {
  let sim: SimulatorHandle;
  let t: TestApp;

  const storedRows = async (): Promise<Record<string, unknown>[]> => {
    await t.app.get(ExchangeRecorderService).flush();
    return t.app.get(DataSource).query(`SELECT * FROM doku_exchanges ORDER BY started_at, attempt`);
  };

  beforeAll(async () => {
    sim = await startSimulator({ port: 0, seed: 'exchanges', log: false });
    t = await startTestApp({ DOKU_BASE_URL: sim.url });
  });

  afterAll(async () => {
    await t?.close();
    await sim?.close();
  });

  it('stores every attempt with its identifiers, and no client secret, token, authCode or OTP', async () => {
    const client = t.app.get(DokuClient);
    const user = await registerUser(t);
    const account = sim.control.createAccount({ phoneNo: uniquePhone(), bindTo: true });
    const vault = t.app.get(CustomerTokenVault);
    await vault.storeFromAuthCode(user.id, account.authCode!);
    const customerToken = await vault.getValidToken(user.id);
    const b2bToken = await t.app.get(B2bTokenService).getToken();
    const query = await client.queryAccountBinding({
      partnerReferenceNo: 'QAB-record-1',
      additionalInfo: { accountId: account.accountId },
    });
    const encryptedAuthCode = query.body.additionalInfo?.authCode;
    expect(encryptedAuthCode).toBeTruthy();
    const otp = String(randomInt(100_000, 1_000_000));
    await expect(
      client.verifyOtp({ originalPartnerReferenceNo: 'REG-unknown-1', originalReferenceNo: '000000', otp }),
    ).rejects.toMatchObject({ code: expect.stringMatching(/^DOKU\./) });

    const rows = await storedRows();
    // The customer-token call needs no B2B token, so it may come first.
    expect(rows.map((r) => r.endpoint).sort()).toEqual(['b2b2cToken', 'b2bToken', 'queryAccountBinding', 'verifyOtp']);
    const query1 = rows.find((r) => r.endpoint === 'queryAccountBinding')!;
    expect(query1).toMatchObject({
      partner_reference: 'QAB-record-1',
      attempt: 1,
      outcome: 'SUCCESS',
      response_code: '2000800',
      http_status: 200,
    });
    expect(query1.external_id).toBe(query.externalId);
    expect(rows.filter((r) => String(r.endpoint).endsWith('Token')).every((r) => r.external_id === null)).toBe(true);
    expect(rows.find((r) => r.endpoint === 'verifyOtp')!.outcome).not.toBe('SUCCESS');

    const stored = JSON.stringify(rows);
    const secrets = {
      clientSecret: t.config.doku.clientSecret,
      privateKey: t.config.doku.privateKeyPem.split('\n')[1],
      b2bToken,
      customerToken,
      authCode: account.authCode!,
      encryptedAuthCode: encryptedAuthCode!,
      otp,
    };
    for (const [name, secret] of Object.entries(secrets)) {
      expect({ name, found: stored.includes(secret) }).toEqual({ name, found: false });
    }
  });

  it('a call retried after DOKU refused the B2B token is stored as two attempts with two external ids', async () => {
    const account = sim.control.createAccount({ phoneNo: uniquePhone(), bindTo: true });
    sim.control.revokeTokens({ kind: 'b2b' });
    const result = await t.app
      .get(DokuClient)
      .queryAccountBinding({ partnerReferenceNo: 'QAB-retry-1', additionalInfo: { accountId: account.accountId } });
    await t.app.get(ExchangeRecorderService).flush();

    const attempts = await t.app.get(DokuExchangesRepository).findByPartnerReference('QAB-retry-1');
    expect(attempts.map((r) => [r.attempt, r.outcome])).toEqual([
      [1, 'INVALID_B2B_TOKEN'],
      [2, 'SUCCESS'],
    ]);
    expect(attempts[0].externalId).not.toBe(attempts[1].externalId);
    expect(attempts[1].externalId).toBe(result.externalId);
    // Account numbers are masked in stored bodies.
    expect(JSON.stringify(attempts.map((r) => r.requestBody))).not.toContain(account.accountId);
  });

  it('stores exchanges recorded just before shutdown', async () => {
    // Same database: X-EXTERNAL-IDs come from its sequence, and the simulator remembers them per day.
    const other = await startTestApp({ DOKU_BASE_URL: sim.url }, t.databaseUrl);
    const account = sim.control.createAccount({ phoneNo: uniquePhone(), bindTo: true });
    const db = new DataSource({ type: 'postgres', url: other.databaseUrl });
    await db.initialize();
    try {
      await other.app
        .get(DokuClient)
        .queryAccountBinding({ partnerReferenceNo: 'QAB-shutdown-1', additionalInfo: { accountId: account.accountId } });
      // close() without an explicit flush: the module's shutdown hook must store the buffered rows.
      await other.app.close();
      const rows = await db.query(`SELECT endpoint FROM doku_exchanges WHERE partner_reference = 'QAB-shutdown-1'`);
      expect(rows).toEqual([{ endpoint: 'queryAccountBinding' }]);
    } finally {
      await db.destroy();
      await other.close().catch(() => undefined);
    }
  });

  it('stores a body whatever its strings hold: U+0000 removed (jsonb refuses it), backslashes and the letters u0000 kept', async () => {
    const recorder = t.app.get(ExchangeRecorderService);
    const body = { text: 'a\u0000b', backslash: 'c:\\u0000\\', quote: '"\\\u0000"', nested: [{ v: '\u0000' }] };
    await recorder.record({
      endpoint: 'queryPurchase',
      method: 'POST',
      path: '/test/nul',
      externalId: '900000000000000001',
      partnerReference: 'NUL-record-1',
      attempt: 1,
      startedAt: new Date('2026-12-04T01:02:03.456Z'),
      durationMs: 1.5,
      httpStatus: 200,
      responseCode: '2005500',
      outcome: 'SUCCESS',
      replayed: false,
      requestBody: body,
      responseBody: undefined,
    });
    await recorder.flush();
    const [row] = await t.app
      .get(DataSource)
      .query(`SELECT request_body, response_body, started_at, duration_ms FROM doku_exchanges WHERE partner_reference = 'NUL-record-1'`);
    expect(row.request_body).toEqual({ text: 'ab', backslash: 'c:\\u0000\\', quote: '"\\"', nested: [{ v: '' }] });
    expect(row.response_body).toBeNull();
    expect(new Date(row.started_at).toISOString()).toBe('2026-12-04T01:02:03.456Z');
    expect(row.duration_ms).toBe(1.5);
  });
});
