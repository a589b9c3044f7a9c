import { randomBytes } from 'node:crypto';
import type { FaultRule, FaultTarget, FaultType } from '../../../simulator/src/faults';

/**
 * The battery's shared knobs (docs/reliability.md#harness): one printed seed drives every random
 * choice, and one size knob picks the reduced (CI) or full (`npm run test:reliability`) figures.
 *
 *   RELIABILITY_SEED=<any string>   replay a run (default: random, chosen once per run by the e2e
 *                                   global setup and printed at start)
 *   RELIABILITY_SIZE=reduced|full   default reduced
 */
export const RELIABILITY_SEED: string = process.env.RELIABILITY_SEED || randomBytes(6).toString('hex');

export type BatterySize = 'reduced' | 'full';
export const RELIABILITY_SIZE: BatterySize = process.env.RELIABILITY_SIZE === 'full' ? 'full' : 'reduced';

/** The reduced or the full figure, by the size knob. */
export function sized<T>(reduced: T, full: T): T {
  return RELIABILITY_SIZE === 'full' ? full : reduced;
}

/** xmur3: a 32-bit hash of a string, to seed the generator. */
function hashSeed(text: string): () => number {
  let h = 1779033703 ^ text.length;
  for (let i = 0; i < text.length; i++) {
    h = Math.imul(h ^ text.charCodeAt(i), 3432918353);
    h = (h << 13) | (h >>> 19);
  }
  return () => {
    h = Math.imul(h ^ (h >>> 16), 2246822507);
    h = Math.imul(h ^ (h >>> 13), 3266489909);
    return (h ^= h >>> 16) >>> 0;
  };
}

/** sfc32, a small fast seeded PRNG: the same seed gives the same sequence on every machine. */
export class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(readonly seed: string) {
    const next = hashSeed(seed);
    this.a = next();
    this.b = next();
    this.c = next();
    this.d = next();
    for (let i = 0; i < 15; i++) this.next();
  }

  /** A float in [0, 1). */
  next(): number {
    this.a >>>= 0;
    this.b >>>= 0;
    this.c >>>= 0;
    this.d >>>= 0;
    let t = (this.a + this.b) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.d = (this.d + 1) | 0;
    t = (t + this.d) | 0;
    this.c = (this.c + t) | 0;
    return (t >>> 0) / 4294967296;
  }

  /** An integer in [min, max]. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new Error('pick from an empty list');
    return items[Math.floor(this.next() * items.length)];
  }

  /** A new array in a random order (Fisher-Yates). */
  shuffle<T>(items: readonly T[]): T[] {
    const out = [...items];
    for (let i = out.length - 1; i > 0; i--) {
      const j = Math.floor(this.next() * (i + 1));
      [out[i], out[j]] = [out[j], out[i]];
    }
    return out;
  }

  /** `n` characters of [0-9a-f]. */
  hex(n: number): string {
    let s = '';
    while (s.length < n) s += Math.floor(this.next() * 16).toString(16);
    return s;
  }

  /** `n` decimal digits (the first one not 0). */
  digits(n: number): string {
    let s = String(this.int(1, 9));
    while (s.length < n) s += String(this.int(0, 9));
    return s;
  }

  /** A child generator for one part of a run, independent of how much the parent was used. */
  fork(label: string): Rng {
    return new Rng(`${this.seed}/${label}`);
  }
}

/** The generator of one battery test: derived from the run seed and the test's name. */
export function batteryRng(test: string): Rng {
  return new Rng(`${RELIABILITY_SEED}:${test}`);
}

/** Printed once per test file before anything runs, so a failing run can be replayed. */
export function announce(test: string): void {
  process.stdout.write(
    `${JSON.stringify({ battery: test, event: 'start', seed: RELIABILITY_SEED, size: RELIABILITY_SIZE, replay: `RELIABILITY_SEED=${RELIABILITY_SEED} RELIABILITY_SIZE=${RELIABILITY_SIZE}` })}\n`,
  );
}

/** A test's figures as one JSON line on stdout (docs/reliability.md#the-battery). */
export function printFigures(test: string, figures: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify({ battery: test, seed: RELIABILITY_SEED, size: RELIABILITY_SIZE, ...figures })}\n`);
}

/** Counts by label. */
export class Tally {
  readonly counts: Record<string, number> = {};
  add(label: string, n = 1): void {
    this.counts[label] = (this.counts[label] ?? 0) + n;
  }
  get(label: string): number {
    return this.counts[label] ?? 0;
  }
}

/**
 * Proof that each injected fault or hostile input actually happened: a run in which one never
 * fired proves nothing, so it fails. Returns the labels below their minimum (empty when all fired).
 */
export function belowMinimum(
  fired: Record<string, number>,
  minimum: Record<string, number>,
): Array<{ fault: string; fired: number; minimum: number }> {
  return Object.entries(minimum)
    .filter(([fault, min]) => (fired[fault] ?? 0) < min)
    .map(([fault, min]) => ({ fault, fired: fired[fault] ?? 0, minimum: min }));
}

/** What a fault of this type needs beside its type: a delay past our timeout, or the 5xx to answer. */
export function faultParams(type: FaultType, latencyMs: number, status: FaultRule['status'] = 503): Partial<FaultRule> {
  return type === 'latency' ? { latencyMs } : type === 'error_before' || type === 'error_after' ? { status } : {};
}

/**
 * Faults planned on named operations beside the random ones: the i-th fault once on the operation of
 * the i-th amount (rules keyed by amount), so that every kind provably happens whatever the seed and
 * `belowMinimum` proves the battery rather than the seed's luck.
 */
export function plannedFaults(
  endpoint: FaultTarget,
  types: readonly FaultType[],
  amounts: readonly number[],
  extra: (type: FaultType) => Partial<FaultRule> = () => ({}),
): FaultRule[] {
  if (amounts.length < types.length) throw new Error(`plannedFaults: ${types.length} faults need ${types.length} amounts`);
  return types.map((type, i) => ({
    ...extra(type),
    id: `${type}@${endpoint}:planned`,
    endpoint,
    type,
    times: 1,
    keyBy: 'amount',
    keys: [`amount:${amounts[i]}.00`],
  }));
}

/** Runs `work` over `items` with at most `limit` in flight, in order of the items. */
export async function mapLimit<T, R>(items: readonly T[], limit: number, work: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const lanes = Array.from({ length: Math.min(limit, items.length) }, async () => {
    for (;;) {
      const i = next++;
      if (i >= items.length) return;
      out[i] = await work(items[i], i);
    }
  });
  await Promise.all(lanes);
  return out;
}

/** A gate many requests wait on, opened once every one of them is ready: they leave together. */
export class Barrier {
  private waiting = 0;
  private open!: () => void;
  private readonly opened = new Promise<void>((resolve) => (this.open = resolve));

  constructor(private readonly parties: number) {}

  /** Resolves when all `parties` have arrived. */
  arrive(): Promise<void> {
    this.waiting++;
    if (this.waiting >= this.parties) this.open();
    return this.opened;
  }
}
