/**
 * Redaction of DOKU request and response bodies before they are stored or logged: secrets, tokens,
 * OTPs, PINs and full account numbers never reach a log line or a stored exchange record
 * (docs/doku-integration.md#redaction). Works on any JSON value and never mutates its input.
 */

import { withoutQuery } from '../../../common/logging/redaction';

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
  return withoutQuery(value, REDACTED);
}

// What a key's value is, by the rules above, in their order of precedence. A body's keys are the
// same few dozen every time, so each key is classified once (the map stops growing at its bound).
const enum KeyKind {
  Plain,
  Secret,
  Account,
  Email,
  Url,
}
const kinds = new Map<string, KeyKind>();
const MAX_KINDS = 4096;

function kindOf(key: string): KeyKind {
  let kind = kinds.get(key);
  if (kind !== undefined) return kind;
  if (SECRET_KEY.test(key)) kind = KeyKind.Secret;
  else if (ACCOUNT_KEYS.has(key.toLowerCase())) kind = KeyKind.Account;
  else if (EMAIL_KEY.test(key)) kind = KeyKind.Email;
  else if (URL_KEY.test(key)) kind = KeyKind.Url;
  else kind = KeyKind.Plain;
  if (kinds.size < MAX_KINDS) kinds.set(key, kind);
  return kind;
}

function redactLeaf(kind: KeyKind, value: unknown): unknown {
  if (kind === KeyKind.Secret) return value === undefined || value === null || value === '' ? value : REDACTED;
  if (typeof value === 'number' && kind === KeyKind.Account) return maskTail(String(value));
  if (typeof value !== 'string') return undefined;
  if (kind === KeyKind.Account) return maskTail(value);
  if (kind === KeyKind.Email) return maskEmail(value);
  if (kind === KeyKind.Url) return stripQuery(value);
  return value.length > MAX_STRING ? `${value.slice(0, MAX_STRING)}...[truncated]` : value;
}

function walk(value: unknown, kind: KeyKind, depth: number): unknown {
  const leaf = redactLeaf(kind, value);
  if (leaf !== undefined || value === undefined) return leaf;
  if (value === null || typeof value !== 'object') return value;
  if (depth >= MAX_DEPTH) return REDACTED;
  if (Array.isArray(value)) {
    const items = new Array<unknown>(value.length);
    for (let i = 0; i < value.length; i++) items[i] = walk(value[i], kind, depth + 1);
    return items;
  }
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(value)) {
    const v = walk((value as Record<string, unknown>)[k], kindOf(k), depth + 1);
    // Defined rather than assigned, so a `__proto__` key stays inert data.
    if (k === '__proto__') Object.defineProperty(out, k, { value: v, enumerable: true, writable: true, configurable: true });
    else out[k] = v;
  }
  return out;
}

/** A deep copy of `body` safe to store: secrets replaced, account numbers masked, URL queries dropped. */
export function redactForRecord(body: unknown): unknown {
  return walk(body, KeyKind.Plain, 0);
}
