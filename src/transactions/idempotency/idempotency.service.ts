import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { AppConfigService } from '../../config/app-config.service';
import { returningRows } from '../../common/database/sql';
import { Failpoints } from '../../common/failpoints';
import { AppError } from '../../common/errors/app-error';
import { IdempotencyKey } from './idempotency-key.entity';
import { startKeyLink } from './key-link';
import type { ExistingKey, KeyClaimOutcome } from './one-statement';
import { KeyClaim, KeyCompletion } from './one-statement';

export interface IdempotencyContext {
  scope: string;
  key: string;
  fingerprint: string;
  /** Id of the request that runs the operation; stored error bodies carry it. */
  requestId?: string;
}

/** A stored error body names the request that produced it, also when it is replayed later. */
function withRequestId<TBody>(body: TBody, requestId: string | undefined): TBody {
  const error = (body as { error?: Record<string, unknown> } | null)?.error;
  if (!error || typeof error !== 'object' || error.requestId !== undefined) return body;
  return { ...(body as object), error: { ...error, requestId: requestId ?? 'unknown' } } as TBody;
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
  return {
    fingerprint: row.fingerprint ?? '',
    status: row.status ?? 'IN_PROGRESS',
    responseStatus: row.response_status,
    responseBody: row.response_body,
    transactionId: row.transaction_id,
  };
}

/** Thrown inside commit 1 to roll it back when the key is already taken (nothing was written). */
class KeyTaken extends Error {
  constructor(readonly existing: ExistingKey | null) {
    super('idempotency key taken');
  }
}

/**
 * A response stored on a key: what a replay of the key answers. `TBody` is the route's answer
 * (`MoneyAnswer<…>` in stored-response.ts: its success body or a decline); a route's fresh answer,
 * its replay and the answer rendered for an abandoned request all have it.
 */
export interface StoredResponse<TBody> {
  status: number;
  body: TBody;
}

/** What an idempotent route answers; the interceptor turns it into the HTTP response. */
export interface IdempotentResponse<TBody> {
  status: number;
  body: TBody;
  replayed: boolean;
}

/** Commit 1 (with the key): validate against the database and write the PENDING intent. */
interface PreparedInTransaction<TIntent> {
  prepare(tx: EntityManager): Promise<TIntent>;
}

/**
 * Commit 1 as one statement that also claims the key (built with `claim.ctes`): answers the intent
 * when the key was claimed; otherwise what the claim found and, when the operation's own condition
 * refused it, the error to answer (a replay of an earlier request wins over it).
 */
interface PreparedInOneStatement<TIntent> {
  prepareInOneStatement(claim: KeyClaim): Promise<OneStatementIntent<TIntent>>;
}

export type MoneyOperation<TIntent, TOutcome, TBody> = MoneySteps<TIntent, TOutcome, TBody> &
  (PreparedInTransaction<TIntent> | PreparedInOneStatement<TIntent>);

interface MoneySteps<TIntent, TOutcome, TBody> {
  /**
   * The id of the PENDING transaction `prepare` wrote (one statement links it itself). It is linked to the key in commit 1, so if
   * this process dies before commit 2 the reconciler can settle the transaction and complete the
   * key with a response rendered from it (src/reconciliation); without it a retry of the key would
   * answer 409 forever.
   */
  transactionId?(intent: TIntent): string;
  /** Outside any transaction: call DOKU. Must not throw; an uncertain answer is an outcome too. */
  execute(intent: TIntent): Promise<TOutcome>;
  /** Commit 2 (with the key's completion): record the outcome and build the response. */
  settle(tx: EntityManager, intent: TIntent, outcome: TOutcome): Promise<StoredResponse<TBody> & { transactionId?: string }>;
  /**
   * Optional, tried before `settle`: when the operation knows its answer without writing first,
   * the answer, and a write that records the outcome and completes the key (`completion.cte`) in
   * one statement, telling whether it completed the key. Undefined: `settle` does it.
   */
  settleInOneStatement?(intent: TIntent, outcome: TOutcome): OneStatementSettlement<TBody> | undefined;
}

export type OneStatementIntent<TIntent> = (KeyClaimOutcome & { keyId: string; intent: TIntent }) | (KeyClaimOutcome & { refusal?: Error });

