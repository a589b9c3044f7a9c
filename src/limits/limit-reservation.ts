import { bind } from '../common/database/sql';
import type { CallerKind } from '../config/limits-config';

/** The limits a refusal can name (docs/limits.md#the-limits). */
export type LimitName = 'MAX_BALANCE' | 'MONTHLY_INCOMING' | 'PER_TRANSACTION' | 'PER_DAY' | 'PER_HOUR';

/**
 * One counter an operation adds to, with the limit it must stay within: the counter's amount (plus
 * `base`) may not pass `maxAmount`, its count may not pass `maxCount`; null is no limit (the
 * operation is counted all the same, so a limit set later starts from the truth).
 */
export interface CounterStep {
  counter: string;
  period: string;
  /** Added to the counter's amount; 0 for a counter of operations only. */
  amount: bigint;
  /** Added to the counter's amount before comparing (DOKU's balance, for the balance limit). */
  base: bigint;
  maxAmount: bigint | null;
  maxCount: number | null;
  /** What a refusal by this counter names. */
  limit: LimitName;
  /** What the refusal details say about it besides the figures. */
  about: Record<string, string>;
  /**
   * For the pending incoming counter: this step first forgets the settled operations stamped
   * before this moment (their amount is in `base` now, docs/limits.md#the-balance).
   */
  forgetSettledBefore?: Date;
}

/** The counters of one operation (sorted by counter: every writer takes the rows in that order). */
export class LimitReservation {
  readonly steps: readonly CounterStep[];

  constructor(
    readonly userId: string,
    readonly channel: string,
    readonly caller: CallerKind,
    steps: CounterStep[],
  ) {
    this.steps = [...steps].sort((a, b) => (a.counter < b.counter ? -1 : a.counter > b.counter ? 1 : 0));
  }

  /** The name of the last counter's CTE: it has a row only when every counter took the operation. */
  get last(): string {
    return `lim${this.steps.length}`;
  }

  /**
   * CTE parts for a WITH list: `lim1`…`limN`, each the conditional upsert of one counter, run only
   * when the one before took the operation (`lim1` once per row of `after`), and `limr`, what the
   * transaction reserved. An upsert meeting a row another statement holds waits for it, then checks
   * its WHERE on the row as that statement left it (PostgreSQL's ON CONFLICT DO UPDATE), so two
   * concurrent operations cannot both pass a limit that only one of them fits in. The text depends
   * only on the number of counters; every figure is a parameter. A refusal must undo the whole
   * statement (a step's forgetting runs even when an earlier step refused): both callers do, by
   * `limit_refused` or by rolling the commit back.
   */
  ctes(params: unknown[], after: string, transactionId: string): string {
    const user = `${bind(params, this.userId)}::uuid`;
    const parts = this.steps.map((step, i) => {
      const amount = `${bind(params, step.amount.toString())}::bigint`;
      const base = `${bind(params, step.base.toString())}::bigint`;
      const max = `${bind(params, step.maxAmount === null ? null : step.maxAmount.toString())}::bigint`;
      const maxCount = `${bind(params, step.maxCount)}::int`;
      const counter = `${bind(params, step.counter)}::text`;
      // What this step forgets (a CTE of its own, run when the step reads it: after the counters before it).
      let forget = '';
      let seen = '0';
      if (step.forgetSettledBefore) {
        forget = `limf${i + 1} AS (
        UPDATE limit_reservations SET released_at = now()
         WHERE user_id = ${user} AND counter = ${counter} AND released_at IS NULL AND settled_at < ${bind(params, step.forgetSettledBefore)}::timestamptz
        RETURNING amount),
      `;
        seen = `(SELECT COALESCE(sum(amount), 0) FROM limf${i + 1})`;
      }
      return `${forget}lim${i + 1} AS (
        INSERT INTO limit_counters AS c (user_id, counter, period, amount, count)
        SELECT ${user}, ${counter}, ${bind(params, step.period)}::text, ${amount}, 1 FROM ${i === 0 ? after : `lim${i}`}
         WHERE (${max} IS NULL OR ${base} + ${amount} <= ${max}) AND (${maxCount} IS NULL OR 1 <= ${maxCount})
        ON CONFLICT (user_id, counter, period) DO UPDATE SET amount = c.amount - ${seen} + EXCLUDED.amount, count = c.count + 1, updated_at = now()
         WHERE (${max} IS NULL OR ${base} + c.amount - ${seen} + EXCLUDED.amount <= ${max}) AND (${maxCount} IS NULL OR c.count + 1 <= ${maxCount})
        RETURNING 1 AS taken)`;
    });
    const values = this.steps
      .map(
        (step) =>
          `(${bind(params, step.counter)}::text, ${bind(params, step.period)}::text, ${bind(params, step.amount.toString())}::bigint)`,
      )
      .join(', ');
    parts.push(`limr AS (
        INSERT INTO limit_reservations (transaction_id, user_id, counter, period, amount)
        SELECT ${bind(params, transactionId)}::uuid, ${user}, v.counter, v.period, v.amount FROM ${this.last}, (VALUES ${values}) AS v (counter, period, amount))`);
    return parts.join(',\n      ');
  }

  /** An expression: the index of the first counter that refused, or -1 when all took the operation. */
  get refusedIndex(): string {
    const whens = this.steps.map((_, i) => `WHEN NOT EXISTS (SELECT 1 FROM lim${i + 1}) THEN ${i}`).join(' ');
    return `CASE ${whens} ELSE -1 END`;
  }

  /**
   * A select-list item for a statement whose other parts must be undone when a counter refused:
   * raises `LM001` (limit_refused) when `after` had a row and a counter refused, so nothing of the
   * statement is written (the Idempotency-Key stays free).
   */
  refusalColumn(after: string): string {
    return `CASE WHEN EXISTS (SELECT 1 FROM ${after}) AND NOT EXISTS (SELECT 1 FROM ${this.last}) THEN limit_refused(${this.refusedIndex}) END AS limit_refused`;
  }
}

/** The SQLSTATE `limit_refused` raises, with the refused counter's index in its message. */
export const LIMIT_REFUSED_SQLSTATE = 'LM001';

/** The index of the refused counter, when `error` is limit_refused's. */
export function refusedIndexOf(error: unknown): number | undefined {
  const e = error as { code?: unknown; message?: unknown } | null;
  if (e === null || typeof e !== 'object' || e.code !== LIMIT_REFUSED_SQLSTATE || typeof e.message !== 'string') return undefined;
  const match = /limit (\d+) refused/.exec(e.message);
  return match ? Number(match[1]) : undefined;
}
