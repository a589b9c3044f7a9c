import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { AppConfigService } from '../../config/app-config.service';
import { returningRows } from '../../database/sql';
import { Failpoints } from '../failpoints';
import { AppError } from '../errors/app-error';
import { IdempotencyKey } from './idempotency-key.entity';

export interface IdempotencyContext {
  scope: string;
  key: string;
  fingerprint: string;
  /** Id of the request that runs the operation; stored error bodies carry it. */
  requestId?: string;
}

/** A stored error body names the request that produced it, also when it is replayed later. */
function withRequestId(body: unknown, requestId: string | undefined): unknown {
  const error = (body as { error?: Record<string, unknown> } | null)?.error;
  if (!error || typeof error !== 'object' || error.requestId !== undefined) return body;
  return { ...(body as object), error: { ...error, requestId: requestId ?? 'unknown' } };
}

/**
 * Inserts the key IN_PROGRESS, or, when the scope already has it, returns the stored key. When
 * another transaction holds an uncommitted insert of the same key, the INSERT waits for it; if it
 * commits, the key is taken but invisible to this statement's snapshot, and no row comes back.
 */
const CLAIM_OR_READ_KEY = `
  WITH ins AS (
    INSERT INTO idempotency_keys (scope, key, fingerprint, status) VALUES ($1, $2, $3, 'IN_PROGRESS')
    ON CONFLICT (scope, key) DO NOTHING RETURNING id)
  SELECT id, true AS inserted, NULL::text AS fingerprint, NULL::text AS status, NULL::int AS response_status, NULL::jsonb AS response_body, NULL::uuid AS transaction_id
    FROM ins
  UNION ALL
  SELECT id, false, fingerprint, status, response_status, response_body, transaction_id
    FROM idempotency_keys WHERE scope = $1 AND key = $2 AND NOT EXISTS (SELECT 1 FROM ins)`;

interface KeyClaimRow {
  id: string;
  inserted: boolean;
  fingerprint: string | null;
  status: IdempotencyKey['status'] | null;
  response_status: number | null;
  response_body: unknown;
  transaction_id: string | null;
}

function keyFromRow(row: KeyClaimRow): ExistingKey {
  return { fingerprint: row.fingerprint ?? '', status: row.status ?? 'IN_PROGRESS', responseStatus: row.response_status, responseBody: row.response_body, transactionId: row.transaction_id };
}

/** Thrown inside commit 1 to roll it back when the key is already taken (nothing was written). */
class KeyTaken extends Error {
  constructor(readonly existing: ExistingKey | null) {
    super('idempotency key taken');
  }
}

type ExistingKey = Pick<IdempotencyKey, 'fingerprint' | 'status' | 'responseStatus' | 'responseBody' | 'transactionId'>;

/** A response stored on a key: what a replay of the key answers. */
export interface StoredResponse {
  status: number;
  body: unknown;
}

/** What an idempotent route answers; the interceptor turns it into the HTTP response. */
export interface IdempotentResponse<T = unknown> {
  status: number;
  body: T;
  replayed: boolean;
}

export interface MoneyOperation<TIntent, TOutcome> {
  /** Commit 1 (with the key): validate against the database and write the PENDING intent. */
  prepare(tx: EntityManager): Promise<TIntent>;
  /**
   * The id of the PENDING transaction `prepare` wrote. It is linked to the key in commit 1, so if
   * this process dies before commit 2 the reconciler can settle the transaction and complete the
   * key with a response rendered from it (src/reconciliation); without it a retry of the key would
   * answer 409 forever.
   */
  transactionId?(intent: TIntent): string;
  /** Outside any transaction: call DOKU. Must not throw; an uncertain answer is an outcome too. */
  execute(intent: TIntent): Promise<TOutcome>;
  /** Commit 2 (with the key's completion): record the outcome and build the response. */
  settle(tx: EntityManager, intent: TIntent, outcome: TOutcome): Promise<{ status: number; body: unknown; transactionId?: string }>;
}

/**
 * Idempotency-Key handling in the shape of Stripe's "atomic phases": the key is claimed in the same
 * commit as the PENDING intent and completed in the same commit as the result, so a money POST costs
 * two commits, and a replay costs one statement and no commit.
 *
 * - missing key: 400 (checked by the interceptor); same key with another body: 422;
 * - same key while the first request is still in flight: 409 with Retry-After;
 * - after completion: the stored response again, with `Idempotent-Replayed: true`.
 */
@Injectable()
export class IdempotencyService {
  private readonly failpoints: Failpoints;

  constructor(@InjectDataSource() private readonly db: DataSource, config: AppConfigService) {
    this.failpoints = new Failpoints(config.app.failpoints);
  }

