import { createHash } from 'node:crypto';
import { isSensitiveKey } from '../common/logging/redaction';

/** The hash the first row of the chain links to. */
export const GENESIS_HASH = '0'.repeat(64);

export const MASKED = '[masked]';

/** Who did something in the back office. */
export interface AuditActor {
  /**
   * A signed-in back-office person, an operator at the command line, an internal service, or the
   * application itself acting on a schedule (a retention job, say).
   */
  kind: 'user' | 'cli' | 'service' | 'system';
  /** The user's id, the service client's id, the operator's login name, or the job's name. */
  id: string | null;
  /** The user's role when the action was taken. */
  role: string | null;
  ip: string | null;
  userAgent: string | null;
  requestId: string | null;
}

/** What one audit row says, before it is chained. */
export interface AuditFacts {
  actor: AuditActor;
  /** A dotted action name, e.g. `refund.requested`, `approval.approved`, `service-client.rotated`. */
  action: string;
  target: { type: string; id: string | null };
  before?: unknown;
  after?: unknown;
}

/** One row of the chain as stored. */
export interface AuditRow {
  seq: number;
  occurredAt: Date;
  actor: AuditActor;
  action: string;
  target: { type: string; id: string | null };
  before: unknown;
  after: unknown;
  prevHash: string;
  hash: string;
}

/** Words in a key that mark a secret, beyond the log redaction list (`signingSecret`, `newPassword`). */
const SECRET_WORDS = /secret|password|token|credential|privatekey|apikey/i;

/**
 * A JSON copy of a before/after value with every secret replaced: the log redaction list plus any key
 * naming a secret, password or token. Dates become ISO strings and bigints strings, so what is hashed
 * is exactly what PostgreSQL's jsonb gives back.
 */
export function maskSecrets(value: unknown): unknown {
  if (value === undefined) return null;
  const json = JSON.stringify(value, (_key, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
  if (json === undefined) return null;
  const walk = (v: unknown): unknown => {
    if (v === null || typeof v !== 'object') return v;
    if (Array.isArray(v)) return v.map(walk);
    const out: Record<string, unknown> = {};
    for (const [k, inner] of Object.entries(v as Record<string, unknown>)) {
      out[k] = isSensitiveKey(k) || SECRET_WORDS.test(k) ? MASKED : walk(inner);
    }
    return out;
  };
  return walk(JSON.parse(json) as unknown);
}

/** JSON with object keys sorted at every level: one spelling per value, whatever order jsonb keeps. */
export function canonical(value: unknown): string {
  if (value === null || value === undefined || typeof value !== 'object') return JSON.stringify(value ?? null);
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
}

/** SHA-256 over the canonical serialisation of every stored field but the hash itself. */
export function rowHash(row: Omit<AuditRow, 'hash'>): string {
  const material = canonical({
    v: 1,
    seq: row.seq,
    occurredAt: row.occurredAt.toISOString(),
    actor: {
      kind: row.actor.kind,
      id: row.actor.id,
      role: row.actor.role,
      ip: row.actor.ip,
      userAgent: row.actor.userAgent,
      requestId: row.actor.requestId,
    },
    action: row.action,
    target: { type: row.target.type, id: row.target.id },
    before: row.before ?? null,
    after: row.after ?? null,
    prevHash: row.prevHash,
  });
  return createHash('sha256').update(material, 'utf8').digest('hex');
}

export type ChainProblem =
  | { seq: number; problem: 'ROW_ALTERED'; detail: string }
  | { seq: number; problem: 'LINK_BROKEN'; detail: string }
  | { seq: number; problem: 'ROW_MISSING'; detail: string };

/**
 * Walks rows in `seq` order (one batch after another, `state` carried between batches) and answers
 * the first break: a row whose hash is not its own content's (altered), a row not linked to the one
 * before it (inserted out of chain, or one before it altered), or a gap in the numbering (deleted).
 */
export class ChainWalker {
  private expectedSeq = 1;
  private prevHash = GENESIS_HASH;
  checked = 0;

  next(row: AuditRow): ChainProblem | null {
    if (row.seq !== this.expectedSeq) {
      return row.seq > this.expectedSeq
        ? { seq: this.expectedSeq, problem: 'ROW_MISSING', detail: `row ${this.expectedSeq} is missing (the next row is ${row.seq})` }
        : { seq: row.seq, problem: 'LINK_BROKEN', detail: `row ${row.seq} is out of order` };
    }
    if (row.prevHash !== this.prevHash) {
      return { seq: row.seq, problem: 'LINK_BROKEN', detail: `row ${row.seq} does not link to row ${row.seq - 1}` };
    }
    const { hash, ...rest } = row;
    if (rowHash(rest) !== hash) {
      return { seq: row.seq, problem: 'ROW_ALTERED', detail: `row ${row.seq} does not match its hash` };
    }
    this.prevHash = hash;
    this.expectedSeq++;
    this.checked++;
    return null;
  }

  /** After the last row: the chain head must name the last row walked (rows removed from the end). */
  end(head: { seq: number; hash: string }): ChainProblem | null {
    const last = this.expectedSeq - 1;
    if (head.seq > last)
      return { seq: last + 1, problem: 'ROW_MISSING', detail: `the chain head is at row ${head.seq}, the last row is ${last}` };
    if (head.seq < last || head.hash !== this.prevHash)
      return { seq: head.seq, problem: 'LINK_BROKEN', detail: `the chain head (row ${head.seq}) does not name the last row (${last})` };
    return null;
  }
}
