import { bind } from '../../common/database/sql';
import type { IdempotencyKey } from './idempotency-key.entity';

/**
 * The Idempotency-Key's two writes as parts of an operation's own statements, so a money operation
 * whose commit 1 and commit 2 are each one statement costs two round trips to PostgreSQL in all
 * (docs/performance.md): no BEGIN, no COMMIT, no separate key statements. The statement runs on its
 * own, so it is its own transaction: the key and the intent are written together or not at all.
 */

export type ExistingKey = Pick<IdempotencyKey, 'fingerprint' | 'status' | 'responseStatus' | 'responseBody' | 'transactionId'>;

export interface KeyClaimContext {
  scope: string;
  key: string;
  fingerprint: string;
}

/** What a statement built with a KeyClaim tells about the key. */
export interface KeyClaimOutcome {
  /** The key this statement claimed, or null when it claimed nothing. */
  keyId: string | null;
  /** The key as an earlier request left it, when it was already there (and visible). */
  prior: ExistingKey | null;
}

/**
 * Claims the key in an operation's commit-1 statement: CTE `ins` inserts it IN_PROGRESS, linked to
 * the transaction the statement creates, only when the operation's own condition holds (a bound
 * wallet, say) and the scope does not have the key yet; CTE `prior` reads the key an earlier request
 * left. When another request holds an uncommitted insert of the same key, the insert waits for it;
 * if that commits, the key is taken but invisible to this statement's snapshot: neither part
 * answers, and the caller reads it again.
 */
export class KeyClaim {
  constructor(readonly ctx: KeyClaimContext) {}

  /** The CTEs `ins` (id of the claimed key) and `prior`, for a WITH list. */
  ctes(params: unknown[], when: string, transactionId: string): string {
    const scope = bind(params, this.ctx.scope);
    const key = bind(params, this.ctx.key);
    return `ins AS (
        INSERT INTO idempotency_keys (scope, key, fingerprint, status, transaction_id)
        SELECT ${scope}, ${key}, ${bind(params, this.ctx.fingerprint)}, 'IN_PROGRESS', ${bind(params, transactionId)}::uuid WHERE ${when}
        ON CONFLICT (scope, key) DO NOTHING RETURNING id),
      prior AS (
        SELECT fingerprint, status, response_status, response_body, transaction_id FROM idempotency_keys
         WHERE scope = ${scope} AND key = ${key})`;
  }

  /** Select-list items answering the claim (read back by `outcome`). */
  readonly columns = `(SELECT id FROM ins) AS claimed_key_id, (SELECT row_to_json(prior) FROM prior) AS prior_key`;

  outcome(row: { claimed_key_id?: unknown; prior_key?: unknown }): KeyClaimOutcome {
    const keyId = typeof row.claimed_key_id === 'string' ? row.claimed_key_id : null;
    const p = row.prior_key as {
      fingerprint: string;
      status: ExistingKey['status'];
      response_status: number | null;
      response_body: unknown;
      transaction_id: string | null;
    } | null;
    return {
      keyId,
      prior:
        keyId !== null || p === null || p === undefined
          ? null
          : {
              fingerprint: p.fingerprint,
              status: p.status,
              responseStatus: p.response_status,
              responseBody: p.response_body,
              transactionId: p.transaction_id,
            },
    };
  }
}

/**
 * Completes the key in an operation's commit-2 statement: CTE `k` stores the response, only while
 * the key is still IN_PROGRESS (the abandoned-request completer may have completed it already).
 */
export class KeyCompletion {
  constructor(
    readonly keyId: string,
    readonly status: number,
    readonly body: unknown,
    private readonly transactionId: string | undefined,
  ) {}

  /** The CTE `k`, for a WITH list. */
  cte(params: unknown[]): string {
    return `k AS (
        UPDATE idempotency_keys SET status = 'COMPLETED', response_status = ${bind(params, this.status)},
               response_body = ${bind(params, JSON.stringify(this.body))}::jsonb,
               transaction_id = COALESCE(${bind(params, this.transactionId ?? null)}::uuid, transaction_id), completed_at = now()
         WHERE id = ${bind(params, this.keyId)}::uuid AND status = 'IN_PROGRESS' RETURNING id)`;
  }

  /** A select-list item: whether this statement completed the key. */
  readonly column = `EXISTS (SELECT 1 FROM k) AS key_completed`;

  /** What completing the key stores, as the column values of a statement that completes several at once. */
  values(): { status: number; body: string; transactionId: string | null } {
    return { status: this.status, body: JSON.stringify(this.body), transactionId: this.transactionId ?? null };
  }
}
