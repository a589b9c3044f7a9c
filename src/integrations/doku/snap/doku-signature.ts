import type { KeyObject } from 'node:crypto';
import {
  createCipheriv,
  createDecipheriv,
  createHash,
  createHmac,
  createPrivateKey,
  createPublicKey,
  createSign,
  createVerify,
  timingSafeEqual,
} from 'node:crypto';

/**
 * SNAP signatures for DOKU Wallet (docs/doku-integration.md#symmetric-signature, #b2b-token,
 * #notifications). Pure functions over strings; key objects are parsed once by the caller
 * (`parsePrivateKey` / `parsePublicKey`) because re-parsing a PEM per call costs about 3x the RSA
 * signature itself (docs/reliability.md#measured-costs).
 */

/** Lowercase hex SHA-256 of the exact body string (UTF-8). The empty body hashes the empty string. */
export function sha256Hex(body: string): string {
  return createHash('sha256').update(body, 'utf8').digest('hex');
}

export interface SymmetricSignatureInput {
  method: string;
  /** Path only, with the `/snap-adapter/...` prefix and leading slash. */
  path: string;
  /** The B2B token without `Bearer `; on B2B2C calls still the B2B token. */
  accessToken: string;
  /** The exact string that is (or was) sent: never re-serialised after hashing. */
  body: string;
  timestamp: string;
  clientSecret: string;
}

/** `METHOD:path:token:sha256hex(body):timestamp` (docs/doku-integration.md#symmetric-signature). */
export function symmetricStringToSign(input: Omit<SymmetricSignatureInput, 'clientSecret'>): string {
  return `${input.method.toUpperCase()}:${input.path}:${input.accessToken}:${sha256Hex(input.body)}:${input.timestamp}`;
}

/** `X-SIGNATURE` of a transactional call: Base64(HMAC-SHA512(clientSecret, stringToSign)). */
export function symmetricSignature(input: SymmetricSignatureInput): string {
  return createHmac('sha512', Buffer.from(input.clientSecret, 'utf8')).update(symmetricStringToSign(input), 'utf8').digest('base64');
}

/** Parses a PEM private key (PKCS#8 or PKCS#1) once, at construction time. */
export function parsePrivateKey(pem: string): KeyObject {
  return createPrivateKey({ key: pem, format: 'pem' });
}

/** Parses a PEM public key (SPKI) once, at construction time. */
export function parsePublicKey(pem: string): KeyObject {
  return createPublicKey({ key: pem, format: 'pem' });
}

/** `X-SIGNATURE` of a token request: Base64(SHA256withRSA(privateKey, `clientId|timestamp`)) (docs/doku-integration.md#b2b-token). */
export function tokenSignature(clientId: string, timestamp: string, privateKey: KeyObject): string {
  return createSign('RSA-SHA256').update(`${clientId}|${timestamp}`, 'utf8').sign(privateKey, 'base64');
}

/**
 * Checks DOKU's token request to us, the first step of a notification (docs/doku-integration.md#notifications):
 * SHA256withRSA over `clientId|timestamp` under DOKU's key, verified with DOKU's public key.
 */
export function verifyTokenRequestSignature(clientId: string, timestamp: string, signature: string, dokuPublicKey: KeyObject): boolean {
  return verifyRsa(`${clientId}|${timestamp}`, signature, dokuPublicKey);
}

export interface NotificationSymmetricInput {
  /** Our notification path, as DOKU signs it. */
  path: string;
  /** The token from DOKU's `Authorization: Bearer` header, i.e. the one we issued in the handshake. */
  bearerToken: string;
  /** The raw received body, exactly as read from the socket. */
  rawBody: string;
  timestamp: string;
  signature: string;
  clientSecret: string;
}

/** HMAC form of a DOKU notification signature (docs/doku-integration.md#notifications). */
export function verifyNotificationSymmetric(input: NotificationSymmetricInput): boolean {
  const expected = symmetricSignature({
    method: 'POST',
    path: input.path,
    accessToken: input.bearerToken,
    body: input.rawBody,
    timestamp: input.timestamp,
    clientSecret: input.clientSecret,
  });
  return constantTimeEquals(expected, input.signature);
}

export interface NotificationAsymmetricInput {
  path: string;
  rawBody: string;
  timestamp: string;
  signature: string;
  dokuPublicKey: KeyObject;
}

