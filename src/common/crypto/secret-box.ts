import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

const ALGORITHM = 'aes-256-gcm';
const IV_BYTES = 12;
const TAG_BYTES = 16;
// Format version 1: AES-256-GCM, 12-byte random IV, 16-byte tag. A new format or key gets a new
// prefix, so rows written before a change stay readable while they are re-encrypted.
const V1 = 'v1';

/**
 * Encryption at rest for secrets we must be able to read back (DOKU access and refresh tokens):
 * AES-256-GCM with a fresh random 12-byte IV per value, sealed as `v1.<iv>.<ciphertext>.<tag>`
 * (base64url parts). `context` is bound as additional authenticated data: a value sealed for one
 * row and purpose (e.g. `doku_customer_tokens|<userId>|access`) does not open under another, so a
 * ciphertext copied between rows is refused rather than handed out.
 */
export class SecretBox {
  private readonly key: Buffer;

  /** @param keyBase64 32 bytes, base64-encoded (`DOKU_TOKEN_ENCRYPTION_KEY`). */
  constructor(keyBase64: string) {
    const key = Buffer.from(keyBase64, 'base64');
    if (key.length !== 32) throw new RangeError('SecretBox key must be 32 bytes (base64-encoded)');
    this.key = key;
  }

  seal(plaintext: string, context: string): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv(ALGORITHM, this.key, iv, { authTagLength: TAG_BYTES });
    cipher.setAAD(Buffer.from(context, 'utf8'));
    const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    const tag = cipher.getAuthTag();
    return [V1, iv.toString('base64url'), ciphertext.toString('base64url'), tag.toString('base64url')].join('.');
  }

  /** Throws on a wrong key, a wrong context, an unknown version or any tampering. */
  open(sealed: string, context: string): string {
    const parts = sealed.split('.');
    if (parts.length !== 4 || parts[0] !== V1) throw new Error('Unsupported sealed value format');
    const iv = Buffer.from(parts[1], 'base64url');
    const ciphertext = Buffer.from(parts[2], 'base64url');
    const tag = Buffer.from(parts[3], 'base64url');
    if (iv.length !== IV_BYTES || tag.length !== TAG_BYTES) throw new Error('Malformed sealed value');
    const decipher = createDecipheriv(ALGORITHM, this.key, iv, { authTagLength: TAG_BYTES });
    decipher.setAAD(Buffer.from(context, 'utf8'));
    decipher.setAuthTag(tag);
    return Buffer.concat([decipher.update(ciphertext), decipher.final()]).toString('utf8');
  }
}
