import type { ChannelEndpointName, EndpointName } from './paths';
import { CHANNEL_ENDPOINT_NAMES, ENDPOINT_NAMES } from './paths';
import { keyedUniform } from './rng';

/**
 * Fault injection for reliability tests (docs/reliability.md, R2, R4, R5). Each rule fires by a keyed hash of
 * (seed, rule, endpoint, business key, occurrence), so a seed replays the same faults for the same traffic.
 */
export type FaultType =
  /** Wait `latencyMs` before processing. */
  | 'latency'
  /** Answer 5xx without applying anything. */
  | 'error_before'
  /** Apply the operation, then answer 5xx (the outcome is really committed). */
  | 'error_after'
  /** Apply the operation, then destroy the socket without answering. */
  | 'drop'
  /** Destroy the socket before processing: nothing is applied, and the caller cannot tell. */
  | 'refuse'
  /** Apply the operation, then answer HTTP 200 with a body that is not valid JSON (cut in half). */
  | 'malformed'
  /** Money operations (transfer, top-up): answer `202xx00` and leave the transaction pending (`03`). */
  | 'pending'
  /** Revoke the caller's B2B token just before it is checked: the call gets `401xx01`. */
  | 'revoke_token'
  /** Checkout (non-SNAP) answers: sign the answer with a wrong key, so the partner must refuse to believe it. */
  | 'bad_signature'
  /** Notifications: deliver the same notification twice. */
  | 'notify_duplicate'
  /** Notifications: hold this notification back until the next one has been sent. */
  | 'notify_out_of_order';

export const FAULT_TYPES: ReadonlyArray<FaultType> = [
  'latency',
  'error_before',
  'error_after',
  'drop',
  'refuse',
  'malformed',
  'pending',
  'revoke_token',
  'bad_signature',
  'notify_duplicate',
  'notify_out_of_order',
];

/** What a fault rule names: a wallet endpoint, an endpoint of another channel, notifications, or all. */
export type FaultTarget = EndpointName | ChannelEndpointName | 'notification' | '*';

export interface FaultRule {
  id?: string;
  endpoint: FaultTarget;
  type: FaultType;
  /** 0..1, default 1. */
  probability?: number;
  /** Fire at most this many times. */
  times?: number;
  /** `latency`: the delay (default 1000). `notify_out_of_order`: the longest hold (real ms, default 2000). */
  latencyMs?: number;
  /** HTTP status for error faults: 500 (default), 503 or 504. */
  status?: 500 | 503 | 504;
  /**
   * What names one operation in the fire decision: its business reference (default), or its amount
   * (`amount.value`, else `refundAmount.value`; the reference when the request has neither). A test
   * whose references are random per run but whose amounts are planned replays the same faults by amount.
   */
  keyBy?: FaultKey;
  /**
   * Only these operations, named as the firing log names them (`amount:60000.00` for a rule keyed by
   * amount, else the reference). With `times`, a test plans that a given operation meets a given fault
   * whatever the seed, beside the rules drawn at random.
   */
  keys?: string[];
}

export type FaultKey = 'reference' | 'amount';

interface ActiveRule extends Required<Pick<FaultRule, 'endpoint' | 'type' | 'probability'>> {
  id: string;
  times?: number;
  latencyMs: number;
  status: 500 | 503 | 504;
  keyBy: FaultKey;
  keys?: ReadonlySet<string>;
  fired: number;
  evaluated: number;
}

export interface FaultDecision {
  latencyMs: number;
  errorBefore?: number;
  errorAfter?: number;
  drop: boolean;
  refuse: boolean;
  malformed: boolean;
  pending: boolean;
  revokeToken: boolean;
  badSignature: boolean;
  notifyDuplicate: boolean;
  notifyOutOfOrder: boolean;
  /** How long a held-back notification waits for a later one to overtake it (real ms). */
  notifyHoldMs: number;
  fired: string[];
}