/** `POST:path:sha256hex(body):timestamp` for the RSA form of a notification signature. */
export function notificationAsymmetricStringToSign(path: string, rawBody: string, timestamp: string): string {
  return `POST:${path}:${sha256Hex(rawBody)}:${timestamp}`;
}

/** RSA form of a DOKU notification signature, checked with DOKU's public key. */
export function verifyNotificationAsymmetric(input: NotificationAsymmetricInput): boolean {
  return verifyRsa(notificationAsymmetricStringToSign(input.path, input.rawBody, input.timestamp), input.signature, input.dokuPublicKey);
}

/**
 * Compares two signature strings in time independent of where they differ. Exact, case-sensitive
 * comparison: Base64 is case-sensitive, unlike what DOKU's Node and Java SDKs do.
 */
export function constantTimeEquals(expected: string, actual: string): boolean {
  if (typeof expected !== 'string' || typeof actual !== 'string') return false;
  const a = Buffer.from(expected, 'utf8');
  const b = Buffer.from(actual, 'utf8');
  // timingSafeEqual needs equal lengths; compare against itself so the length check leaks only length.
  if (a.length !== b.length) {
    timingSafeEqual(a, a);
    return false;
  }
  return timingSafeEqual(a, b);
}

function aesEcbAlgorithm(key: Buffer): 'aes-128-ecb' | 'aes-192-ecb' | 'aes-256-ecb' {
  switch (key.length) {
    case 16:
      return 'aes-128-ecb';
    case 24:
      return 'aes-192-ecb';
    case 32:
      return 'aes-256-ecb';
    default:
      throw new RangeError(`auth-code key must be 16, 24 or 32 bytes (got ${key.length})`);
  }
}

/**
 * Decrypts Query Account Binding's `additionalInfo.authCode`: Base64 of AES/ECB/PKCS7 under the
 * partner's auth-code key; the key's UTF-8 length selects AES-128/192/256 (docs/doku-integration.md#credentials).
 * ECB is DOKU's choice, not ours. Throws on a wrong key or corrupted input (bad padding).
 */
export function decryptAuthCode(ciphertextBase64: string, key: string): string {
  const keyBytes = Buffer.from(key, 'utf8');
  const decipher = createDecipheriv(aesEcbAlgorithm(keyBytes), keyBytes, null);
  decipher.setAutoPadding(true);
  return Buffer.concat([decipher.update(Buffer.from(ciphertextBase64, 'base64')), decipher.final()]).toString('utf8');
}

/** The inverse of {@link decryptAuthCode}; what DOKU (and the simulator) does. */
export function encryptAuthCode(plaintext: string, key: string): string {
  const keyBytes = Buffer.from(key, 'utf8');
  const cipher = createCipheriv(aesEcbAlgorithm(keyBytes), keyBytes, null);
  return Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]).toString('base64');
}

const JAKARTA_OFFSET_MS = 7 * 60 * 60 * 1000;

/**
 * `YYYY-MM-DDTHH:mm:ss+07:00` in Asia/Jakarta time, no milliseconds: the one form our client sends
 * (docs/doku-integration.md#timestamp-format). Jakarta has no daylight saving, so a fixed +07:00 is exact.
 */
export function jakartaTimestamp(date: Date): string {
  const t = new Date(date.getTime() + JAKARTA_OFFSET_MS);
  const p = (n: number) => String(n).padStart(2, '0');
  return (
    `${String(t.getUTCFullYear()).padStart(4, '0')}-${p(t.getUTCMonth() + 1)}-${p(t.getUTCDate())}` +
    `T${p(t.getUTCHours())}:${p(t.getUTCMinutes())}:${p(t.getUTCSeconds())}+07:00`
  );
}

function verifyRsa(stringToSign: string, signature: string, publicKey: KeyObject): boolean {
  if (typeof signature !== 'string' || signature.length === 0) return false;
  // Node's Base64 decoder is lenient (Base64url characters, unused low bits, missing padding), so
  // many texts decode to the same signature: accept only its one canonical text, like the HMAC form.
  const bytes = Buffer.from(signature, 'base64');
  if (bytes.toString('base64') !== signature) return false;
  try {
    return createVerify('RSA-SHA256').update(stringToSign, 'utf8').verify(publicKey, bytes);
  } catch {
    // A malformed signature is a failed verification, not a crash of the notification route.
    return false;
  }
}
