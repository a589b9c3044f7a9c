import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';

const ALGORITHM = 'aes-256-gcm';
const IV_BYTES = 12;
const TAG_BYTES = 16;
// Format version 1: `v1.<iv>.<ciphertext>.<tag>`, no key id (written before keys rotated); still
// read, with each configured key in turn (the GCM tag tells the right one). Version 2 names its
// key: `v2.<key id>.<iv>.<ciphertext>.<tag>`.
const V1 = 'v1';
const V2 = 'v2';

/** A key's id: the first 9 bytes of its SHA-256, base64url. Names the key, reveals nothing of it. */
export function secretBoxKeyId(keyBase64: string): string {
  return createHash('sha256').update(Buffer.from(keyBase64, 'base64')).digest().subarray(0, 9).toString('base64url');
}

/**
 * Encryption at rest for secrets we must be able to read back (DOKU access and refresh tokens,
 * webhook secrets): AES-256-GCM with a fresh random 12-byte IV per value, sealed as
 * `v2.<key id>.<iv>.<ciphertext>.<tag>` (base64url parts). `context` is bound as additional
 * authenticated data: a value sealed for one row and purpose (e.g. `doku_customer_tokens|<userId>|access`)
 * does not open under another, so a ciphertext copied between rows is refused rather than handed out.
 *
 * Several keys at once (DOKU_TOKEN_ENCRYPTION_KEY, docs/operations.md#rotating-keys): the first
 * seals, every one opens what names it; `isCurrent` tells a value the re-encryption job must seal again.
 */
export class SecretBox {
  private readonly keys = new Map<string, Buffer>();
  readonly activeKeyId: string;

  /** @param keysBase64 one or more keys of 32 bytes, base64-encoded; the first seals. */
  constructor(keysBase64: string | string[]) {
    const list = typeof keysBase64 === 'string' ? [keysBase64] : keysBase64;
    if (!list.length) throw new RangeError('SecretBox needs a key');
    for (const keyBase64 of list) {
      const key = Buffer.from(keyBase64, 'base64');
      if (key.length !== 32) throw new RangeError('SecretBox key must be 32 bytes (base64-encoded)');
      this.keys.set(secretBoxKeyId(keyBase64), key);
    }
    this.activeKeyId = secretBoxKeyId(list[0]);
  }

  seal(plaintext: string, context: string): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv(ALGORITHM, this.keys.get(this.activeKeyId)!, iv, { authTagLength: TAG_BYTES });
    cipher.setAAD(Buffer.from(context, 'utf8'));
    const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    const tag = cipher.getAuthTag();
    return [V2, this.activeKeyId, iv.toString('base64url'), ciphertext.toString('base64url'), tag.toString('base64url')].join('.');
  }

  /** Throws on a wrong or unknown key, a wrong context, an unknown version or any tampering. */
  open(sealed: string, context: string): string {
    const parts = sealed.split('.');
    if (parts.length === 5 && parts[0] === V2) {
      const key = this.keys.get(parts[1]);
      if (!key) throw new Error('Sealed with a key that is not configured');
      return decrypt(key, parts.slice(2), context);
    }
    if (parts.length !== 4 || parts[0] !== V1) throw new Error('Unsupported sealed value format');
    let failure: unknown;
    for (const key of this.keys.values()) {
      try {
        return decrypt(key, parts.slice(1), context);
      } catch (e) {
        failure = e;
      }
    }
    throw failure instanceof Error ? failure : new Error('The sealed value does not open');
  }

  /** The value is sealed with the key that seals now: nothing for the re-encryption job to do. */
  isCurrent(sealed: string): boolean {
    return sealed.startsWith(`${V2}.${this.activeKeyId}.`);
  }
}

function decrypt(key: Buffer, [ivPart, ciphertextPart, tagPart]: string[], context: string): string {
  const iv = Buffer.from(ivPart, 'base64url');
  const ciphertext = Buffer.from(ciphertextPart, 'base64url');
  const tag = Buffer.from(tagPart, 'base64url');
  if (iv.length !== IV_BYTES || tag.length !== TAG_BYTES) throw new Error('Malformed sealed value');
  const decipher = createDecipheriv(ALGORITHM, key, iv, { authTagLength: TAG_BYTES });
  decipher.setAAD(Buffer.from(context, 'utf8'));
  decipher.setAuthTag(tag);
  return Buffer.concat([decipher.update(ciphertext), decipher.final()]).toString('utf8');
}
