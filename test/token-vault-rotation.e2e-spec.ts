import { randomBytes, randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { CustomerTokenReencryptionService } from '../src/auth-token/customer-token-reencryption.service';
import { customerTokenContext } from '../src/auth-token/customer-token-vault.service';
import { inquirySealContext } from '../src/bank-transfer/bank-transfer.service';
import { CustomerTokensRepository } from '../src/auth-token/customer-tokens.repository';
import { runCli } from '../src/cli/cli';
import { SecretBox, secretBoxKeyId } from '../src/common/crypto/secret-box';
import { DEV_DOKU_CREDENTIALS } from '../src/config/dev-credentials';
import { registerUser } from './support/actors';
import type { SignedInUser } from './support/actors';
import type { TestApp } from './support/test-app';
import { startTestApp } from './support/test-app';
import { until } from './support/until';
import type { WalletEnv } from './support/wallet-fixtures';
import { createBoundWallet, startWalletEnv } from './support/wallet-fixtures';

interface StoredTokens {
  user_id: string;
  access_token_ciphertext: string | null;
  refresh_token_ciphertext: string | null;
}

/** The customer-token vault's encryption key rotates, the stored tokens re-encrypted in the background (docs/operations.md#rotating-keys). */
describe('Token vault key rotation with background re-encryption (e2e, simulator)', () => {
  const OLD = DEV_DOKU_CREDENTIALS.tokenEncryptionKey;
  const NEW = randomBytes(32).toString('base64');
  let env: WalletEnv;
  const apps: TestApp[] = [];
  const userIds: string[] = [];
  let webhook: { id: string; secret: string };
  /** A bank-transfer inquiry seen but not yet confirmed: its account number is sealed with the same key. */
  let pending: { user: SignedInUser; inquiryId: string };
  const ACCOUNT_NUMBER = '1122334455';
  const plaintext = new Map<string, { access: string | null; refresh: string | null }>();
  const instance = async (keys: string, extra: Record<string, string> = {}) => {
    const t = await startTestApp({ DOKU_BASE_URL: env.sim.url, DOKU_TOKEN_ENCRYPTION_KEY: keys, ...extra }, env.t.databaseUrl);
    apps.push(t);
    return t;
  };
  const storedInquiry = async (t: TestApp) =>
    (
      await t.app
        .get(DataSource)
        .query<Array<{ user_id: string; partner_reference_no: string; account_number_sealed: string; transaction_id: string | null }>>(
          `SELECT user_id, partner_reference_no, account_number_sealed, transaction_id FROM bank_transfer_inquiries WHERE id = $1`,
          [pending.inquiryId],
        )
    )[0];
  const stored = async (t: TestApp) =>
    t.app
      .get(DataSource)
      .query<StoredTokens[]>(
        `SELECT user_id, access_token_ciphertext, refresh_token_ciphertext FROM doku_customer_tokens WHERE user_id = ANY($1)`,
        [userIds],
      );
  /** Every stored token of the test's users opened with this instance's keys, straight from the database. */
  const readAll = async (t: TestApp) => {
    const box = t.app.get(SecretBox);
    return (await stored(t)).map((row) => ({
      userId: row.user_id,
      access: row.access_token_ciphertext && box.open(row.access_token_ciphertext, customerTokenContext(row.user_id, 'access')),
      refresh: row.refresh_token_ciphertext && box.open(row.refresh_token_ciphertext, customerTokenContext(row.user_id, 'refresh')),
    }));
  };

  beforeAll(async () => {
    env = await startWalletEnv({ WEBHOOK_ALLOW_INSECURE_TARGETS: '127.0.0.1:9' });
    for (let i = 0; i < 4; i++) {
      const user = await registerUser(env.t);
      await createBoundWallet(env, user);
      userIds.push(user.id);
      if (i === 0) pending = { user, inquiryId: '' };
    }
    const inquiry = await env.t
      .http()
      .post('/v1/bank-transfers/inquiries')
      .set('authorization', `Bearer ${pending.user.accessToken}`)
      .send({ bankCode: '008', accountNumber: ACCOUNT_NUMBER, amount: 25_000 });
    expect(inquiry.status).toBe(201);
    pending.inquiryId = inquiry.body.inquiryId as string;
    for (const row of await readAll(env.t)) plaintext.set(row.userId, { access: row.access, refresh: row.refresh });
    // A webhook subscription: its secret is sealed with the same key, and follows it.
    const admin = await registerUser(env.t, 'admin');
    const hook = await env.t
      .http()
      .post('/v1/admin/webhooks')
      .set('authorization', `Bearer ${admin.accessToken}`)
      .send({ url: 'http://127.0.0.1:9/hook', description: 'key rotation' });
    expect(hook.status).toBe(201);
    webhook = hook.body as { id: string; secret: string };
  });
  afterAll(async () => {
    for (const t of apps) await t.close();
    await env.close();
  });

  it('each stored token names its key; after the switch a background job re-encrypts them while reads go on; the old key then retires', async () => {
    const rows = await stored(env.t);
    expect(rows).toHaveLength(4);
    expect(plaintext.size).toBe(4);
    for (const row of rows) expect(row.access_token_ciphertext).toMatch(new RegExp(`^v2\\.${secretBoxKeyId(OLD)}\\.`));
    expect((await storedInquiry(env.t)).account_number_sealed).toMatch(new RegExp(`^v2\\.${secretBoxKeyId(OLD)}\\.`));

    // 1. An instance that knows the new key but still seals with the old one; 2. one that seals
    // with the new key and re-encrypts in the background every 20 ms.
    const added = await instance(`${OLD},${NEW}`);
    let reads = 0;
    const failures: string[] = [];
    let stop = false;
    const reader = async (t: TestApp) => {
      while (!stop) {
        try {
          for (const row of await readAll(t)) {
            reads++;
            const expected = plaintext.get(row.userId)!;
            if (row.access !== expected.access || row.refresh !== expected.refresh) failures.push(`${row.userId}: another token`);
          }
        } catch (e) {
          failures.push((e as Error).message);
        }
      }
    };
    const switched = await instance(`${NEW},${OLD}`, {
      DOKU_TOKEN_REENCRYPTION_INTERVAL_MS: '20',
      WEBHOOKS_ENABLED: 'true',
      WEBHOOKS_INTERVAL_MS: '50',
    });
    const readers = Promise.all([reader(added), reader(switched)]);
    const done = await until(
      () => stored(switched),
      (r) =>
        r.every((row) =>
          [row.access_token_ciphertext, row.refresh_token_ciphertext].every(
            (c) => c === null || c.startsWith(`v2.${secretBoxKeyId(NEW)}.`),
          ),
        ),
      10_000,
    );
    stop = true;
    await readers;
    expect(failures).toEqual([]);
    expect(reads).toBeGreaterThan(8);
    expect(done.every((row) => row.access_token_ciphertext?.startsWith(`v2.${secretBoxKeyId(NEW)}.`))).toBe(true);

    // The pending transfer inquiry's account number too, by the same job.
    const inquiry = await until(
      () => storedInquiry(switched),
      (row) => row.account_number_sealed.startsWith(`v2.${secretBoxKeyId(NEW)}.`),
      10_000,
    );
    expect(inquiry.account_number_sealed.startsWith(`v2.${secretBoxKeyId(NEW)}.`)).toBe(true);
    expect(inquiry.transaction_id).toBeNull();

    // The webhook secret too, by the webhook worker.
    const [sub] = await until(
      () =>
        switched.app
          .get(DataSource)
          .query<Array<{ secret_ciphertext: string }>>(`SELECT secret_ciphertext FROM webhook_subscriptions WHERE id = $1`, [webhook.id]),
      (r) => r[0]?.secret_ciphertext.startsWith(`v2.${secretBoxKeyId(NEW)}.`),
      10_000,
    );
    expect(sub.secret_ciphertext.startsWith(`v2.${secretBoxKeyId(NEW)}.`)).toBe(true);

    // 3. Retired: an instance with the new key only reads every token, the same tokens as before.
    const retired = await instance(NEW);
    expect(new SecretBox(NEW).open(sub.secret_ciphertext, `webhook_subscriptions|${webhook.id}|secret`)).toBe(webhook.secret);
    const after = await readAll(retired);
    expect(Object.fromEntries(after.map((r) => [r.userId, { access: r.access, refresh: r.refresh }]))).toEqual(
      Object.fromEntries(plaintext),
    );
    // The inquiry reads with the new key alone, and is confirmed there: DOKU is sent the account number the user gave.
    expect(new SecretBox(NEW).open(inquiry.account_number_sealed, inquirySealContext(inquiry.user_id, inquiry.partner_reference_no))).toBe(
      ACCOUNT_NUMBER,
    );
    const transfer = await retired
      .http()
      .post('/v1/bank-transfers')
      .set('authorization', `Bearer ${pending.user.accessToken}`)
      .set('idempotency-key', `bt-${randomUUID()}`)
      .send({ inquiryId: pending.inquiryId });
    expect(transfer.status).toBe(201);
    expect(transfer.body).toMatchObject({ status: 'SUCCESS', amount: 25_000, accountNumber: '******4455' });
    expect(env.sim.control.transactions({ partnerReferenceNo: transfer.body.partnerReferenceNo as string })).toMatchObject([
      { type: 'TRANSFER', status: '00', detail: { bankCode: '008', beneficiaryAccountNumber: ACCOUNT_NUMBER } },
    ]);
    // The background job has nothing left; the status command says so.
    expect(await retired.app.get(CustomerTokenReencryptionService).runOnce()).toBe(0);
    const status = (await runCli(['keys:vault-status'], {
      NODE_ENV: 'test',
      DATABASE_URL: env.t.databaseUrl,
      DOKU_TOKEN_ENCRYPTION_KEY: NEW,
    })) as {
      encryptsWith: string;
      tokensByKey: Record<string, number>;
      transferInquiriesByKey: Record<string, number>;
    };
    expect(status.encryptsWith).toBe(secretBoxKeyId(NEW));
    expect(Object.keys(status.tokensByKey)).toEqual([secretBoxKeyId(NEW)]);
    expect(status.transferInquiriesByKey).toEqual({ [secretBoxKeyId(NEW)]: 1 });
    expect(await retired.app.get(CustomerTokensRepository).countByKey()).toEqual([
      { key: secretBoxKeyId(NEW), tokens: expect.any(Number) },
    ]);
  });
});
