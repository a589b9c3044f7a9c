import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
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

/** What an idempotent route answers; the interceptor turns it into the HTTP response. */
export interface IdempotentResponse<T = unknown> {
  status: number;
  body: T;
  replayed: boolean;
}

export interface MoneyOperation<TIntent, TOutcome> {
  /** Commit 1 (with the key): validate against the database and write the PENDING intent. */
  prepare(tx: EntityManager): Promise<TIntent>;
  /** Outside any transaction: call DOKU. Must not throw; an uncertain answer is an outcome too. */
  execute(intent: TIntent): Promise<TOutcome>;
  /** Commit 2 (with the key's completion): record the outcome and build the response. */
  settle(tx: EntityManager, intent: TIntent, outcome: TOutcome): Promise<{ status: number; body: unknown; transactionId?: string }>;
}

/**
 * Idempotency-Key handling in the shape of Stripe's "atomic phases": the key is claimed in the same
 * commit as the PENDING intent and completed in the same commit as the result, so a money POST costs
 * two commits, and a replay costs one read and no commit.
 *
 * - missing key: 400 (checked by the interceptor); same key with another body: 422;
 * - same key while the first request is still in flight: 409 with Retry-After;
 * - after completion: the stored response again, with `Idempotent-Replayed: true`.
 */
@Injectable()
export class IdempotencyService {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  async run<TIntent, TOutcome>(ctx: IdempotencyContext, op: MoneyOperation<TIntent, TOutcome>): Promise<IdempotentResponse> {
    const existing = await this.findExisting(ctx);
    if (existing) return this.answerExisting(existing, ctx);

    const started = await this.db.transaction(async (tx) => {
      const inserted: { id: string }[] = await tx.query(
        `INSERT INTO idempotency_keys (scope, key, fingerprint, status) VALUES ($1, $2, $3, 'IN_PROGRESS')
         ON CONFLICT (scope, key) DO NOTHING RETURNING id`,
        [ctx.scope, ctx.key, ctx.fingerprint],
      );
      if (inserted.length === 0) return { raced: true as const };
      return { raced: false as const, keyId: inserted[0].id, intent: await op.prepare(tx) };
    });
    if (started.raced) {
      // Another request with this key committed first: answer as that one does.
      const winner = await this.findExisting(ctx);
      if (!winner) throw new AppError('IDEMPOTENCY.IN_FLIGHT', 'A request with this Idempotency-Key is in progress', undefined, { 'Retry-After': '1' });
      return this.answerExisting(winner, ctx);
    }

    const outcome = await op.execute(started.intent);
    const result = await this.db.transaction(async (tx) => {
      const raw = await op.settle(tx, started.intent, outcome);
      const settled = { ...raw, body: withRequestId(raw.body, ctx.requestId) };
      await tx.query(
        `UPDATE idempotency_keys SET status = 'COMPLETED', response_status = $2, response_body = $3, transaction_id = $4, completed_at = now()
          WHERE id = $1`,
        [started.keyId, settled.status, JSON.stringify(settled.body), settled.transactionId ?? null],
      );
      return settled;
    });
    return { status: result.status, body: result.body, replayed: false };
  }

  private findExisting(ctx: IdempotencyContext): Promise<IdempotencyKey | null> {
    return this.db.getRepository(IdempotencyKey).findOne({ where: { scope: ctx.scope, key: ctx.key } });
  }

  private answerExisting(existing: IdempotencyKey, ctx: IdempotencyContext): IdempotentResponse {
    if (existing.fingerprint !== ctx.fingerprint) {
      throw new AppError('IDEMPOTENCY.KEY_REUSED', 'This Idempotency-Key was used with a different request');
    }
    if (existing.status !== 'COMPLETED') {
      throw new AppError('IDEMPOTENCY.IN_FLIGHT', 'A request with this Idempotency-Key is in progress', undefined, {
        'Retry-After': '1',
      });
    }
    return { status: existing.responseStatus ?? 200, body: existing.responseBody, replayed: true };
  }
}
