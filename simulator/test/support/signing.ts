import { createHash, createHmac, createSign, createVerify, createDecipheriv } from 'node:crypto';

/**
 * The tests' own SNAP signing code (docs/doku-integration.md#symmetric-signature, #worked-examples). Written
 * independently of simulator/src so the simulator's verifier is checked against a second implementation.
 */
export function bodyHash(body: string): string {
  return createHash('sha256').update(body, 'utf8').digest('hex');
}

export function snapSymmetric(args: {
  method: string;
  path: string;
  token: string;
  body: string;
  timestamp: string;
  secret: string;
}): string {
  const sts = `${args.method.toUpperCase()}:${args.path}:${args.token}:${bodyHash(args.body)}:${args.timestamp}`;
  return createHmac('sha512', Buffer.from(args.secret, 'utf8')).update(sts, 'utf8').digest('base64');
}

export function snapTokenSignature(clientId: string, timestamp: string, privateKeyPem: string): string {
  return createSign('RSA-SHA256').update(`${clientId}|${timestamp}`, 'utf8').sign(privateKeyPem, 'base64');
}

export function rsaVerify(publicKeyPem: string, message: string, signatureB64: string): boolean {
  return createVerify('RSA-SHA256').update(message, 'utf8').verify(publicKeyPem, signatureB64, 'base64');
}

export function aesEcbDecrypt(key: string, b64: string): string {
  const k = Buffer.from(key, 'utf8');
  const d = createDecipheriv(`aes-${k.length * 8}-ecb`, k, null);
  return Buffer.concat([d.update(Buffer.from(b64, 'base64')), d.final()]).toString('utf8');
}

/** `YYYY-MM-DDTHH:mm:ss+07:00` for the given epoch milliseconds. */
export function jakartaTimestamp(ms: number): string {
  const d = new Date(ms + 7 * 3600_000);
  return `${d.toISOString().slice(0, 19)}+07:00`;
}
