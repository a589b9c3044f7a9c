import type { KeyObject } from 'node:crypto';
import {
  createCipheriv,
  createHash,
  createHmac,
  createPrivateKey,
  createPublicKey,
  randomUUID,
  sign as rsaSignRaw,
  timingSafeEqual,
  verify as rsaVerifyRaw,
} from 'node:crypto';

/**
 * The simulator's own SNAP cryptography (docs/doku-integration.md#symmetric-signature, #b2b-token,
 * #notifications). Deliberately independent of the partner backend's code so a mistake there cannot hide
 * here.
 */

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

export function sha256Hex(data: Buffer | string): string {
  return createHash('sha256').update(data).digest('hex');
}

/** `clientId|X-TIMESTAMP`, the string both token calls sign. */
export function tokenStringToSign(clientId: string, timestamp: string): string {
  return `${clientId}|${timestamp}`;
}

/** `METHOD:path:token:sha256hex(body):timestamp`. `body` is hashed exactly as received. */
export function symmetricStringToSign(method: string, path: string, token: string, body: Buffer | string, timestamp: string): string {
  return `${method.toUpperCase()}:${path}:${token}:${sha256Hex(body)}:${timestamp}`;
}

export function hmacSha512Base64(secret: string, message: string): string {
  return createHmac('sha512', Buffer.from(secret, 'utf8')).update(message, 'utf8').digest('base64');
}

export function symmetricSignature(args: {
  method: string;
  path: string;
  token: string;
  body: Buffer | string;
  timestamp: string;
  secret: string;
}): string {
  return hmacSha512Base64(args.secret, symmetricStringToSign(args.method, args.path, args.token, args.body, args.timestamp));
}

/** Exact, constant-time string comparison (Base64 is case-sensitive). */
export function safeEqual(a: string, b: string): boolean {
  const ab = Buffer.from(a, 'utf8');
  const bb = Buffer.from(b, 'utf8');
  return ab.length === bb.length && timingSafeEqual(ab, bb);
}

export function verifySymmetric(
  expected: { method: string; path: string; token: string; body: Buffer | string; timestamp: string; secret: string },
  signature: string,
): boolean {
  return safeEqual(symmetricSignature(expected), signature);
}

export function rsaSignBase64(privateKey: KeyObject, message: string): string {
  return rsaSignRaw('sha256', Buffer.from(message, 'utf8'), privateKey).toString('base64');
}

/** SHA256withRSA (RSASSA-PKCS1-v1_5) verification of a Base64 signature. */
export function rsaVerifyBase64(publicKey: KeyObject, message: string, signature: string): boolean {
  if (!BASE64.test(signature) || signature.length % 4 !== 0) return false;
  try {
    return rsaVerifyRaw('sha256', Buffer.from(message, 'utf8'), publicKey, Buffer.from(signature, 'base64'));
  } catch {
    return false;
  }
}

export function loadPublicKey(pem: string): KeyObject {
  return createPublicKey(pem);
}

export function loadPrivateKey(pem: string): KeyObject {
  return createPrivateKey(pem);
}

/** A short name for an RSA key, the same for its private and public halves: SHA-256 of the public key (SPKI DER), 16 hex digits. */
export function keyFingerprint(key: KeyObject): string {
  const publicKey = key.type === 'private' ? createPublicKey(key) : key;
  return sha256Hex(publicKey.export({ type: 'spki', format: 'der' })).slice(0, 16);
}

function base64url(data: Buffer | string): string {
  return Buffer.from(data).toString('base64url');
}

/** An RS256 JWT with DOKU's header shape (`{"alg":"RS256"}`). */
export function mintJwt(privateKey: KeyObject, claims: Record<string, unknown>): string {
  const head = base64url(JSON.stringify({ alg: 'RS256' }));
  const body = base64url(JSON.stringify(claims));
  const sig = rsaSignRaw('sha256', Buffer.from(`${head}.${body}`, 'utf8'), privateKey);
  return `${head}.${body}.${base64url(sig)}`;
}

/**
 * Query Account Binding's encrypted authCode: AES/ECB/PKCS7, Base64. The key's UTF-8 byte
 * length selects AES-128/192/256, as in DOKU's demos.
 */
export function encryptAuthCode(key: string, plaintext: string): string {
  const keyBytes = Buffer.from(key, 'utf8');
  const bits = keyBytes.length * 8;
  if (bits !== 128 && bits !== 192 && bits !== 256) throw new Error('authCodeKey must be 16, 24 or 32 bytes');
  const cipher = createCipheriv(`aes-${bits}-ecb`, keyBytes, null);
  return Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]).toString('base64');
}

export function newUuid(): string {
  return randomUUID();
}
