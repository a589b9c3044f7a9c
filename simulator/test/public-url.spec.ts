import { simulatorOptionsFromEnv } from '../src/env';
import type { Harness } from './support/harness';
import { getPage, P, startHarness } from './support/harness';

/**
 * In a container the simulator listens on 0.0.0.0 and the backend calls it as http://simulator:4010,
 * but the links it returns (create-PIN, consent and payment pages) are opened by a phone or a browser
 * on the host: they must name SIMULATOR_PUBLIC_URL, never 0.0.0.0 or the container's name.
 */
describe('the links the simulator hands out', () => {
  const phoneNo = '6281234500001';

  /** Account creation → OTP → verify: DOKU answers the create-PIN page's URL (qparamsURL). */
  async function createPinLink(h: Harness): Promise<string> {
    const created = await h.client.call(P.accountCreation, {
      partnerReferenceNo: 'REG-URL-1',
      email: 'url@example.com',
      name: 'Url Test',
      phoneNo,
      redirectUrl: 'https://partner.example.com/back',
    });
    expect(created.status).toBe(200);
    const verified = await h.client.call(P.verifyOtp, {
      originalPartnerReferenceNo: 'REG-URL-1',
      originalReferenceNo: created.body.referenceNo,
      otp: h.sim.control.lastOtp(phoneNo).otp,
    });
    expect(verified.status).toBe(200);
    return `${verified.body.qparamsURL as string}?token=${encodeURIComponent((verified.body.qparams as { token: string }).token)}`;
  }

  it('use SIMULATOR_PUBLIC_URL when the simulator listens on 0.0.0.0', async () => {
    const h = await startHarness({
      ...simulatorOptionsFromEnv({ SIMULATOR_HOST: '0.0.0.0', SIMULATOR_PORT: '0', SIMULATOR_PUBLIC_URL: 'http://localhost:4010/' }),
      log: false,
    });
    try {
      expect(h.sim.url).toBe(`http://127.0.0.1:${h.sim.port}`);
      expect(h.sim.publicUrl).toBe('http://localhost:4010');
      const link = await createPinLink(h);
      expect(link).toMatch(/^http:\/\/localhost:4010\/\S+\?token=/);
      // The same page, through the listening port (what localhost:4010 maps to on the host).
      const page = await getPage(link.replace('http://localhost:4010', h.sim.url));
      expect(page.status).toBe(200);
      expect(page.html).toContain('Create your DOKU PIN');
    } finally {
      await h.sim.close();
    }
  });

  it('without SIMULATOR_PUBLIC_URL, name 127.0.0.1 instead of a 0.0.0.0 listening host, and open there', async () => {
    const h = await startHarness({ ...simulatorOptionsFromEnv({ SIMULATOR_HOST: '0.0.0.0', SIMULATOR_PORT: '0' }), log: false });
    try {
      expect(h.sim.publicUrl).toBe(`http://127.0.0.1:${h.sim.port}`);
      const link = await createPinLink(h);
      expect(link.startsWith(`http://127.0.0.1:${h.sim.port}/`)).toBe(true);
      expect(link).not.toContain('0.0.0.0');
      expect((await getPage(link)).status).toBe(200);
    } finally {
      await h.sim.close();
    }
  });

  it('refuses a SIMULATOR_PUBLIC_URL that is not an http(s) URL', () => {
    expect(() => simulatorOptionsFromEnv({ SIMULATOR_PUBLIC_URL: 'localhost:4010' })).toThrow(
      /SIMULATOR_PUBLIC_URL must be an http\(s\) URL/,
    );
  });
});
