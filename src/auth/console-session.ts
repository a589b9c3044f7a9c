import { createHmac, timingSafeEqual } from 'node:crypto';
import type { UserRole } from '../common/auth/roles';

/**
 * The back-office console's session (docs/back-office.md#the-console): the same access and refresh
 * tokens as the JSON API, kept by the browser in httpOnly, SameSite=Strict cookies (Secure in
 * production) instead of in the page, where a script could read them.
 *
 * A cookie goes with every request the browser makes, so a request authenticated by the cookie must
 * also carry `X-CSRF-Token`: a value derived from the session (an HMAC of its id under the JWT
 * secret) that the console learns from `/admin/api/session` and that another site can neither read
 * nor compute. The cookie counts only on the back-office paths and only for back-office roles; a
 * bearer token, when present, is used as before and the cookie is ignored.
 */
export const CONSOLE_ACCESS_COOKIE = 'doku_console';
export const CONSOLE_REFRESH_COOKIE = 'doku_console_refresh';
export const CSRF_HEADER = 'x-csrf-token';
/** The refresh cookie is sent to the session route only. */
export const CONSOLE_SESSION_PATH = '/admin/api/session';
export const BACK_OFFICE_ROLES: readonly UserRole[] = ['admin', 'support', 'finance'];

/** Where the access cookie authenticates: the back-office API and the console's own routes. */
const COOKIE_PATHS = /^\/(v1\/admin|admin\/api)(\/|\?|$)/;

type Headers = Record<string, string | string[] | undefined>;

/** The value of one cookie of the request, or undefined. */
export function readCookie(headers: Headers, name: string): string | undefined {
  const header = headers.cookie;
  const text = Array.isArray(header) ? header.join('; ') : header;
  if (!text) return undefined;
  for (const part of text.split(';')) {
    const at = part.indexOf('=');
    if (at > 0 && part.slice(0, at).trim() === name) {
      const value = part.slice(at + 1).trim();
      return value.length > 0 ? value : undefined;
    }
  }
  return undefined;
}

/** The console's access token from its cookie, when the request is to a path where it counts. */
export function consoleAccessToken(request: { headers: Headers; url?: string }): string | undefined {
  if (typeof request.url !== 'string' || !COOKIE_PATHS.test(request.url)) return undefined;
  return readCookie(request.headers, CONSOLE_ACCESS_COOKIE);
}

/** The CSRF token of a session: what the console sends in X-CSRF-Token. */
export function csrfToken(secret: string, sessionId: string): string {
  return createHmac('sha256', secret).update(`console-csrf:${sessionId}`).digest('base64url');
}

/** Whether the request's X-CSRF-Token is the session's. */
export function hasCsrfToken(headers: Headers, secret: string, sessionId: string): boolean {
  const sent = headers[CSRF_HEADER];
  if (typeof sent !== 'string') return false;
  const expected = Buffer.from(csrfToken(secret, sessionId));
  const given = Buffer.from(sent);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

export interface CookieOptions {
  secure: boolean;
}

function cookie(name: string, value: string, path: string, maxAgeSeconds: number, { secure }: CookieOptions): string {
  return [
    `${name}=${value}`,
    `Path=${path}`,
    `Max-Age=${maxAgeSeconds}`,
    'HttpOnly',
    'SameSite=Strict',
    ...(secure ? ['Secure'] : []),
  ].join('; ');
}

/** Set-Cookie values that hold a new token pair. */
export function sessionCookies(
  tokens: { accessToken: string; expiresIn: number; refreshToken: string },
  refreshTtlSeconds: number,
  options: CookieOptions,
): string[] {
  return [
    cookie(CONSOLE_ACCESS_COOKIE, tokens.accessToken, '/', tokens.expiresIn, options),
    cookie(CONSOLE_REFRESH_COOKIE, tokens.refreshToken, CONSOLE_SESSION_PATH, refreshTtlSeconds, options),
  ];
}

/** Set-Cookie values that remove both cookies. */
export function clearedCookies(options: CookieOptions): string[] {
  return [cookie(CONSOLE_ACCESS_COOKIE, '', '/', 0, options), cookie(CONSOLE_REFRESH_COOKIE, '', CONSOLE_SESSION_PATH, 0, options)];
}
