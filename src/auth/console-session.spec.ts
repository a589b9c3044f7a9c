import { generateKeyPairSync } from 'node:crypto';
import type { CsrfKeys } from './console-session';
import { clearedCookies, consoleAccessToken, csrfToken, hasCsrfToken, readCookie, sessionCookies } from './console-session';

/** A key ring of EC P-256 keys (as the access tokens use), `active` signing, every key verifying. */
function ring(active: string, ...kids: string[]): CsrfKeys {
  const pairs = new Map([active, ...kids].map((kid) => [kid, generateKeyPairSync('ec', { namedCurve: 'P-256' })]));
  return {
    active: { kid: active, privateKey: pairs.get(active)!.privateKey },
    publicKey: (kid: unknown) => (typeof kid === 'string' ? pairs.get(kid)?.publicKey : undefined),
  };
}

describe("The console's cookies and CSRF token", () => {
  const keys = ring('k1');

  it('reads one cookie among others, and nothing from an empty one', () => {
    const headers = { cookie: 'a=1; doku_console=tok.en.x; other=2' };
    expect(readCookie(headers, 'doku_console')).toBe('tok.en.x');
    expect(readCookie(headers, 'doku')).toBeUndefined();
    expect(readCookie({ cookie: 'doku_console=' }, 'doku_console')).toBeUndefined();
    expect(readCookie({}, 'doku_console')).toBeUndefined();
  });

  it('takes the access cookie only on the back-office paths', () => {
    const headers = { cookie: 'doku_console=abc' };
    for (const url of ['/v1/admin/users', '/v1/admin', '/v1/admin?x=1', '/admin/api/session']) {
      expect(consoleAccessToken({ headers, url })).toBe('abc');
    }
    for (const url of ['/v1/me', '/v1/purchases', '/v1/administrator', '/admin', '/admin/assets/x.js', '/v1/users/1/wallet']) {
      expect(consoleAccessToken({ headers, url })).toBeUndefined();
    }
    expect(consoleAccessToken({ headers })).toBeUndefined();
  });

  it("accepts the session's own CSRF token only, signed by a key of the ring", () => {
    const token = csrfToken(keys, 'session-1');
    expect(token.startsWith('k1.')).toBe(true);
    expect(hasCsrfToken({ 'x-csrf-token': token }, keys, 'session-1')).toBe(true);
    expect(hasCsrfToken({ 'x-csrf-token': token }, keys, 'session-2')).toBe(false);
    // Another ring's key under the same kid, a kid the ring does not know, a cut or missing token.
    expect(hasCsrfToken({ 'x-csrf-token': csrfToken(ring('k1'), 'session-1') }, keys, 'session-1')).toBe(false);
    expect(hasCsrfToken({ 'x-csrf-token': `k9${token.slice(2)}` }, keys, 'session-1')).toBe(false);
    expect(hasCsrfToken({ 'x-csrf-token': token.slice(0, -2) }, keys, 'session-1')).toBe(false);
    expect(hasCsrfToken({ 'x-csrf-token': 'k1.' }, keys, 'session-1')).toBe(false);
    expect(hasCsrfToken({ 'x-csrf-token': 'no-dot' }, keys, 'session-1')).toBe(false);
    expect(hasCsrfToken({}, keys, 'session-1')).toBe(false);
  });

  it('keeps a CSRF token valid through a signing-key rotation while its key is in the ring', () => {
    const before = ring('old', 'new');
    const token = csrfToken(before, 'session-1');
    const verifyWith = (kid: unknown) => before.publicKey(kid);
    const during = { active: { kid: 'new', privateKey: before.active.privateKey }, publicKey: verifyWith };
    expect(hasCsrfToken({ 'x-csrf-token': token }, during, 'session-1')).toBe(true);
    const after = { active: during.active, publicKey: (kid: unknown) => (kid === 'old' ? undefined : verifyWith(kid)) };
    expect(hasCsrfToken({ 'x-csrf-token': token }, after, 'session-1')).toBe(false);
  });

  it('sets httpOnly SameSite=Strict cookies, Secure when asked, the refresh token for the session route only', () => {
    const tokens = { accessToken: 'acc', expiresIn: 900, refreshToken: 'ref' };
    expect(sessionCookies(tokens, 3600, { secure: true })).toEqual([
      'doku_console=acc; Path=/; Max-Age=900; HttpOnly; SameSite=Strict; Secure',
      'doku_console_refresh=ref; Path=/admin/api/session; Max-Age=3600; HttpOnly; SameSite=Strict; Secure',
    ]);
    expect(sessionCookies(tokens, 3600, { secure: false })[0]).toBe('doku_console=acc; Path=/; Max-Age=900; HttpOnly; SameSite=Strict');
    expect(clearedCookies({ secure: false })).toEqual([
      'doku_console=; Path=/; Max-Age=0; HttpOnly; SameSite=Strict',
      'doku_console_refresh=; Path=/admin/api/session; Max-Age=0; HttpOnly; SameSite=Strict',
    ]);
  });
});
