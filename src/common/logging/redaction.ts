/**
 * The one list of things that never reach a log line, an error body or a stored exchange record.
 * Keys are compared case-insensitively with separators removed, so `accessToken`,
 * `access_token` and `Access-Token` are all caught.
 */
export const SENSITIVE_KEYS = [
  'authorization',
  'authorizationcustomer',
  'proxyauthorization',
  'cookie',
  'setcookie',
  'password',
  'passwordhash',
  'newpassword',
  'token',
  'accesstoken',
  'refreshtoken',
  'idtoken',
  'clientsecret',
  'secret',
  'secrethash',
  'apikey',
  'xapikey',
  'privatekey',
  'key',
  'xsignature',
  'signature',
  'otp',
  'pin',
  'authcode',
  'qparams',
  'tokenhash',
  // Card data of the KKI card channel (docs/channels.md#kki-card-host-to-host): never logged.
  'cpan',
  'bankcardtoken',
  'pan',
  'carddata',
  'cardnumber',
] as const;

const SENSITIVE = new Set<string>(SENSITIVE_KEYS);
export const REDACTED = '[redacted]';

export function isSensitiveKey(key: string): boolean {
  return SENSITIVE.has(key.toLowerCase().replace(/[-_\s]/g, ''));
}

/** A deep copy with every sensitive value replaced. Safe on cycles and deep nesting. */
export function redactDeep(value: unknown, depth = 0, seen = new WeakSet<object>()): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (depth > 12 || seen.has(value)) return '[truncated]';
  seen.add(value);
  if (Array.isArray(value)) return value.map((v) => redactDeep(v, depth + 1, seen));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    out[k] = isSensitiveKey(k) ? REDACTED : redactDeep(v, depth + 1, seen);
  }
  return out;
}

// Full DOKU account ids arrive in the registration redirect's query (docs/doku-integration.md#pin-pages).
const URL_SENSITIVE = new Set(['accountid', 'accountno']);

/**
 * A request URL with the values of sensitive query parameters replaced: DOKU's browser redirects
 * carry `authCode` (binding) and the new `accountId` (registration) in the query string.
 */
/**
 * A link without its query and fragment, where one-time tokens ride (a PIN page, a checkout page),
 * marked as cut: `https://host/path?[redacted]`. Used for what DOKU returns and what the back office
 * sees of it.
 */
export function withoutQuery(url: string, marker: string = REDACTED): string {
  const cut = url.search(/[?#]/);
  return cut === -1 ? url : `${url.slice(0, cut)}?${marker}`;
}

export function redactUrl(url: string): string {
  const q = url.indexOf('?');
  if (q < 0) return url;
  const params = new URLSearchParams(url.slice(q + 1));
  let changed = false;
  for (const key of [...new Set(params.keys())]) {
    if (isSensitiveKey(key) || URL_SENSITIVE.has(key.toLowerCase().replace(/[-_\s]/g, ''))) {
      params.set(key, REDACTED);
      changed = true;
    }
  }
  return changed ? `${url.slice(0, q)}?${params.toString()}` : url;
}
