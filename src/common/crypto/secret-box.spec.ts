import { randomBytes } from 'node:crypto';
import { SecretBox } from './secret-box';

describe(SecretBox.name, () => {
  const key = randomBytes(32).toString('base64');
  const box = new SecretBox(key);
  const token = 'eyJhbGciOiJSUzI1NiJ9.payload.signature-ü';

  it('opens what it sealed, for the same context', () => {
    const sealed = box.seal(token, 'doku_customer_tokens|u1|access');
    expect(sealed.startsWith('v1.')).toBe(true);
    expect(sealed).not.toContain(token);
    expect(box.open(sealed, 'doku_customer_tokens|u1|access')).toBe(token);
  });

  it('uses a fresh IV each time, so equal plaintexts give different ciphertexts', () => {
    const a = box.seal(token, 'c');
    const b = box.seal(token, 'c');
    expect(a).not.toBe(b);
    expect(a.split('.')[1]).not.toBe(b.split('.')[1]);
    expect(Buffer.from(a.split('.')[1], 'base64url')).toHaveLength(12);
  });

  it('detects tampering with the ciphertext, the tag or the IV', () => {
    const sealed = box.seal(token, 'c');
    const [v, iv, ct, tag] = sealed.split('.');
    const flip = (part: string): string => {
      const bytes = Buffer.from(part, 'base64url');
      bytes[0] ^= 0x01;
      return bytes.toString('base64url');
    };
    expect(() => box.open([v, iv, flip(ct), tag].join('.'), 'c')).toThrow();
    expect(() => box.open([v, iv, ct, flip(tag)].join('.'), 'c')).toThrow();
    expect(() => box.open([v, flip(iv), ct, tag].join('.'), 'c')).toThrow();
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
    const [, iv, ct, tag] = box.seal(token, 'c').split('.');
    expect(() => box.open(['v2', iv, ct, tag].join('.'), 'c')).toThrow('Unsupported sealed value format');
    expect(() => box.open('not-sealed', 'c')).toThrow('Unsupported sealed value format');
    expect(() => box.open(['v1', 'AA', ct, tag].join('.'), 'c')).toThrow('Malformed sealed value');
  });

  it('refuses keys that are not 32 bytes', () => {
    expect(() => new SecretBox(randomBytes(16).toString('base64'))).toThrow(RangeError);
  });
});
