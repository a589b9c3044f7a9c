import { IncomingMessage, ServerResponse } from 'node:http';
import { Socket } from 'node:net';
import helmet from 'helmet';
import { securityHeaders } from './security-headers';

const OPTIONS = {
  contentSecurityPolicy: {
    directives: { defaultSrc: ["'self'"], imgSrc: ["'self'", 'data:'], scriptSrc: ["'self'", "https: 'unsafe-inline'"] },
  },
};

describe('securityHeaders', () => {
  it('are the headers Helmet itself sets on a response, with the same values', () => {
    const response = new ServerResponse(new IncomingMessage(new Socket()));
    helmet(OPTIONS)(response.req, response, () => undefined);
    const expected = Object.fromEntries(Object.entries(response.getHeaders()).map(([k, v]) => [k, String(v)]));
    expect(Object.keys(expected).length).toBeGreaterThan(10);
    expect(securityHeaders(OPTIONS)).toEqual(expected);
    expect(securityHeaders(OPTIONS)['content-security-policy']).toContain("img-src 'self' data:");
  });

  it('refuses a directive computed per request', () => {
    expect(() => securityHeaders({ contentSecurityPolicy: { directives: { scriptSrc: ["'self'", () => "'nonce-abc'"] } } })).toThrow(
      /per request/,
    );
  });

  it("passes on Helmet's refusal of an option", () => {
    expect(() => securityHeaders({ referrerPolicy: { policy: 'nowhere' as never } })).toThrow();
  });
});