export interface OneStatementSettlement<TBody> extends StoredResponse<TBody> {
  transactionId?: string;
  write(completion: KeyCompletion): Promise<boolean>;
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

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    config: AppConfigService,
  ) {
    this.failpoints = new Failpoints(config.app.failpoints);
  }

  async run<TIntent, TOutcome, TBody>(
    ctx: IdempotencyContext,
    op: MoneyOperation<TIntent, TOutcome, TBody>,
  ): Promise<IdempotentResponse<TBody>> {
    const claimed =
      'prepareInOneStatement' in op
        ? await this.claimInOneStatement<TIntent, TBody>(ctx, (claim) => op.prepareInOneStatement(claim))
        : await this.claim<TIntent, TBody>(ctx, op);
    if (!('keyId' in claimed)) return claimed.answer;
    const started = claimed;

    this.failpoints.hit('money.after-intent-commit');
    const outcome = await op.execute(started.intent);
    this.failpoints.hit('money.after-doku-outcome');

    const oneStatement = op.settleInOneStatement?.(started.intent, outcome);
    if (oneStatement) {
      const body = withRequestId(oneStatement.body, ctx.requestId);
      const completed = await oneStatement.write(new KeyCompletion(started.keyId, oneStatement.status, body, oneStatement.transactionId));
      // One statement is its own commit: there is no "inside" it to die in; the nearest point is
      // after it, before the answer (a retry of the key then gets the stored response).
      this.failpoints.hit('money.inside-result-commit');
      if (completed) return { status: oneStatement.status, body, replayed: false };
      return this.storedAnswer<TBody>(started.keyId);
    }
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
      return this.storedAnswer<TBody>(started.keyId, tx);
    });
  }

  /**
   * This request outlived the time after which it counts as abandoned, and the reconciler already
   * completed the key from the settled transaction: every answer of a key is the same.
   */
  private async storedAnswer<TBody>(keyId: string, tx?: EntityManager): Promise<IdempotentResponse<TBody>> {
    const stored = await (tx ?? this.db.manager).getRepository(IdempotencyKey).findOneByOrFail({ id: keyId });
    return { status: stored.responseStatus ?? 200, body: stored.responseBody as TBody, replayed: true };
  }

  /** Commit 1 in a transaction: the key claimed (or read), then the operation's `prepare`. */
  private async claim<TIntent, TBody>(
    ctx: IdempotencyContext,
    op: MoneySteps<TIntent, unknown, TBody> & PreparedInTransaction<TIntent>,
  ): Promise<{ keyId: string; intent: TIntent } | { answer: IdempotentResponse<TBody> }> {
    try {
      return await this.db.transaction(async (tx) => {
        // One statement claims the key or, when it is taken, reads it: a first request does not
        // pay for a read, and a replay costs this one read (its transaction is rolled back).
        const claim = await tx.query<KeyClaimRow[]>(CLAIM_OR_READ_KEY, [ctx.scope, ctx.key, ctx.fingerprint]);
        const row: KeyClaimRow | undefined = claim[0];
        if (row === undefined || !row.inserted) throw new KeyTaken(row === undefined ? null : keyFromRow(row));
        const link = startKeyLink(tx, row.id);
        const intent = await op.prepare(tx);
        const transactionId = op.transactionId?.(intent);
        // Usually the insert of the operation's transaction linked the key already (key-link.ts).
        if (transactionId && link.transactionId !== transactionId) {
          await tx.query(`UPDATE idempotency_keys SET transaction_id = $2 WHERE id = $1`, [row.id, transactionId]);
        }
        return { keyId: row.id, intent };
      });
    } catch (error) {
      if (!(error instanceof KeyTaken)) throw error;
      return { answer: await this.answerTaken<TBody>(error.existing, ctx) };
    }
  }

  /** Commit 1 as the operation's one statement, which claims the key itself. */
  private async claimInOneStatement<TIntent, TBody>(
    ctx: IdempotencyContext,
    prepare: (claim: KeyClaim) => Promise<OneStatementIntent<TIntent>>,
  ): Promise<{ keyId: string; intent: TIntent } | { answer: IdempotentResponse<TBody> }> {
    const result = await prepare(new KeyClaim(ctx));
    if ('intent' in result) return { keyId: result.keyId, intent: result.intent };
    if (result.prior === null && result.refusal !== undefined) throw result.refusal;
    return { answer: await this.answerTaken<TBody>(result.prior, ctx) };
  }

  /**
   * The key was taken by an earlier request; or by one that committed while the claim waited for
   * it, which the claim's snapshot cannot see yet: read it again.
   */
  private async answerTaken<TBody>(found: ExistingKey | null, ctx: IdempotencyContext): Promise<IdempotentResponse<TBody>> {
    const existing = found ?? (await this.findExisting(ctx));
    if (!existing)
      throw new AppError('IDEMPOTENCY.IN_FLIGHT', 'A request with this Idempotency-Key is in progress', undefined, {
        'Retry-After': '1',
      });
    return this.answerExisting<TBody>(existing, ctx);
  }

  /**
   * Completes a key whose request was abandoned mid-flight (the process died between commit 1 and
   * commit 2) with a response rendered from its settled transaction, inside the caller's `tx`.
   * False when the key is no longer IN_PROGRESS (its own request or another instance got there first).
   */
  async completeAbandoned(tx: EntityManager, keyId: string, response: StoredResponse<unknown>): Promise<boolean> {
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

  /**
   * The stored answer of a completed key, as the route's own type: the fingerprint covers the
   * method and the path, so a key's stored body was written by the same route (its `settle`, or
   * its renderer for an abandoned request); the database column is the one place it is untyped.
   */
  private async answerExisting<TBody>(existing: ExistingKey, ctx: IdempotencyContext): Promise<IdempotentResponse<TBody>> {
    if (existing.fingerprint !== ctx.fingerprint) {
      throw new AppError('IDEMPOTENCY.KEY_REUSED', 'This Idempotency-Key was used with a different request');
    }
    if (existing.status !== 'COMPLETED') {
      throw new AppError('IDEMPOTENCY.IN_FLIGHT', 'A request with this Idempotency-Key is in progress', undefined, {
        'Retry-After': String(await this.retryAfterSeconds(existing)),
      });
    }
    return { status: existing.responseStatus ?? 200, body: existing.responseBody as TBody, replayed: true };
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
    const row: (typeof rows)[number] | undefined = rows[0];
    if (row === undefined) return 1;
    if (row.flagged) return 3600;
    if (row.next_check_in === null) return 1;
    return Math.min(3600, Math.max(1, Math.ceil(row.next_check_in) + 1));
  }
}
