import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import type { AuditFacts, AuditRow, ChainProblem } from './audit-chain';
import { ChainWalker, maskSecrets, rowHash } from './audit-chain';

interface AuditDbRow {
  seq: string;
  occurred_at: Date;
  actor_kind: AuditRow['actor']['kind'];
  actor_id: string | null;
  actor_role: string | null;
  action: string;
  target_type: string;
  target_id: string | null;
  before: unknown;
  after: unknown;
  ip: string | null;
  user_agent: string | null;
  request_id: string | null;
  prev_hash: string;
  hash: string;
}

function fromDb(r: AuditDbRow): AuditRow {
  return {
    seq: Number(r.seq),
    occurredAt: r.occurred_at,
    actor: { kind: r.actor_kind, id: r.actor_id, role: r.actor_role, ip: r.ip, userAgent: r.user_agent, requestId: r.request_id },
    action: r.action,
    target: { type: r.target_type, id: r.target_id },
    before: r.before,
    after: r.after,
    prevHash: r.prev_hash,
    hash: r.hash,
  };
}

export interface AuditFilter {
  action?: string;
  actorId?: string;
  targetType?: string;
  targetId?: string;
  from?: Date;
  to?: Date;
}

export interface VerifyResult {
  ok: boolean;
  rows: number;
  headSeq: number;
  firstBroken?: ChainProblem;
}

const VERIFY_BATCH = 1000;

/**
 * The back office's audit trail (docs/back-office.md#audit-trail): every back-office action as one
 * row of an append-only, hash-chained table. Any module records through `record`; inside the
 * caller's database transaction when it has one, so the action and its record commit together.
 */
@Injectable()
export class AuditTrail {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  /**
   * Appends one row at the head of the chain. The chain head's row lock is held until the
   * surrounding transaction ends, so concurrent writers append one after another and never fork.
   * Secrets in `before`/`after` are masked before anything is stored or hashed.
   */
  async record(facts: AuditFacts, tx?: EntityManager): Promise<AuditRow> {
    if (!tx) return this.db.transaction((inner) => this.record(facts, inner));
    const [head] = await tx.query<{ seq: string; hash: string }[]>(`SELECT seq, hash FROM audit_chain_head WHERE id = 1 FOR UPDATE`);
    const unhashed: Omit<AuditRow, 'hash'> = {
      seq: Number(head.seq) + 1,
      occurredAt: new Date(),
      actor: facts.actor,
      action: facts.action,
      target: { type: facts.target.type, id: facts.target.id },
      before: maskSecrets(facts.before),
      after: maskSecrets(facts.after),
      prevHash: head.hash,
    };
    const row: AuditRow = { ...unhashed, hash: rowHash(unhashed) };
    await tx.query(
      `INSERT INTO audit_log (seq, occurred_at, actor_kind, actor_id, actor_role, action, target_type, target_id, before, after,
                              ip, user_agent, request_id, prev_hash, hash)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9::jsonb, $10::jsonb, $11, $12, $13, $14, $15)`,
      [
        row.seq,
        row.occurredAt,
        row.actor.kind,
        row.actor.id,
        row.actor.role,
        row.action,
        row.target.type,
        row.target.id,
        JSON.stringify(row.before),
        JSON.stringify(row.after),
        row.actor.ip,
        row.actor.userAgent,
        row.actor.requestId,
        row.prevHash,
        row.hash,
      ],
    );
    await tx.query(`UPDATE audit_chain_head SET seq = $1, hash = $2 WHERE id = 1`, [row.seq, row.hash]);
    return row;
  }

  /** Newest first, by action, actor, target and time. */
  async list(filter: AuditFilter, page: number, pageSize: number): Promise<{ rows: AuditRow[]; total: number }> {
    const where: string[] = [];
    const params: unknown[] = [];
    const add = (sql: string, value: unknown) => {
      params.push(value);
      where.push(sql.replace('?', `$${params.length}`));
    };
    if (filter.action) add('action = ?', filter.action);
    if (filter.actorId) add('actor_id = ?', filter.actorId);
    if (filter.targetType) add('target_type = ?', filter.targetType);
    if (filter.targetId) add('target_id = ?', filter.targetId);
    if (filter.from) add('occurred_at >= ?', filter.from);
    if (filter.to) add('occurred_at < ?', filter.to);
    const clause = where.length ? `WHERE ${where.join(' AND ')}` : '';
    const [{ total }] = await this.db.query<{ total: number }[]>(`SELECT count(*)::int AS total FROM audit_log ${clause}`, params);
    const rows = await this.db.query<AuditDbRow[]>(
      `SELECT * FROM audit_log ${clause} ORDER BY seq DESC LIMIT $${params.length + 1} OFFSET $${params.length + 2}`,
      [...params, pageSize, (page - 1) * pageSize],
    );
    return { rows: rows.map(fromDb), total };
  }

  /**
   * Walks the whole chain in order, in batches, inside one repeatable-read snapshot, and answers the
   * first broken row, if any.
   */
  async verify(): Promise<VerifyResult> {
    return this.db.transaction('REPEATABLE READ', async (tx) => {
      const walker = new ChainWalker();
      const [head] = await tx.query<{ seq: string; hash: string }[]>(`SELECT seq, hash FROM audit_chain_head WHERE id = 1`);
      let after = 0;
      for (;;) {
        const batch = await tx.query<AuditDbRow[]>(`SELECT * FROM audit_log WHERE seq > $1 ORDER BY seq LIMIT $2`, [after, VERIFY_BATCH]);
        for (const raw of batch) {
          const problem = walker.next(fromDb(raw));
          if (problem) return { ok: false, rows: walker.checked, headSeq: Number(head.seq), firstBroken: problem };
        }
        if (batch.length < VERIFY_BATCH) break;
        after = Number(batch[batch.length - 1].seq);
      }
      const problem = walker.end({ seq: Number(head.seq), hash: head.hash });
      if (problem) return { ok: false, rows: walker.checked, headSeq: Number(head.seq), firstBroken: problem };
      return { ok: true, rows: walker.checked, headSeq: Number(head.seq) };
    });
  }
}
