import { parseUtcTimestamp, verifyNonSnapSignature } from './checkout-signature';
import type { CheckoutOutcome } from './checkout.mapper';
import { toCheckoutOutcome } from './checkout.mapper';

/**
 * Checks one checkout notification from DOKU (docs/channels.md#doku-e-wallet-checkout), for the
 * backend route that receives them. Pure: no I/O, no clock of its own.
 *
 * DOKU signs a notification like a request: `Client-Id` (ours), its own `Request-Id`,
 * `Request-Timestamp`, `Request-Target` = the path of OUR notification route, and the Digest of the
 * exact body bytes. Anything that does not check out is refused without reading the body further;
 * the caller answers 2xx only after storing an accepted one, and deduplicates on `requestId`.
 */

export interface CheckoutNotificationInput {
  /** Request headers, names in lower case (as Node and Fastify give them). */
  headers: Readonly<Record<string, string | string[] | undefined>>;
  /** The body exactly as received: the Digest is over these bytes, never a re-serialisation. */
  rawBody: Buffer | string;
  /** The path of our notification route, e.g. `/v1/callbacks/doku/checkout`. */
  targetPath: string;
  clientId: string;
  secretKey: string;
  now: Date;
  /** How far `Request-Timestamp` may be from `now`; default five minutes. */
  maxSkewMs?: number;
}

export type CheckoutNotificationRefusal =
  'MISSING_HEADER' | 'UNKNOWN_CLIENT' | 'BAD_REQUEST_ID' | 'BAD_TIMESTAMP' | 'STALE_TIMESTAMP' | 'BAD_SIGNATURE' | 'BAD_BODY';

export type CheckoutNotificationVerdict =
  { ok: true; requestId: string; outcome: CheckoutOutcome } | { ok: false; reason: CheckoutNotificationRefusal };

const DEFAULT_SKEW_MS = 5 * 60 * 1000;
const REQUEST_ID = /^[\x21-\x7e]{1,128}$/;

function header(headers: CheckoutNotificationInput['headers'], name: string): string | undefined {
  const value = headers[name];
  const one = Array.isArray(value) ? (value.length === 1 ? value[0] : undefined) : value;
  return one === undefined || one === '' ? undefined : one;
}

export function verifyCheckoutNotification(input: CheckoutNotificationInput): CheckoutNotificationVerdict {
  const clientId = header(input.headers, 'client-id');
  const requestId = header(input.headers, 'request-id');
  const timestamp = header(input.headers, 'request-timestamp');
  const signature = header(input.headers, 'signature');
  if (clientId === undefined || requestId === undefined || timestamp === undefined || signature === undefined) {
    return { ok: false, reason: 'MISSING_HEADER' };
  }
  if (clientId !== input.clientId) return { ok: false, reason: 'UNKNOWN_CLIENT' };
  if (!REQUEST_ID.test(requestId)) return { ok: false, reason: 'BAD_REQUEST_ID' };
  const sentAt = parseUtcTimestamp(timestamp);
  if (sentAt === undefined) return { ok: false, reason: 'BAD_TIMESTAMP' };
  if (Math.abs(input.now.getTime() - sentAt) > (input.maxSkewMs ?? DEFAULT_SKEW_MS)) return { ok: false, reason: 'STALE_TIMESTAMP' };
  const signed = verifyNonSnapSignature(
    { clientId, requestId, timestamp, target: input.targetPath, body: input.rawBody },
    input.secretKey,
    signature,
  );
  if (!signed) return { ok: false, reason: 'BAD_SIGNATURE' };
  let body: unknown;
  try {
    body = JSON.parse(typeof input.rawBody === 'string' ? input.rawBody : input.rawBody.toString('utf8'));
  } catch {
    return { ok: false, reason: 'BAD_BODY' };
  }
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return { ok: false, reason: 'BAD_BODY' };
  const outcome = toCheckoutOutcome(body);
  if (outcome.invoiceNumber === null) return { ok: false, reason: 'BAD_BODY' };
  return { ok: true, requestId, outcome };
}
