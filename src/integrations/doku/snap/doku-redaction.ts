/**
 * Redaction of DOKU request and response bodies before they are stored or logged: secrets, tokens,
 * OTPs, PINs and full account numbers never reach a log line or a stored exchange record
 * (docs/doku-integration.md#redaction). Works on any JSON value and never mutates its input.
 */

export const REDACTED = '[REDACTED]';

// Keys whose whole value is secret: tokens of every kind (a KKI card's `bankCardToken` included),
// the encrypted and plain authCode (it buys a customer token), OTPs, PINs, passwords, signatures,
// API keys, seamless-login material, and card numbers in any spelling (a KKI CPAN, a PAN, card
// data): card data is never stored, not even its last digits (docs/channels.md#kki-card-host-to-host).
const SECRET_KEY =
  /token|secret|passw|signature|authcode|apikey|authorization|seamless|^otp$|^pin$|^cvv$|cpan|^pan$|cardpan|carddata|cardnumber/i;

// Keys holding account or customer numbers: keep only the last 4 characters.
const ACCOUNT_KEYS = new Set(
  [
    'accountNo',
    'accountNumber',
    'beneficiaryAccountNumber',
    'customerNumber',
    'customerNo',
    'phoneNo',
    'accountId',
    'cardNo',
    'bankCardNo',
    'virtualAccountNo',
    'virtualAccountPhone',
  ].map((k) => k.toLowerCase()),
);

// URLs DOKU returns carry one-time tokens in their query (`qparamsURL?token=`, `nextAction`).
const URL_KEY = /url$|^nextaction$|redirect|deeplink/i;

const EMAIL_KEY = /email/i;

const MAX_DEPTH = 16;
const MAX_STRING = 2048;

/** Masks all but the last four characters: `6281234567890` → `*********7890`. */
export function maskTail(value: string): string {
  if (value.length <= 4) return '*'.repeat(value.length);
  return '*'.repeat(value.length - 4) + value.slice(-4);
}

function maskEmail(value: string): string {
  const at = value.lastIndexOf('@');
  if (at <= 0) return maskTail(value);
  return `${value[0]}***${value.slice(at)}`;
}

function stripQuery(value: string): string {
  const cut = value.search(/[?#]/);
  return cut === -1 ? value : `${value.slice(0, cut)}?${REDACTED}`;
}

function redactLeaf(key: string, value: unknown): unknown {
  if (SECRET_KEY.test(key)) return value === undefined || value === null || value === '' ? value : REDACTED;
  if (typeof value === 'number' && ACCOUNT_KEYS.has(key.toLowerCase())) return maskTail(String(value));
  if (typeof value !== 'string') return undefined;
  if (ACCOUNT_KEYS.has(key.toLowerCase())) return maskTail(value);
  if (EMAIL_KEY.test(key)) return maskEmail(value);
  if (URL_KEY.test(key)) return stripQuery(value);
  return value.length > MAX_STRING ? `${value.slice(0, MAX_STRING)}...[truncated]` : value;
}

function walk(value: unknown, key: string, depth: number): unknown {
  const leaf = redactLeaf(key, value);
  if (leaf !== undefined || value === undefined) return leaf;
  if (value === null || typeof value !== 'object') return value;
  if (depth >= MAX_DEPTH) return REDACTED;
  if (Array.isArray(value)) return value.map((item) => walk(item, key, depth + 1));
  // Object.fromEntries defines own properties, so a `__proto__` key stays inert data.
  return Object.fromEntries(Object.entries(value as Record<string, unknown>).map(([k, v]) => [k, walk(v, k, depth + 1)]));
}

/** A deep copy of `body` safe to store: secrets replaced, account numbers masked, URL queries dropped. */
export function redactForRecord(body: unknown): unknown {
  return walk(body, '', 0);
}
