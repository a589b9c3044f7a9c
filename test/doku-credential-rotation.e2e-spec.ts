import { createHash, createHmac, createSign, randomInt, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import { DEV_DOKU_CREDENTIALS } from '../src/config/dev-credentials';
import { DokuClient } from '../src/integrations/doku/snap/doku.client';
import { jakartaTimestamp } from '../src/integrations/doku/snap/doku-signature';
import type { SimulatorHandle } from '../simulator/src';
import { startSimulator } from '../simulator/src';
import type { TestApp } from './support/test-app';
import { startTestApp } from './support/test-app';
import { publicOf, rsaPair } from './support/rsa-keys';

const NOTIFY_PATH = '/v1.0/debit/notify';
const TOKEN_PATH = '/authorization/v1/access-token/b2b';
const dev = DEV_DOKU_CREDENTIALS;
const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');
const rsa = (privatePem: string, text: string) => createSign('RSA-SHA256').update(text, 'utf8').sign(privatePem, 'base64');

/**
 * DOKU's credentials rotate with an overlap (docs/operations.md#rotating-keys): our RSA key (DOKU
 * holds both public keys for a while), the client secret (old and new both valid), and DOKU's own
 * key (our notification intake verifies with either).
 */
describe('DOKU credentials rotated with an overlap (e2e, simulator)', () => {
  const ours = { old: { privatePem: dev.partnerPrivateKeyPem, publicPem: publicOf(dev.partnerPrivateKeyPem) }, next: rsaPair() };
  const secrets = { old: dev.clientSecret, next: `SK-rotated-${randomUUID()}` };
  const apps: TestApp[] = [];
  const sims: SimulatorHandle[] = [];
  const sim = async (partner: { publicPems: string[]; clientSecret: string; previousClientSecrets?: string[] }) => {
    const started = await startSimulator({
      port: 0,
      log: false,
      partners: [
        {
          clientId: dev.clientId,
          clientSecret: partner.clientSecret,
          previousClientSecrets: partner.previousClientSecrets,
          partnerPublicKeyPem: partner.publicPems.join(''),
          authCodeKey: dev.authCodeKey,
        },
      ],
    });
    sims.push(started);
    return started;
  };
  /** A backend on the partner's one database (one sequence of X-EXTERNAL-IDs, as in production). */
  const app = async (env: Record<string, string>) => {
    const started = await startTestApp(env, apps[0]?.databaseUrl);
    apps.push(started);
    return started;
  };
  /** A real B2B call (a fresh token request, then a signed transactional request) through one backend. */
  const queryBinding = async (t: TestApp, s: SimulatorHandle) => {
    await t.app.get(DataSource).query(`DELETE FROM doku_b2b_tokens`);
    const accountId = s.control.createAccount({ phoneNo: `62812${String(randomInt(1e7)).padStart(7, '0')}`, bindTo: true }).accountId;
    return t.app.get(DokuClient).queryAccountBinding({ partnerReferenceNo: `QAB-${randomInt(1e9)}`, additionalInfo: { accountId } });
  };
  afterAll(async () => {
    // The first backend made the database: it goes last.
    for (const t of apps.reverse()) await t.close();
    for (const s of sims) await s.close();
  });

  it('our RSA key and client secret: during the overlap DOKU takes the old and the new; after it, only the new', async () => {
    const overlap = await sim({
      publicPems: [ours.old.publicPem, ours.next.publicPem],
      clientSecret: secrets.next,
      previousClientSecrets: [secrets.old],
    });
    const before = await app({ DOKU_BASE_URL: overlap.url, DOKU_PRIVATE_KEY: ours.old.privatePem, DOKU_CLIENT_SECRET: secrets.old });
    const after = await app({ DOKU_BASE_URL: overlap.url, DOKU_PRIVATE_KEY: ours.next.privatePem, DOKU_CLIENT_SECRET: secrets.next });
    expect((await queryBinding(before, overlap)).responseCode).toBe('2000800');
    expect((await queryBinding(after, overlap)).responseCode).toBe('2000800');

    // DOKU told to drop the old key and secret: the new credentials still work, the old ones do not.
    const retired = await sim({ publicPems: [ours.next.publicPem], clientSecret: secrets.next });
    const current = await app({ DOKU_BASE_URL: retired.url, DOKU_PRIVATE_KEY: ours.next.privatePem, DOKU_CLIENT_SECRET: secrets.next });
    expect((await queryBinding(current, retired)).responseCode).toBe('2000800');
    const stale = await app({ DOKU_BASE_URL: retired.url, DOKU_PRIVATE_KEY: ours.old.privatePem, DOKU_CLIENT_SECRET: secrets.next });
    await expect(queryBinding(stale, retired)).rejects.toMatchObject({ responseCode: '4017300', httpStatus: 401 });
    const staleSecret = await app({ DOKU_BASE_URL: retired.url, DOKU_PRIVATE_KEY: ours.next.privatePem, DOKU_CLIENT_SECRET: secrets.old });
    await expect(queryBinding(staleSecret, retired)).rejects.toMatchObject({ responseCode: '4010800', httpStatus: 401 });
  });

  describe("DOKU's key and client secret on our notification intake", () => {
    const doku = { old: { privatePem: readDokuPrivateKey() }, next: rsaPair(), stranger: rsaPair() };
    let overlap: TestApp;
    let retired: TestApp;
    beforeAll(async () => {
      overlap = await app({
        DOKU_PUBLIC_KEY: `${doku.next.publicPem}${publicOf(doku.old.privatePem)}`,
        DOKU_CLIENT_SECRET: secrets.next,
        DOKU_CLIENT_SECRET_PREVIOUS: secrets.old,
      });
      retired = await app({ DOKU_PUBLIC_KEY: doku.next.publicPem, DOKU_CLIENT_SECRET: secrets.next });
    });

    const handshake = (t: TestApp, dokuKey: string) => {
      const timestamp = jakartaTimestamp(new Date());
      return t
        .http()
        .post(TOKEN_PATH)
        .set({ 'x-client-key': dev.clientId, 'x-timestamp': timestamp, 'x-signature': rsa(dokuKey, `${dev.clientId}|${timestamp}`) })
        .send({ grantType: 'client_credentials' });
    };
    const notify = async (t: TestApp, signer: { secret: string } | { dokuKey: string }) => {
      const token = (await handshake(t, doku.next.privatePem)).body.accessToken as string;
      const body = JSON.stringify({ originalPartnerReferenceNo: `NOPE-${randomInt(1e9)}`, latestTransactionStatus: '00' });
      const timestamp = jakartaTimestamp(new Date());
      const signature =
        'secret' in signer
          ? createHmac('sha512', signer.secret)
              .update(`POST:${NOTIFY_PATH}:${token}:${sha256(body)}:${timestamp}`)
              .digest('base64')
          : rsa(signer.dokuKey, `POST:${NOTIFY_PATH}:${sha256(body)}:${timestamp}`);
      const res = await t
        .http()
        .post(NOTIFY_PATH)
        .set({
          'content-type': 'application/json',
          authorization: `Bearer ${token}`,
          'x-timestamp': timestamp,
          'x-signature': signature,
          'x-partner-id': dev.clientId,
          'x-external-id': `${Date.now()}${randomInt(1e9)}`,
        })
        .send(body);
      return { status: res.status, responseCode: (res.body as { responseCode: string }).responseCode };
    };
    const accepted = { status: 200, responseCode: '2005600' };
    const refused = { status: 401, responseCode: '4015600' };

    it("DOKU's token request is verified with either of its keys during the overlap, with the new one only after", async () => {
      expect((await handshake(overlap, doku.old.privatePem)).status).toBe(200);
      expect((await handshake(overlap, doku.next.privatePem)).status).toBe(200);
      expect((await handshake(overlap, doku.stranger.privatePem)).status).toBe(401);
      expect((await handshake(retired, doku.old.privatePem)).status).toBe(401);
      expect((await handshake(retired, doku.next.privatePem)).status).toBe(200);
    });

    it('notifications signed with the old or the new secret, or the old or the new DOKU key, are accepted during the overlap; only the new after', async () => {
      expect(await notify(overlap, { secret: secrets.old })).toEqual(accepted);
      expect(await notify(overlap, { secret: secrets.next })).toEqual(accepted);
      expect(await notify(overlap, { dokuKey: doku.old.privatePem })).toEqual(accepted);
      expect(await notify(overlap, { dokuKey: doku.next.privatePem })).toEqual(accepted);
      expect(await notify(overlap, { secret: 'another secret' })).toEqual(refused);
      expect(await notify(overlap, { dokuKey: doku.stranger.privatePem })).toEqual(refused);
      expect(await notify(retired, { secret: secrets.old })).toEqual(refused);
      expect(await notify(retired, { dokuKey: doku.old.privatePem })).toEqual(refused);
      expect(await notify(retired, { secret: secrets.next })).toEqual(accepted);
      expect(await notify(retired, { dokuKey: doku.next.privatePem })).toEqual(accepted);
    });
  });
});

/** The simulator's development DOKU key pair (the backend's development DOKU public key is its public half). */
function readDokuPrivateKey(): string {
  return (JSON.parse(readFileSync(join(__dirname, '..', 'simulator', 'dev-partner.json'), 'utf8')) as { dokuPrivateKeyPem: string })
    .dokuPrivateKeyPem;
}