/** One fault that fired: which rule, on which endpoint, for which operation (its reference or `amount:<value>`). */
export interface FaultFiring {
  rule: string;
  type: FaultType;
  endpoint: EndpointName | ChannelEndpointName | 'notification';
  key: string;
}

/** How many firings are kept (the newest), so a long-running simulator stays bounded. */
const MAX_FIRINGS = 20_000;

/**
 * How many operations' occurrence counts are kept for drawn rules. Past it the count first taken
 * is forgotten (its operation draws as if new again): the same calls in the same order still
 * decide the same, and a long-running simulator with a drawn rule stays bounded.
 */
export const MAX_OCCURRENCE_KEYS = 100_000;

export class FaultInjector {
  private rules: ActiveRule[] = [];
  private occurrences = new Map<string, number>();
  /** The newest MAX_FIRINGS firings, as a ring: `firingNext` is where the next one goes, `firingCount` how many there are. */
  private firingLog: FaultFiring[] = [];
  private firingNext = 0;
  private firingCount = 0;
  private seed: string;

  constructor(seed: string) {
    this.seed = seed;
  }

  /** Validates and installs rules, replacing the previous set. Throws on a bad rule. */
  set(rules: unknown, seed?: string): void {
    if (!Array.isArray(rules)) throw new Error('rules must be an array');
    const next: ActiveRule[] = rules.map((raw, i) => {
      if (!raw || typeof raw !== 'object') throw new Error(`rule ${i} must be an object`);
      const r = raw as FaultRule;
      const targets: string[] = [...ENDPOINT_NAMES, ...CHANNEL_ENDPOINT_NAMES, 'notification', '*'];
      if (!targets.includes(r.endpoint)) throw new Error(`rule ${i}: unknown endpoint ${String(r.endpoint)}`);
      if (!FAULT_TYPES.includes(r.type)) throw new Error(`rule ${i}: unknown type ${String(r.type)}`);
      const probability = r.probability ?? 1;
      if (typeof probability !== 'number' || probability < 0 || probability > 1) throw new Error(`rule ${i}: probability must be 0..1`);
      if (r.times !== undefined && (!Number.isInteger(r.times) || r.times < 0))
        throw new Error(`rule ${i}: times must be a non-negative integer`);
      const status = r.status ?? 500;
      if (![500, 503, 504].includes(status)) throw new Error(`rule ${i}: status must be 500, 503 or 504`);
      const latencyMs = r.latencyMs ?? (r.type === 'latency' ? 1000 : r.type === 'notify_out_of_order' ? 2000 : 0);
      if (typeof latencyMs !== 'number' || latencyMs < 0 || latencyMs > 600_000) throw new Error(`rule ${i}: latencyMs must be 0..600000`);
      const keyBy = r.keyBy ?? 'reference';
      if (keyBy !== 'reference' && keyBy !== 'amount') throw new Error(`rule ${i}: keyBy must be reference or amount`);
      if (r.keys !== undefined && (!Array.isArray(r.keys) || r.keys.some((k) => typeof k !== 'string' || k.length === 0)))
        throw new Error(`rule ${i}: keys must be an array of non-empty strings`);
      return {
        id: r.id ?? `rule-${i}`,
        endpoint: r.endpoint,
        type: r.type,
        probability,
        times: r.times,
        latencyMs,
        status,
        keyBy,
        ...(r.keys !== undefined ? { keys: new Set(r.keys) } : {}),
        fired: 0,
        evaluated: 0,
      };
    });
    this.rules = next;
    this.occurrences = new Map();
    this.clearFirings();
    if (seed !== undefined) this.seed = seed;
  }

  clear(): void {
    this.rules = [];
    this.occurrences = new Map();
    this.clearFirings();
  }

  /** The faults that fired since the rules were set (the newest 20,000), oldest first: what each operation went through. */
  firings(): FaultFiring[] {
    const start = this.firingCount < MAX_FIRINGS ? 0 : this.firingNext;
    const out: FaultFiring[] = [];
    for (let i = 0; i < this.firingCount; i++) out.push({ ...this.firingLog[(start + i) % MAX_FIRINGS] });
    return out;
  }

