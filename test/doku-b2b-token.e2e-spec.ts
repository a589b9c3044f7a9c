import { randomInt } from 'node:crypto';
import { DataSource } from 'typeorm';
import { B2bTokenService } from '../src/auth-token/b2b-token.service';
import { DokuClock } from '../src/integrations/doku/snap/doku-clock';
import { DokuClient } from '../src/integrations/doku/snap/doku.client';
import type { SimulatorHandle } from '../simulator/src';
import { startSimulator } from '../simulator/src';
import type { TestApp } from './support/test-app';
import { startTestApp } from './support/test-app';

/**
 * "Latest token wins" (docs/doku-integration.md#b2b-token): two backend instances on one database
 * share one B2B token. The simulator revokes the previous token whenever a new one is issued, so an
 * instance fetching its own would break the other's calls; it also counts the token requests.
 */
describe('B2B token shared by two instances', () => {
  let sim: SimulatorHandle;
  let a: TestApp;
  let b: TestApp;
  let tokenRequests = 0;
  let accountId: string;

  const providers = (): B2bTokenService[] => [a.app.get(B2bTokenService), b.app.get(B2bTokenService)];
  const hammer = (calls: number): Promise<string[]> => Promise.all(Array.from({ length: calls }, (_, i) => providers()[i % 2].getToken()));
  // A real B2B call through each instance: DOKU (the simulator) must accept the token it uses.
  const queryBinding = (t: TestApp) =>
    t.app.get(DokuClient).queryAccountBinding({ partnerReferenceNo: `QAB-${randomInt(1e9)}`, additionalInfo: { accountId } });

  beforeAll(async () => {
    sim = await startSimulator({
      port: 0,
      seed: 'b2b-token',
      log: (line) => {
        if ((JSON.parse(line) as { endpoint?: string }).endpoint === 'b2bToken') tokenRequests++;
      },
    });
    a = await startTestApp({ DOKU_BASE_URL: sim.url });
    b = await startTestApp({ DOKU_BASE_URL: sim.url }, a.databaseUrl);
    accountId = sim.control.createAccount({ phoneNo: `62812${String(randomInt(1e7)).padStart(7, '0')}`, bindTo: true }).accountId;
  });

  afterAll(async () => {
    await b?.close();
    await a?.close();
    await sim?.close();
  });

  it('from a cold start, 200 concurrent getToken() calls across both instances make exactly one token request', async () => {
    const tokens = await hammer(200);
    expect(new Set(tokens).size).toBe(1);
    expect(tokenRequests).toBe(1);
    const [fromA, fromB] = await Promise.all([queryBinding(a), queryBinding(b)]);
    expect([fromA.responseCode, fromB.responseCode]).toEqual(['2000800', '2000800']);
    expect(tokenRequests).toBe(1);
  });

  it('stores the token sealed, never in plain text', async () => {
    const [token] = await hammer(1);
    const stored = await a.app.get(DataSource).query<{ access_token_ciphertext: string }[]>(`SELECT * FROM doku_b2b_tokens`);
    expect(stored).toHaveLength(1);
    expect(JSON.stringify(stored)).not.toContain(token);
    expect(stored[0].access_token_ciphertext).toMatch(/^v2\.[A-Za-z0-9_-]{12}\./);
  });

  it('invalidating the current token from both instances at once makes exactly one more token request', async () => {
    const before = tokenRequests;
    const [old] = await hammer(1);
    await Promise.all([...providers(), ...providers()].map((p) => p.invalidate(old)));
    const after = await hammer(200);
    expect(new Set(after).size).toBe(1);
    expect(after[0]).not.toBe(old);
    expect(tokenRequests).toBe(before + 1);
    const [fromA, fromB] = await Promise.all([queryBinding(a), queryBinding(b)]);
    expect([fromA.responseCode, fromB.responseCode]).toEqual(['2000800', '2000800']);
  });

  it('invalidating a token that was already replaced changes nothing', async () => {
    const before = tokenRequests;
    const [current] = await hammer(1);
    await Promise.all(providers().map((p) => p.invalidate('eyJ.an-old-token.sig')));
    expect(await hammer(20)).toEqual(Array(20).fill(current));
    expect(tokenRequests).toBe(before);
  });

  it('when DOKU revokes the token, concurrent calls on both instances get through with one new token', async () => {
    const before = tokenRequests;
    sim.control.revokeTokens({ kind: 'b2b' });
    const answers = await Promise.all(Array.from({ length: 20 }, (_, i) => queryBinding(i % 2 ? a : b)));
    expect(answers.map((r) => r.responseCode)).toEqual(Array(20).fill('2000800'));
    expect(tokenRequests).toBe(before + 1);
  });

  it('near expiry, both instances refresh with one token request between them', async () => {
    const before = tokenRequests;
    const [old] = await hammer(1);
    // 850 s later: inside the 60 s margin before the 900 s lifetime ends.
    const later = 850_000;
    for (const t of [a, b]) jest.spyOn(t.app.get(DokuClock), 'now').mockImplementation(() => new Date(Date.now() + later));
    sim.control.advanceClock(later);
    try {
      const tokens = await hammer(100);
      expect(new Set(tokens).size).toBe(1);
      expect(tokens[0]).not.toBe(old);
      expect(tokenRequests).toBe(before + 1);
      expect((await queryBinding(b)).responseCode).toBe('2000800');
    } finally {
      jest.restoreAllMocks();
    }
  });
});
