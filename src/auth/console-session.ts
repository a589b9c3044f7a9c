import type { KeyObject } from 'node:crypto';
import { sign, verify } from 'node:crypto';
import type { UserRole } from '../common/auth/roles';

/**
 * The back-office console's session (docs/back-office.md#the-console): the same access and refresh
 * tokens as the JSON API, kept by the browser in httpOnly, SameSite=Strict cookies (Secure in
 * production) instead of in the page, where a script could read them.
 *
 * A cookie goes with every request the browser makes, so a request authenticated by the cookie must
 * also carry `X-CSRF-Token`: a value derived from the session (its id signed with the access-token
 * signing key, named by its kid, so every instance verifies it and a key rotation's overlap covers it
 * too) that the console learns from `/admin/api/session` and that another site can neither read nor
 * compute. The cookie counts only on the back-office paths and only for back-office roles; a
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

/** The access-token key ring, as far as the CSRF token needs it (AccessTokenKeysService). */
export interface CsrfKeys {
  readonly active: { kid: string; privateKey: KeyObject };
  publicKey(kid: unknown): KeyObject | undefined;
}

const csrfPayload = (sessionId: string): Buffer => Buffer.from(`console-csrf:${sessionId}`, 'utf8');

/** The CSRF token of a session: what the console sends in X-CSRF-Token (`<kid>.<signature>`). */
export function csrfToken(keys: CsrfKeys, sessionId: string): string {
  const signature = sign('sha256', csrfPayload(sessionId), { key: keys.active.privateKey, dsaEncoding: 'ieee-p1363' });
  return `${keys.active.kid}.${signature.toString('base64url')}`;
}

/** Whether the request's X-CSRF-Token is the session's, signed by a key of the ring. */
export function hasCsrfToken(headers: Headers, keys: CsrfKeys, sessionId: string): boolean {
  const sent = headers[CSRF_HEADER];
  if (typeof sent !== 'string') return false;
  const dot = sent.lastIndexOf('.');
  const key = dot > 0 ? keys.publicKey(sent.slice(0, dot)) : undefined;
  if (!key) return false;
  try {
    return verify('sha256', csrfPayload(sessionId), { key, dsaEncoding: 'ieee-p1363' }, Buffer.from(sent.slice(dot + 1), 'base64url'));
  } catch {
    return false;
  }
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