  private clearFirings(): void {
    this.firingLog = [];
    this.firingNext = 0;
    this.firingCount = 0;
  }

  /** Keeps a firing; past MAX_FIRINGS it takes the oldest one's place (a busy simulator pays nothing for the bound). */
  private recordFiring(firing: FaultFiring): void {
    this.firingLog[this.firingNext] = firing;
    this.firingNext = (this.firingNext + 1) % MAX_FIRINGS;
    if (this.firingCount < MAX_FIRINGS) this.firingCount += 1;
  }

  /** How many operations' occurrence counts are kept (for the bound's test). */
  occurrenceKeys(): number {
    return this.occurrences.size;
  }

  list(): { seed: string; rules: Array<Omit<ActiveRule, 'keys'> & { keys?: string[] }> } {
    return {
      seed: this.seed,
      rules: this.rules.map(({ keys, ...r }) => ({ ...r, ...(keys ? { keys: [...keys] } : {}) })),
    };
  }

  /**
   * Decides which faults fire for one request. `businessKey` is the partner reference (or external id);
   * `amountKey` the request's amount, for rules keyed by amount.
   */
  decide(target: EndpointName | ChannelEndpointName | 'notification', businessKey: string, amountKey?: string): FaultDecision {
    const d: FaultDecision = {
      latencyMs: 0,
      drop: false,
      refuse: false,
      malformed: false,
      pending: false,
      revokeToken: false,
      badSignature: false,
      notifyDuplicate: false,
      notifyOutOfOrder: false,
      notifyHoldMs: 0,
      fired: [],
    };
    for (const rule of this.rules) {
      if (rule.endpoint !== '*' && rule.endpoint !== target) continue;
      if (target === 'notification' && rule.endpoint === '*' && !rule.type.startsWith('notify_')) continue;
      if (target !== 'notification' && rule.type.startsWith('notify_')) continue;
      rule.evaluated += 1;
      if (rule.times !== undefined && rule.fired >= rule.times) continue;
      const key = rule.keyBy === 'amount' && amountKey !== undefined ? `amount:${amountKey}` : businessKey;
      if (rule.keys && !rule.keys.has(key)) continue;
      // The occurrence count only feeds the draw: a rule that always fires (the benchmarks' latency
      // on every call) keeps no count per operation and draws nothing.
      if (rule.probability < 1) {
        const occKey = `${rule.id}|${target}|${key}`;
        const occ = this.occurrences.get(occKey) ?? 0;
        if (occ === 0 && this.occurrences.size >= MAX_OCCURRENCE_KEYS) {
          this.occurrences.delete(this.occurrences.keys().next().value as string);
        }
        this.occurrences.set(occKey, occ + 1);
        if (keyedUniform(this.seed, `${occKey}|${occ}`) >= rule.probability) continue;
      }
      rule.fired += 1;
      d.fired.push(`${rule.id}:${rule.type}`);
      this.recordFiring({ rule: rule.id, type: rule.type, endpoint: target, key });
      switch (rule.type) {
        case 'latency':
          d.latencyMs += rule.latencyMs;
          break;
        case 'error_before':
          d.errorBefore ??= rule.status;
          break;
        case 'error_after':
          d.errorAfter ??= rule.status;
          break;
        case 'drop':
          d.drop = true;
          break;
        case 'refuse':
          d.refuse = true;
          break;
        case 'malformed':
          d.malformed = true;
          break;
        case 'pending':
          d.pending = true;
          break;
        case 'revoke_token':
          d.revokeToken = true;
          break;
        case 'bad_signature':
          d.badSignature = true;
          break;
        case 'notify_duplicate':
          d.notifyDuplicate = true;
          break;
        case 'notify_out_of_order':
          d.notifyOutOfOrder = true;
          d.notifyHoldMs = Math.max(d.notifyHoldMs, rule.latencyMs);
          break;
      }
    }
    return d;
  }
}
