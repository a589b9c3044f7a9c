import { createCipheriv, randomBytes } from 'node:crypto';
import { SecretBox, secretBoxKeyId } from './secret-box';

describe(SecretBox.name, () => {
  const key = randomBytes(32).toString('base64');
  const box = new SecretBox(key);
  const token = 'eyJhbGciOiJSUzI1NiJ9.payload.signature-ü';

  it('opens what it sealed, for the same context', () => {
    const sealed = box.seal(token, 'doku_customer_tokens|u1|access');
    expect(sealed.startsWith(`v2.${secretBoxKeyId(key)}.`)).toBe(true);
    expect(sealed).not.toContain(token);
    expect(box.open(sealed, 'doku_customer_tokens|u1|access')).toBe(token);
  });

  it('uses a fresh IV each time, so equal plaintexts give different ciphertexts', () => {
    const a = box.seal(token, 'c');
    const b = box.seal(token, 'c');
    expect(a).not.toBe(b);
    expect(a.split('.')[2]).not.toBe(b.split('.')[2]);
    expect(Buffer.from(a.split('.')[2], 'base64url')).toHaveLength(12);
  });

  it('detects tampering with the ciphertext, the tag or the IV', () => {
    const sealed = box.seal(token, 'c');
    const [v, kid, iv, ct, tag] = sealed.split('.');
    const flip = (part: string): string => {
      const bytes = Buffer.from(part, 'base64url');
      bytes[0] ^= 0x01;
      return bytes.toString('base64url');
    };
    expect(() => box.open([v, kid, iv, flip(ct), tag].join('.'), 'c')).toThrow();
    expect(() => box.open([v, kid, iv, ct, flip(tag)].join('.'), 'c')).toThrow();
    expect(() => box.open([v, kid, flip(iv), ct, tag].join('.'), 'c')).toThrow();
  });

  it('refuses a value sealed for another context (a ciphertext copied to another row)', () => {
    const sealed = box.seal(token, 'doku_customer_tokens|u1|access');
    expect(() => box.open(sealed, 'doku_customer_tokens|u2|access')).toThrow();
  });

  it('refuses to open with the wrong key', () => {
    const sealed = box.seal(token, 'c');
    const other = new SecretBox(randomBytes(32).toString('base64'));
    expect(() => other.open(sealed, 'c')).toThrow();
  });

  it('refuses unknown versions and malformed values', () => {
    const [, kid, iv, ct, tag] = box.seal(token, 'c').split('.');
    expect(() => box.open(['v3', kid, iv, ct, tag].join('.'), 'c')).toThrow('Unsupported sealed value format');
    expect(() => box.open('not-sealed', 'c')).toThrow('Unsupported sealed value format');
    expect(() => box.open(['v2', kid, 'AA', ct, tag].join('.'), 'c')).toThrow('Malformed sealed value');
  });

  it('with several keys the first seals and each opens what it sealed; a key removed opens nothing more', () => {
    const next = randomBytes(32).toString('base64');
    const sealedBefore = box.seal(token, 'c');
    const overlap = new SecretBox([next, key]);
    expect(overlap.activeKeyId).toBe(secretBoxKeyId(next));
    expect(overlap.open(sealedBefore, 'c')).toBe(token);
    expect(overlap.isCurrent(sealedBefore)).toBe(false);
    const sealedAfter = overlap.seal(token, 'c');
    expect(overlap.isCurrent(sealedAfter)).toBe(true);
    expect(sealedAfter.split('.')[1]).toBe(secretBoxKeyId(next));
    // An instance not switched yet (new key added, old one sealing) reads the new values too.
    expect(new SecretBox([key, next]).open(sealedAfter, 'c')).toBe(token);
    const retired = new SecretBox(next);
    expect(retired.open(sealedAfter, 'c')).toBe(token);
    expect(() => retired.open(sealedBefore, 'c')).toThrow('Sealed with a key that is not configured');
  });

  it('reads values of the first format (no key id) with whichever configured key opens them', () => {
    const keyBytes = Buffer.from(key, 'base64');
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', keyBytes, iv, { authTagLength: 16 });
    cipher.setAAD(Buffer.from('c', 'utf8'));
    const ct = Buffer.concat([cipher.update(token, 'utf8'), cipher.final()]);
    const v1 = ['v1', iv.toString('base64url'), ct.toString('base64url'), cipher.getAuthTag().toString('base64url')].join('.');
    const overlap = new SecretBox([randomBytes(32).toString('base64'), key]);
    expect(overlap.open(v1, 'c')).toBe(token);
    expect(overlap.isCurrent(v1)).toBe(false);
    expect(() => new SecretBox(randomBytes(32).toString('base64')).open(v1, 'c')).toThrow();
  });

  it('refuses keys that are not 32 bytes', () => {
    expect(() => new SecretBox(randomBytes(16).toString('base64'))).toThrow(RangeError);
  });
});
