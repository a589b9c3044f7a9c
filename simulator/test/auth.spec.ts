import { generateKeyPairSync } from 'node:crypto';
import { request } from 'undici';
import { startSimulator } from '../src';
import type { Harness } from './support/harness';
import { P, makePartner, newExternalId, readyCustomer, SnapTestClient, startHarness } from './support/harness';
import { jakartaTimestamp, rsaVerify, snapSymmetric, snapTokenSignature } from './support/signing';

function decode(jwt: string): { header: Record<string, unknown>; payload: Record<string, unknown> } {
  const [h, p] = jwt.split('.');
  return { header: JSON.parse(Buffer.from(h, 'base64url').toString()), payload: JSON.parse(Buffer.from(p, 'base64url').toString()) };
}

const creation = (ref: string, phoneNo = '6281234500001'): Record<string, unknown> => ({
  partnerReferenceNo: ref,
  email: 'jane.doe@example.com',
  name: 'Jane Doe',
  phoneNo,
  redirectUrl: 'https://partner.example.com/doku/registered',
});

describe('token endpoints and request authentication', () => {
  let h: Harness;
  const logs: string[] = [];

  beforeAll(async () => {
    h = await startHarness({ log: (line) => logs.push(line) });
  });
  afterAll(async () => {
    await h.sim.close();
  });

  it('issues a B2B token for a valid RSA signature, with DOKU-shaped RS256 claims', async () => {
    const r = await h.client.tokenRequest('b2b', { grantType: 'client_credentials' });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({
      responseCode: '2007300',
      responseMessage: 'Successful',
      tokenType: 'Bearer',
      expiresIn: 900,
      additionalInfo: '',
    });
    expect(r.headers['x-client-key']).toBe(h.partner.clientId);
    const token = r.body.accessToken as string;
    const { header, payload } = decode(token);
    expect(header).toEqual({ alg: 'RS256' });
    expect(payload).toMatchObject({ iss: 'DOKU', clientId: h.partner.clientId });
    expect((payload.exp as number) - (payload.iat as number)).toBe(900);
    const [hh, pp, ss] = token.split('.');
    expect(rsaVerify(h.sim.dokuPublicKeyPem, `${hh}.${pp}`, Buffer.from(ss, 'base64url').toString('base64'))).toBe(true);
  });

  it('rejects a signature from another key, an unknown client, a stale timestamp and a missing header', async () => {
    const other = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    const ts = jakartaTimestamp(h.clock.now());
    const wrongKey = await h.client.tokenRequest(
      'b2b',
      { grantType: 'client_credentials' },
      { signature: snapTokenSignature(h.partner.clientId, ts, other), timestamp: ts },
    );
    expect(wrongKey.status).toBe(401);
    expect(wrongKey.body).toEqual({ responseCode: '4017300', responseMessage: 'Unauthorized. Invalid Signature' });

    const unknown = await h.client.tokenRequest('b2b', { grantType: 'client_credentials' }, { clientKey: 'BRN-9999-0000000000000' });
    expect(unknown.body.responseCode).toBe('4017300');

    const stale = await h.client.tokenRequest(
      'b2b',
      { grantType: 'client_credentials' },
      { timestamp: jakartaTimestamp(h.clock.now() - 10 * 60_000) },
    );
    expect(stale.status).toBe(401);
    expect(stale.body.responseCode).toBe('4017300');

    const missing = await h.client.post(
      P.accountCreation.replace(/.*/, '/authorization/v1/access-token/b2b'),
      '{"grantType":"client_credentials"}',
      {
        'X-CLIENT-KEY': h.partner.clientId,
        'X-SIGNATURE': 'x',
      },
    );
    expect(missing.status).toBe(400);
    expect(missing.body.responseCode).toBe('4007302');
    expect(missing.body.responseMessage).toBe('Invalid Mandatory Field {X-TIMESTAMP}');

    const badGrant = await h.client.tokenRequest('b2b', { grantType: 'password' });
    expect(badGrant.body.responseCode).toBe('4007301');
  });

  it('accepts any RFC 3339 timestamp form (Z, milliseconds)', async () => {
    const iso = new Date(h.clock.now()).toISOString(); // 2024-…T…Z with millis
    const r = await h.client.tokenRequest('b2b', { grantType: 'client_credentials' }, { timestamp: iso });
    expect(r.status).toBe(200);
  });

  it('latest B2B token wins: the earlier one stops working', async () => {
    const first = await h.client.getB2bToken();
    const second = await h.client.getB2bToken();
    expect(second).not.toBe(first);
    const old = await h.client.call(P.accountCreation, creation('LW-1', '6281234500011'), { token: first });
    expect(old.status).toBe(401);
    expect(old.body).toEqual({ responseCode: '4010601', responseMessage: 'Invalid Token (B2B)' });
    const fresh = await h.client.call(P.accountCreation, creation('LW-2', '6281234500012'), { token: second });
    expect(fresh.body.responseCode).toBe('2000600');
  });

  it('wrong token is 401xx01, no Authorization is 401xx03, foreign X-PARTNER-ID is 401xx00', async () => {
    const wrong = await h.client.call(P.accountCreation, creation('WT-1'), { token: 'not-a-token' });
    expect(wrong.body.responseCode).toBe('4010601');
    const none = await h.client.call(P.accountCreation, creation('WT-2'), { omit: ['Authorization'] });
    expect(none.status).toBe(401);
    expect(none.body.responseCode).toBe('4010603');
    const foreign = await h.client.call(P.accountCreation, creation('WT-3'), { partnerId: 'BRN-0000-0000000000001' });
    expect(foreign.body.responseCode).toBe('4010600');
  });

  it('a bad symmetric signature or a changed body is 401xx00 Invalid Signature', async () => {
    await h.client.getB2bToken();
    const bad = await h.client.call(P.accountCreation, creation('SIG-1'), { signature: 'AAAA' });
    expect(bad.status).toBe(401);
    expect(bad.body).toEqual({ responseCode: '4010600', responseMessage: 'Unauthorized. Invalid Signature' });
    // Sign one body, send a pretty-printed copy of it: the bytes differ, so the signature does not match.
    const body = creation('SIG-2');
    const signedFor = await (async () => {
      const token = h.client.b2bToken!;
      const ts = jakartaTimestamp(h.clock.now());
      return {
        ts,
        sig: snapSymmetric({
          method: 'POST',
          path: P.accountCreation,
          token,
          body: JSON.stringify(body),
          timestamp: ts,
          secret: h.partner.clientSecret,
        }),
      };
    })();
    const pretty = await h.client.call(P.accountCreation, JSON.stringify(body, null, 2), {
      timestamp: signedFor.ts,
      signature: signedFor.sig,
    });
    expect(pretty.body.responseCode).toBe('4010600');
  });

  it('a stale X-TIMESTAMP is 401xx00; a malformed one is 400xx01', async () => {
    const stale = await h.client.call(P.accountCreation, creation('TS-1'), { timestamp: jakartaTimestamp(h.clock.now() + 6 * 60_000) });
    expect(stale.status).toBe(401);
    expect(stale.body.responseCode).toBe('4010600');
    const malformed = await h.client.call(P.accountCreation, creation('TS-2'), { timestamp: '21/05/2024 10:15' });
    expect(malformed.body.responseCode).toBe('4000601');
    const inside = await h.client.call(P.accountCreation, creation('TS-3', '6281234500013'), {
      timestamp: jakartaTimestamp(h.clock.now() - 4 * 60_000),
    });
    expect(inside.body.responseCode).toBe('2000600');
  });

  it('X-EXTERNAL-ID: same id and body replays the original response with 409; another body is 409xx00', async () => {
    const externalId = newExternalId();
    const body = creation('EXT-1', '6281234500021');
    const first = await h.client.call(P.accountCreation, body, { externalId });
    expect(first.status).toBe(200);
    const replay = await h.client.call(P.accountCreation, body, { externalId });
    expect(replay.status).toBe(409);
    expect(replay.body).toEqual(first.body);
    const conflict = await h.client.call(P.accountCreation, creation('EXT-2', '6281234500022'), { externalId });
    expect(conflict.status).toBe(409);
    expect(conflict.body).toEqual({ responseCode: '4090600', responseMessage: 'Conflict' });
    // Only one registration happened.
    expect([...h.sim.state.registrations.values()].filter((r) => r.partnerReferenceNo === 'EXT-1')).toHaveLength(1);
    const nonNumeric = await h.client.call(P.accountCreation, creation('EXT-3'), { externalId: 'abc-123' });
    expect(nonNumeric.body.responseCode).toBe('4000601');
    const tooLong = await h.client.call(P.accountCreation, creation('EXT-4'), { externalId: '1'.repeat(37) });
    expect(tooLong.body.responseCode).toBe('4000601');
  });

  it('X-EXTERNAL-ID uniqueness is per Jakarta day', async () => {
    const externalId = newExternalId();
    const ok1 = await h.client.call(P.accountCreation, creation('DAY-1', '6281234500031'), { externalId });
    expect(ok1.status).toBe(200);
    h.clock.advance(24 * 3600_000);
    await h.client.getB2bToken();
    const nextDay = await h.client.call(P.accountCreation, creation('DAY-2', '6281234500032'), { externalId });
    expect(nextDay.body.responseCode).toBe('2000600');
  });

  it('validates mandatory fields (400xx02), formats and lengths (400xx01), JSON (400xx00)', async () => {
    const { name: _omitted, ...noName } = creation('VAL-1');
    const missing = await h.client.call(P.accountCreation, noName);
    expect(missing.status).toBe(400);
    expect(missing.body).toEqual({ responseCode: '4000602', responseMessage: 'Invalid Mandatory Field {name}' });
    const long = await h.client.call(P.accountCreation, { ...creation('VAL-2'), partnerReferenceNo: 'x'.repeat(65) });
    expect(long.body).toEqual({ responseCode: '4000601', responseMessage: 'Invalid Field Format {partnerReferenceNo}' });
    const wrongType = await h.client.call(P.accountCreation, { ...creation('VAL-3'), phoneNo: 6281234 });
    expect(wrongType.body.responseCode).toBe('4000601');
    const badJson = await h.client.call(P.accountCreation, '{"partnerReferenceNo":');
    expect(badJson.body.responseCode).toBe('4000600');
    const extra = await h.client.call(P.accountCreation, {
      ...creation('VAL-4', '6281234500041'),
      unknownField: { nested: true },
      countryCode: 'ID',
    });
    expect(extra.body.responseCode).toBe('2000600');
  });

  it('b2b2c endpoints need the customer token, with or without "Bearer ", and only for its own account', async () => {
    const c = await readyCustomer(h, '6281299900001');
    const none = await h.client.call(P.balanceInquiry, { partnerReferenceNo: 'B-1', additionalInfo: {} });
    expect(none.body.responseCode).toBe('4011104');
    const bad = await h.client.call(P.balanceInquiry, { partnerReferenceNo: 'B-2' }, { customerToken: 'nope' });
    expect(bad.body.responseCode).toBe('4011102');
    const ok = await h.client.call(
      P.balanceInquiry,
      { partnerReferenceNo: 'B-3', additionalInfo: { accountId: c.accountId } },
      { customerToken: c.customerToken },
    );
    expect(ok.body).toMatchObject({ responseCode: '2001100', accountNo: c.accountId, partnerReferenceNo: 'B-3' });
    const other = await h.client.call(
      P.balanceInquiry,
      { partnerReferenceNo: 'B-4', additionalInfo: { accountId: '1999999999' } },
      { customerToken: c.customerToken },
    );
    expect(other.body.responseCode).toBe('4011102');
    // Raw token without "Bearer " (server SDK style).
    const token = h.client.b2bToken!;
    const raw = JSON.stringify({ partnerReferenceNo: 'B-5' });
    const ts = jakartaTimestamp(h.clock.now());
    const res = await h.client.post(P.balanceInquiry, raw, {
      Authorization: `Bearer ${token}`,
      'Authorization-Customer': c.customerToken,
      'X-TIMESTAMP': ts,
      'X-SIGNATURE': snapSymmetric({
        method: 'POST',
        path: P.balanceInquiry,
        token,
        body: raw,
        timestamp: ts,
        secret: h.partner.clientSecret,
      }),
      'X-PARTNER-ID': h.partner.clientId,
      'X-EXTERNAL-ID': newExternalId(),
    });
    expect(res.body.responseCode).toBe('2001100');
  });

  it('never logs tokens, signatures or OTPs', async () => {
    const r = await h.client.call(P.accountCreation, creation('LOG-1', '6281234500051'));
    expect(r.status).toBe(200);
    const otp = h.sim.control.lastOtp('6281234500051').otp;
    const joined = logs.join('\n');
    expect(logs.length).toBeGreaterThan(5);
    expect(joined).toContain('"path":"/snap-adapter/b2b/v1.0/registration-account-creation"');
    expect(joined).not.toContain(h.client.b2bToken!);
    expect(joined).not.toContain(h.partner.clientSecret);
    expect(joined).not.toMatch(new RegExp(`"${otp}"`));
    expect(joined).not.toMatch(/signature"?:/i);
  });
});

describe('sliding expiry (injected clock)', () => {
  it('each use extends the 900 s lifetime; an idle token expires with 401xx01', async () => {
    const h = await startHarness({ tokenTtlSeconds: 900 });
    try {
      const creationBody = (ref: string, phone: string) => creation(ref, phone);
      await h.client.getB2bToken();
      for (let i = 0; i < 3; i++) {
        h.clock.advance(800_000); // 800 s each, 2400 s in total: alive only because each call slides it
        const r = await h.client.call(P.accountCreation, creationBody(`SL-${i}`, `62812345006${i}0`));
        expect(r.body.responseCode).toBe('2000600');
      }
      h.clock.advance(901_000);
      const expired = await h.client.call(P.accountCreation, creationBody('SL-X', '6281234500699'));
      expect(expired.status).toBe(401);
      expect(expired.body.responseCode).toBe('4010601');
    } finally {
      await h.sim.close();
    }
  });

  it('a configurable short lifetime lapses without use', async () => {
    const h = await startHarness({ tokenTtlSeconds: 5 });
    try {
      await h.client.getB2bToken();
      h.clock.advance(5_001);
      const r = await h.client.call(P.accountCreation, creation('SH-1', '6281234500701'));
      expect(r.body.responseCode).toBe('4010601');
    } finally {
      await h.sim.close();
    }
  });

  it('slidingTokenExpiry false: B2B and customer tokens lapse at their lifetime however often they are used', async () => {
    const h = await startHarness({ tokenTtlSeconds: 10, slidingTokenExpiry: false });
    try {
      await h.client.getB2bToken();
      const customer = await readyCustomer(h, '6281234500801');
      const balance = () =>
        h.client.call(P.balanceInquiry, { additionalInfo: { accountId: customer.accountId } }, { customerToken: customer.customerToken });
      for (let i = 0; i < 3; i++) {
        h.clock.advance(3_000); // 9 s in all, each second use inside the lifetime
        expect((await balance()).body.responseCode).toBe('2001100');
      }
      h.clock.advance(1_000); // 10 s after issue: used a moment ago, lapsed all the same
      expect((await balance()).body.responseCode).toBe('4011101');
      await h.client.getB2bToken();
      expect((await balance()).body.responseCode).toBe('4011102');
    } finally {
      await h.sim.close();
    }
  });

  it('logs each API request with its X-EXTERNAL-ID and the Jakarta day it arrived on (never for token calls)', async () => {
    const lines: Array<Record<string, unknown>> = [];
    const h = await startHarness({ log: (line) => lines.push(JSON.parse(line) as Record<string, unknown>) });
    try {
      h.clock.t = Date.parse('2026-11-23T23:59:59+07:00');
      await h.client.call(P.accountCreation, creation('EXT-1', '6281234500901'), { externalId: '41807553358950093184' });
      h.clock.advance(2_000);
      await h.client.call(P.accountCreation, creation('EXT-2', '6281234500902'), { externalId: '41807553358950093185' });
      const api = lines.filter((l) => l.endpoint === 'accountCreation').map((l) => [l.externalId, l.externalIdDay]);
      expect(api).toEqual([
        ['41807553358950093184', '2026-11-23'],
        ['41807553358950093185', '2026-11-24'],
      ]);
      expect(lines.filter((l) => l.endpoint === 'b2bToken').every((l) => l.externalId === undefined)).toBe(true);
    } finally {
      await h.sim.close();
    }
  });
});

describe('control API switch and the default partner file', () => {
  it('starts from simulator/dev-partner.json and hides /_sim when controlApi is false', async () => {
    const sim = await startSimulator({ port: 0, log: false, controlApi: false });
    try {
      const res = await request(`${sim.url}/_sim/state`);
      expect(res.statusCode).toBe(404);
      await res.body.text();
      expect(sim.state.partners.has('BRN-0001-1700000000001')).toBe(true);
      // Unknown paths are SNAP-shaped 404s.
      const unknown = await request(`${sim.url}/snap-adapter/b2b/v1.0/nope`, { method: 'POST', body: '{}' });
      expect(unknown.statusCode).toBe(404);
      expect(((await unknown.body.json()) as { responseCode: string }).responseCode).toBe('4040002');
    } finally {
      await sim.close();
    }
  });

  it("a second partner cannot use the first partner's token", async () => {
    const a = makePartner('BRN-0000-0000000000A01');
    const b = makePartner('BRN-0000-0000000000B01');
    const sim = await startSimulator({
      port: 0,
      log: false,
      partners: [a, b].map((p) => ({
        clientId: p.clientId,
        clientSecret: p.clientSecret,
        partnerPublicKeyPem: p.publicKeyPem,
        authCodeKey: p.authCodeKey,
      })),
    });
    try {
      const ca = new SnapTestClient(sim.url, a, () => Date.now());
      const cb = new SnapTestClient(sim.url, b, () => Date.now());
      const tokenA = await ca.getB2bToken();
      const r = await cb.call(P.accountCreation, creation('X-1'), { token: tokenA });
      expect(r.body.responseCode).toBe('4010600');
    } finally {
      await sim.close();
    }
  });
});
