import { generateKeyPairSync } from 'node:crypto';
import { request } from 'undici';
import type { Harness } from './support/harness';
import { idr, makePartner, P, readyCustomer, SnapTestClient, startHarness } from './support/harness';
import { NotificationReceiver } from './support/receiver';
import { bodyHash, rsaVerify } from './support/signing';

async function control<T = Record<string, unknown>>(
  h: Harness,
  method: 'GET' | 'PUT',
  path: string,
  body?: unknown,
): Promise<{ status: number; body: T }> {
  const res = await request(`${h.sim.url}${path}`, {
    method,
    body: body === undefined ? undefined : JSON.stringify(body),
    headers: { 'content-type': 'application/json' },
  });
  return { status: res.statusCode, body: (await res.body.json()) as T };
}

function rsaPair(): { privatePem: string; publicPem: string } {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return {
    privatePem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    publicPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
  };
}

async function eventually(check: () => boolean, timeoutMs = 3000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > until) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}

type Keys = { publicKeys: Array<{ fingerprint: string; tokenRequests: number }> };

describe("key rotations at run time: the partner's public keys, DOKU's signing key", () => {
  it("registers a partner's new public key beside the old, counts the token requests each verifies, then removes the old", async () => {
    const h = await startHarness();
    try {
      const next = rsaPair();
      const withNew = new SnapTestClient(h.sim.url, { ...h.partner, privateKeyPem: next.privatePem }, h.clock.now);
      const clientId = h.partner.clientId;
      expect((await h.client.tokenRequest('b2b', { grantType: 'client_credentials' })).status).toBe(200);
      expect((await withNew.tokenRequest('b2b', { grantType: 'client_credentials' })).status).toBe(401);
      const [old] = (h.sim.control.getPartner(clientId) as unknown as Keys).publicKeys;
      expect(old).toEqual({ fingerprint: expect.stringMatching(/^[0-9a-f]{16}$/), tokenRequests: 1 });

      // Both keys: either signs; the old key keeps its count.
      const both = await control<Keys>(h, 'PUT', `/_sim/partners/${clientId}/public-keys`, {
        publicKeyPems: [h.partner.publicKeyPem, next.publicPem],
      });
      expect(both.status).toBe(200);
      expect(both.body.publicKeys).toEqual([old, { fingerprint: expect.stringMatching(/^[0-9a-f]{16}$/), tokenRequests: 0 }]);
      expect((await withNew.tokenRequest('b2b', { grantType: 'client_credentials' })).status).toBe(200);
      expect((await withNew.tokenRequest('b2b', { grantType: 'client_credentials' })).status).toBe(200);
      expect((await h.client.tokenRequest('b2b', { grantType: 'client_credentials' })).status).toBe(200);
      const counted = (h.sim.control.getPartner(clientId) as unknown as Keys).publicKeys;
      expect(counted.map((k) => k.tokenRequests)).toEqual([2, 2]);

      // The old key removed: its signatures are refused, the new key's accepted and counted.
      const retired = await control<Keys>(h, 'PUT', `/_sim/partners/${clientId}/public-keys`, { publicKeyPems: next.publicPem });
      expect(retired.body.publicKeys).toEqual([counted[1]]);
      expect((await h.client.tokenRequest('b2b', { grantType: 'client_credentials' })).status).toBe(401);
      expect((await withNew.tokenRequest('b2b', { grantType: 'client_credentials' })).status).toBe(200);
      expect((h.sim.control.getPartner(clientId) as unknown as Keys).publicKeys).toEqual([{ ...counted[1], tokenRequests: 3 }]);

      // No key at all, or something that is not one, is refused; the keys stay as they were.
      for (const publicKeyPems of [[], 'not a key', [next.privatePem.replace(/PRIVATE/g, 'PUBLIC')], 42]) {
        expect((await control(h, 'PUT', `/_sim/partners/${clientId}/public-keys`, { publicKeyPems })).status).toBe(400);
      }
      expect((await control(h, 'PUT', `/_sim/partners/BRN-nobody/public-keys`, { publicKeyPems: next.publicPem })).status).toBe(404);
      expect((h.sim.control.getPartner(clientId) as unknown as Keys).publicKeys).toHaveLength(1);
    } finally {
      await h.sim.close();
    }
  });

  it("switches DOKU's signing key: notifications, the token request before them and DOKU's tokens are signed with the new key", async () => {
    const partner = makePartner();
    let partnerKnows: string[] = [];
    const receiver = new NotificationReceiver(partner.clientSecret, () => partnerKnows[partnerKnows.length - 1]);
    await receiver.start();
    const h = await startHarness(
      { notifications: { enabled: true, baseUrl: receiver.url, signature: 'asymmetric', retryDelaysMs: [0], timeScale: 0.01 } },
      partner,
    );
    try {
      const first = h.sim.dokuPublicKeyPem;
      partnerKnows = [first];
      const before = await control<{ fingerprint: string; publicKeyPem: string }>(h, 'GET', '/_sim/doku-key');
      expect(before.body).toEqual({ fingerprint: expect.stringMatching(/^[0-9a-f]{16}$/), publicKeyPem: first });
      const c = await readyCustomer(h, '6281533339001', '300000.00');
      const buyAndPay = async (ref: string) => {
        const r = await h.client.call(P.purchase, { partnerReferenceNo: ref, amount: idr('1000.00') }, { customerToken: c.customerToken });
        expect(r.body.responseCode).toBe('2005400');
        h.sim.control.pay({ partnerReferenceNo: ref, pin: c.pin });
        await eventually(() => h.sim.control.notifications({ partnerReferenceNo: ref }).every((d) => d.status !== 'scheduled'));
        return h.sim.control.notifications({ partnerReferenceNo: ref });
      };
      const [old] = await buyAndPay('K-ROT-1');
      expect(old).toMatchObject({ status: 'delivered', attempts: [{ dokuKey: before.body.fingerprint }] });
      expect(receiver.received[0].asymmetricValid).toBe(true);
      const handshakes = receiver.tokenRequests;

      const next = rsaPair();
      const switched = await control<{ fingerprint: string; publicKeyPem: string }>(h, 'PUT', '/_sim/doku-key', {
        privateKeyPem: next.privatePem,
      });
      expect(switched.status).toBe(200);
      expect(switched.body).toEqual({ fingerprint: expect.stringMatching(/^[0-9a-f]{16}$/), publicKeyPem: next.publicPem });
      expect(switched.body.fingerprint).not.toBe(before.body.fingerprint);
      expect(h.sim.dokuPublicKeyPem).toBe(next.publicPem);

      // A partner that knows only the old key refuses DOKU's token request: nothing is delivered.
      const [refused] = await buyAndPay('K-ROT-2');
      expect(refused).toMatchObject({ status: 'failed', attempts: [{ dokuKey: switched.body.fingerprint }] });
      expect(receiver.tokenRequests).toBe(handshakes + 1);

      // With the new key beside the old one: a new handshake, and the notification verifies with the new key only.
      partnerKnows = [first, next.publicPem];
      const [delivered] = await buyAndPay('K-ROT-3');
      expect(delivered).toMatchObject({ status: 'delivered', attempts: [{ dokuKey: switched.body.fingerprint }] });
      const n = receiver.received[receiver.received.length - 1];
      expect(n.body.originalPartnerReferenceNo).toBe('K-ROT-3');
      expect(n.asymmetricValid).toBe(true);
      const sig = String(n.headers['x-signature']);
      const signed = `POST:${receiver.notifyPath}:${bodyHash(n.raw)}:${String(n.headers['x-timestamp'])}`;
      expect(rsaVerify(next.publicPem, signed, sig)).toBe(true);
      expect(rsaVerify(first, signed, sig)).toBe(false);

      // DOKU's own tokens are signed with the new key too.
      const token = (await h.client.tokenRequest('b2b', { grantType: 'client_credentials' })).body.accessToken as string;
      const [hh, pp, ss] = token.split('.');
      expect(rsaVerify(next.publicPem, `${hh}.${pp}`, Buffer.from(ss, 'base64url').toString('base64'))).toBe(true);

      expect((await control(h, 'PUT', '/_sim/doku-key', { privateKeyPem: next.publicPem })).status).toBe(400);
      expect((await control(h, 'PUT', '/_sim/doku-key', {})).status).toBe(400);
      expect((await control<{ fingerprint: string }>(h, 'GET', '/_sim/doku-key')).body.fingerprint).toBe(switched.body.fingerprint);
    } finally {
      await h.sim.close();
      await receiver.stop();
    }
  });
});
