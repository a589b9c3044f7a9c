/**
 * The partner app's return link (docs/customer-pages.md#back-to-the-app): a deep link
 * (`partnerapp://wallet/result`) or a universal / app link (`https://app.partner.example/wallet`).
 * Our pages lead there with the outcome in the query, and a purchase can ask DOKU to send the
 * customer there directly.
 */

/** DOKU's limit for a PAY_RETURN URL; ours leaves room for the parameters we add. */
export const APP_RETURN_URL_MAX_LENGTH = 400;

/** Schemes that are not an app: a browser would run, download or show something else. */
const REFUSED_SCHEMES = new Set([
  'http',
  'javascript',
  'data',
  'file',
  'blob',
  'about',
  'vbscript',
  'ftp',
  'ws',
  'wss',
  'mailto',
  'tel',
  'sms',
  'intent',
  'content',
  'chrome',
  'view-source',
]);

/** Why `value` cannot be an app return link, or undefined when it can. */
export function appReturnUrlProblem(value: string): string | undefined {
  if (value.length > APP_RETURN_URL_MAX_LENGTH) return `must be at most ${APP_RETURN_URL_MAX_LENGTH} characters`;
  if (/[\s\p{Cc}]/u.test(value)) return 'must not contain spaces or control characters';
  const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):/.exec(value)?.[1]?.toLowerCase();
  if (!scheme) return 'must be an absolute link (https://… or yourapp://…)';
  if (REFUSED_SCHEMES.has(scheme)) return `must not use the ${scheme}: scheme (use https:// or the app's own scheme)`;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return 'is not a valid link';
  }
  if (url.username || url.password) return 'must not carry a user name or password';
  if (url.hash) return 'must not have a #fragment';
  if (scheme === 'https' && !url.hostname) return 'must name a host';
  return undefined;
}

/** The outcome as the app reads it from the link. */
export type AppResult = 'success' | 'failure' | 'cancelled' | 'expired' | 'processing' | 'not_found';

/** `base` with `result`, `flow` and the object's id set in its query (any earlier values replaced). */
export function appReturnLink(
  base: string,
  result: AppResult,
  flow: 'registration' | 'binding' | 'purchase',
  id?: Record<string, string>,
): string {
  const url = new URL(base);
  url.searchParams.set('result', result);
  url.searchParams.set('flow', flow);
  for (const [name, value] of Object.entries(id ?? {})) url.searchParams.set(name, value);
  return url.toString();
}