  async run<TIntent, TOutcome>(ctx: IdempotencyContext, op: MoneyOperation<TIntent, TOutcome>): Promise<IdempotentResponse> {
    let started: { keyId: string; intent: TIntent };
    try {
      started = await this.db.transaction(async (tx) => {
        // One statement claims the key or, when it is taken, reads it: a first request does not
        // pay for a read, and a replay costs this one read (its transaction is rolled back).
        const claim = await tx.query(CLAIM_OR_READ_KEY, [ctx.scope, ctx.key, ctx.fingerprint]);
        const row = (claim as KeyClaimRow[])[0];
        if (!row || !row.inserted) throw new KeyTaken(row ? keyFromRow(row) : null);
        const intent = await op.prepare(tx);
        const transactionId = op.transactionId?.(intent);
        if (transactionId) await tx.query(`UPDATE idempotency_keys SET transaction_id = $2 WHERE id = $1`, [row.id, transactionId]);
        return { keyId: row.id, intent };
      });
    } catch (error) {
      if (!(error instanceof KeyTaken)) throw error;
      // Taken by an earlier request; or by one that committed while this statement waited for it,
      // which the statement's snapshot cannot see yet: read it again.
      const existing = error.existing ?? (await this.findExisting(ctx));
      if (!existing) throw new AppError('IDEMPOTENCY.IN_FLIGHT', 'A request with this Idempotency-Key is in progress', undefined, { 'Retry-After': '1' });
      return this.answerExisting(existing, ctx);
    }

    this.failpoints.hit('money.after-intent-commit');
    const outcome = await op.execute(started.intent);
    this.failpoints.hit('money.after-doku-outcome');
    return this.db.transaction(async (tx) => {
      const raw = await op.settle(tx, started.intent, outcome);
      const settled = { ...raw, body: withRequestId(raw.body, ctx.requestId) };
      const completed = await returningRows<{ id: string }>(
        tx,
        `UPDATE idempotency_keys SET status = 'COMPLETED', response_status = $2, response_body = $3,
                transaction_id = COALESCE($4, transaction_id), completed_at = now()
          WHERE id = $1 AND status = 'IN_PROGRESS' RETURNING id`,
        [started.keyId, settled.status, JSON.stringify(settled.body), settled.transactionId ?? null],
      );
      this.failpoints.hit('money.inside-result-commit');
      if (completed.length === 1) return { status: settled.status, body: settled.body, replayed: false };
      // This request outlived the time after which it counts as abandoned, and the reconciler
      // already completed the key from the settled transaction: every answer of a key is the same.
      const stored = await tx.getRepository(IdempotencyKey).findOneByOrFail({ id: started.keyId });
      return { status: stored.responseStatus ?? 200, body: stored.responseBody, replayed: true };
    });
  }

  /**
   * Completes a key whose request was abandoned mid-flight (the process died between commit 1 and
   * commit 2) with a response rendered from its settled transaction, inside the caller's `tx`.
   * False when the key is no longer IN_PROGRESS (its own request or another instance got there first).
   */
  async completeAbandoned(tx: EntityManager, keyId: string, response: StoredResponse): Promise<boolean> {
    const body = withRequestId(response.body, 'recovered');
    const rows = await returningRows<{ id: string }>(
      tx,
      `UPDATE idempotency_keys SET status = 'COMPLETED', response_status = $2, response_body = $3, completed_at = now()
        WHERE id = $1 AND status = 'IN_PROGRESS' RETURNING id`,
      [keyId, response.status, JSON.stringify(body)],
    );
    return rows.length === 1;
  }

  private findExisting(ctx: IdempotencyContext): Promise<IdempotencyKey | null> {
    return this.db.getRepository(IdempotencyKey).findOne({ where: { scope: ctx.scope, key: ctx.key } });
  }

  private async answerExisting(existing: ExistingKey, ctx: IdempotencyContext): Promise<IdempotentResponse> {
    if (existing.fingerprint !== ctx.fingerprint) {
      throw new AppError('IDEMPOTENCY.KEY_REUSED', 'This Idempotency-Key was used with a different request');
    }
    if (existing.status !== 'COMPLETED') {
      throw new AppError('IDEMPOTENCY.IN_FLIGHT', 'A request with this Idempotency-Key is in progress', undefined, {
        'Retry-After': String(await this.retryAfterSeconds(existing)),
      });
    }
    return { status: existing.responseStatus ?? 200, body: existing.responseBody, replayed: true };
  }

  /**
   * When a retry of an IN_PROGRESS key may get the final answer: at once for a request still in
   * flight; for one whose process died, after the reconciler's next status check of its
   * transaction (the key is completed right after the transaction settles); an hour when the
   * transaction waits for the back office.
   */
  private async retryAfterSeconds(existing: ExistingKey): Promise<number> {
    if (!existing.transactionId) return 1;
    const rows: { next_check_in: number | null; flagged: boolean }[] = await this.db.query(
      `SELECT EXTRACT(EPOCH FROM next_check_at - now())::float8 AS next_check_in, attention_required_at IS NOT NULL AS flagged
         FROM transactions WHERE id = $1`,
      [existing.transactionId],
    );
    const row = rows[0];
    if (!row) return 1;
    if (row.flagged) return 3600;
    if (row.next_check_in === null) return 1;
    return Math.min(3600, Math.max(1, Math.ceil(row.next_check_in) + 1));
  }
}
