import { clearedCookies, consoleAccessToken, csrfToken, hasCsrfToken, readCookie, sessionCookies } from './console-session';

describe("The console's cookies and CSRF token", () => {
  const secret = 'a-test-secret-of-enough-length-0123456789';

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

  it("accepts the session's own CSRF token only", () => {
    const token = csrfToken(secret, 'session-1');
    expect(hasCsrfToken({ 'x-csrf-token': token }, secret, 'session-1')).toBe(true);
    expect(hasCsrfToken({ 'x-csrf-token': token }, secret, 'session-2')).toBe(false);
    expect(hasCsrfToken({ 'x-csrf-token': csrfToken('another-secret', 'session-1') }, secret, 'session-1')).toBe(false);
    expect(hasCsrfToken({ 'x-csrf-token': token.slice(1) }, secret, 'session-1')).toBe(false);
    expect(hasCsrfToken({}, secret, 'session-1')).toBe(false);
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
