import { createHash, createHmac } from 'node:crypto';

/**
 * Seeded randomness. Identifiers come from a sequential PRNG; fault decisions come from a keyed hash of
 * (seed, rule, endpoint, business key, occurrence), so the same seed and the same client references give
 * the same decisions regardless of how concurrent requests interleave.
 */
export class SeededRandom {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(readonly seed: string) {
    const h = createHash('sha256').update(`rng:${seed}`).digest();
    this.a = h.readUInt32LE(0);
    this.b = h.readUInt32LE(4);
    this.c = h.readUInt32LE(8);
    this.d = h.readUInt32LE(12) | 1;
  }

  /** sfc32: uniform in [0, 1). */
  next(): number {
    this.a >>>= 0;
    this.b >>>= 0;
    this.c >>>= 0;
    this.d >>>= 0;
    const t = (this.a + this.b + this.d) >>> 0;
    this.d = (this.d + 1) >>> 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) >>> 0;
    this.c = ((this.c << 21) | (this.c >>> 11)) >>> 0;
    this.c = (this.c + t) >>> 0;
    return t / 4294967296;
  }

  int(maxExclusive: number): number {
    return Math.floor(this.next() * maxExclusive);
  }

  digits(count: number): string {
    let out = '';
    for (let i = 0; i < count; i++) out += String(this.int(10));
    return out;
  }

  alphanumeric(count: number): string {
    const chars = 'abcdefghijklmnopqrstuvwxyz0123456789';
    let out = '';
    for (let i = 0; i < count; i++) out += chars[this.int(chars.length)];
    return out;
  }
}

/** A deterministic number in [0, 1) for the given seed and key. */
export function keyedUniform(seed: string, key: string): number {
  const h = createHmac('sha256', seed).update(key).digest();
  return h.readUInt32BE(0) / 4294967296;
}
