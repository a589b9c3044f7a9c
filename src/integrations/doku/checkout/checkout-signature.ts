import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

/**
 * DOKU's non-SNAP request signature (docs/channels.md#doku-e-wallet-checkout): an HMAC-SHA256 with
 * the secret key over a few `Name:value` lines joined by a line feed, no line feed at the end:
 *
 *   Client-Id:<client id>
 *   Request-Id:<request id>
 *   Request-Timestamp:<UTC time, 2021-07-07T08:45:42Z>      (Response-Timestamp on DOKU's answers)
 *   Request-Target:<path only, no host>
 *   Digest:<Base64 SHA-256 of the exact body bytes>          (only when there is a body)
 *
 * The `Signature` header is `HMACSHA256=` followed by the Base64 HMAC. The same lines sign our
 * requests, DOKU's answers (with `Response-Timestamp` and our Request-Id) and DOKU's
 * notifications to us (with the path of our notification route).
 */

export const SIGNATURE_PREFIX = 'HMACSHA256=';

export interface ComponentInput {
  clientId: string;
  requestId: string;
  timestamp: string;
  /** `Request-Timestamp` on requests and notifications, `Response-Timestamp` on answers. */
  timestampName?: 'Request-Timestamp' | 'Response-Timestamp';
  /** The path, e.g. `/dokuwallet-emoney/v1/payment`. */
  target: string;
  /** The exact bytes sent; absent (not empty) for a GET. */
  body?: string | Buffer;
}

/** Base64 of SHA-256 of the body bytes. */
export function bodyDigest(body: string | Buffer): string {
  return createHash('sha256').update(body).digest('base64');
}

export function componentString(input: ComponentInput): string {
  const lines = [
    `Client-Id:${input.clientId}`,
    `Request-Id:${input.requestId}`,
    `${input.timestampName ?? 'Request-Timestamp'}:${input.timestamp}`,
    `Request-Target:${input.target}`,
  ];
  if (input.body !== undefined) lines.push(`Digest:${bodyDigest(input.body)}`);
  return lines.join('\n');
}

export function nonSnapSignature(input: ComponentInput, secretKey: string): string {
  return SIGNATURE_PREFIX + createHmac('sha256', Buffer.from(secretKey, 'utf8')).update(componentString(input), 'utf8').digest('base64');
}

/** True only when `given` is exactly the signature of `input` (whole header value, case-sensitive, constant time). */
export function verifyNonSnapSignature(input: ComponentInput, secretKey: string, given: string | undefined): boolean {
  if (given === undefined) return false;
  const expected = Buffer.from(nonSnapSignature(input, secretKey), 'utf8');
  const actual = Buffer.from(given, 'utf8');
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}

/** `Request-Timestamp`: UTC, seconds, `Z` (DOKU: "subtract 7 hours from Jakarta time"). */
export function utcTimestamp(date: Date): string {
  return `${date.toISOString().slice(0, 19)}Z`;
}

const UTC_TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,3})?Z$/;

/** Milliseconds of a `…Z` timestamp, or undefined when it is not one. */
export function parseUtcTimestamp(value: string): number | undefined {
  if (!UTC_TIMESTAMP.test(value)) return undefined;
  const ms = Date.parse(value);
  return Number.isFinite(ms) ? ms : undefined;
}
