import { Injectable, Logger } from '@nestjs/common';
import { Counter } from 'prom-client';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager, In } from 'typeorm';
import { randomUUID } from 'node:crypto';
import { bind, entityFromJson, jsonRowSql, plannedRows, preparedRows, returningRows } from '../common/database/sql';
import { SharedStatement } from '../common/database/shared-statement';
import type { AppError } from '../common/errors/app-error';
import type { DokuTransactionStatus } from '../integrations/doku/snap/doku-response-codes';
import { Transaction } from '../transactions/entities/transaction.entity';
import type { KeyClaim, KeyCompletion } from '../transactions/idempotency/one-statement';
import type { OneStatementIntent } from '../transactions/idempotency/idempotency.service';
import {
  NewTransaction,
  newTransactionValues,
  pendingTransactionCtes,
  pendingTransactionsCtes,
  selectTransactions,
} from '../transactions/transactions.repository';
import type { LimitReservation } from '../limits/limit-reservation';
import { LIMIT_REFUSED_SQLSTATE } from '../limits/limit-reservation';
import { MetricsService } from '../metrics/metrics.service';
import { AppConfigService } from '../config/app-config.service';
import { DokuExchangesRepository, NewDokuExchangeRecord } from '../integrations/doku/snap/doku-exchanges.repository';

/** The most purchases one shared commit-1 or commit-2 statement writes. */
const SHARED_BATCH = 64;

/**
 * What must hold before a purchase is written, checked inside commit 1's one statement (a bound
 * wallet for the DOKU Wallet channel; the user for DANA): a CTE named `w` for the WITH list, the SQL
 * condition the insert happens under, a column answered with the row, and the refusal it means.
 */
export interface PurchasePrecondition {
  sql(params: unknown[], userId: string): { cte: string; holds: string; column: string };
  /**
   * The same check for several users in one statement (a shared commit 1): CTE `w` with the rows of
   * the users in the uuid[] parameter `usersParam`, keyed by `user_id`; `holds` and `column` read
   * the row LEFT JOINed as `w` (all NULL for a user without one).
   */
  rowsSql(usersParam: string): { cte: string; holds: string; column: string };
  /** Why the purchase was not written, read from the answered column; undefined when it holds. */
  refusal(row: Record<string, unknown>): AppError | undefined;
}

/**
 * Purchase-shaped reads and writes over the shared `transactions` table. Every user-facing read
 * takes the owner's `userId` (deny by default: another user's purchase is as good as absent).
 */
@Injectable()
export class PurchasesRepository {
  private readonly log = new Logger('PurchasesRepository');
  /** Commit 1 of the purchases being created (docs/performance.md, twenty-fourth round). */
  private readonly pendings: SharedStatement<PendingPurchase, Record<string, unknown>>;
  /** Commit 2 of the purchases DOKU accepted (docs/performance.md, twenty-third round). */
  private readonly acceptances: SharedStatement<AcceptanceWrite, boolean>;

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    metrics: MetricsService,
    config: AppConfigService,
  ) {
    const stallMs = config.database.sharedStallMs;
    const fallbacks = new Counter({
      name: 'purchases_shared_statement_fallbacks_total',
      help: 'Shared commit statements that failed, their purchases then written one by one: reason limit (a purchase met an e-money limit) or error',
      labelNames: ['commit', 'reason'] as const,
      registers: [metrics.registry],
    });
    const failed = (commit: '1' | '2') => (error: unknown, operations: number) => {
      const code = (error as { code?: unknown } | null)?.code;
      const reason = code === LIMIT_REFUSED_SQLSTATE ? 'limit' : 'error';
      fallbacks.inc({ commit, reason });
      // The SQLSTATE only: a message may quote a row's values.
      if (reason === 'error')
        this.log.warn(`A shared commit-${commit} statement of ${operations} purchases failed (${String(code)}); written one by one`);
    };
    this.pendings = new SharedStatement({
      most: SHARED_BATCH,
      // Planning the shared statement costs about what two one-purchase statements save (docs/performance.md, twenty-fourth round).
      fewest: 3,
      stallMs,
      alone: (one) => this.writeOnePending(one),
      together: (batch) => this.writeSharedPendings(batch),
      joins: pendingsJoin,
      failed: failed('1'),
      observer: metrics.sharedStatementObserver('purchase_commit1'),
    });
    this.acceptances = new SharedStatement({
      most: SHARED_BATCH,
      stallMs,
      alone: (one) => this.writeOneAcceptance(one),
      together: async (batch) => {
        const completed = await this.writeSharedAcceptances(batch);
        return batch.map((one) => completed.has(one.completion.keyId));
      },
      failed: failed('2'),
      observer: metrics.sharedStatementObserver('purchase_commit2'),
    });
    metrics.gaugeOf(
      'purchases_commit1_waiting',
      'Purchases waiting in this instance for the statement that writes them PENDING (commit 1)',
      () => this.pendings.queued,
    );
    metrics.gaugeOf(
      'purchases_commit2_waiting',
      'Purchases DOKU accepted, waiting in this instance for the statement that records it (commit 2)',
      () => this.acceptances.queued,
    );
  }

  findForUser(id: string, userId: string): Promise<Transaction | null> {
    return this.db.getRepository(Transaction).findOne({ where: { id, userId, type: 'PURCHASE' } });
  }

  findById(id: string): Promise<Transaction | null> {
    return this.db.getRepository(Transaction).findOne({ where: { id, type: 'PURCHASE' } });
  }

  async findByPartnerReference(partnerReferenceNo: string): Promise<Transaction | null> {
    const [purchase] = await selectTransactions(this.db.manager, `partner_reference_no = $1 AND type = 'PURCHASE'`, [partnerReferenceNo]);
    return purchase ?? null;
  }

  /**
   * Locks the purchase row for the rest of `tx`: cancels and refunds of one purchase are prepared
   * one at a time, so a cancel and a refund can never both be sent for the same money.
   * `userId` undefined is the back office (any user's purchase).
   */
  async lockForUpdate(tx: EntityManager, id: string, userId: string | undefined): Promise<Transaction | null> {
    // One statement: FOR UPDATE answers the row as it is once the lock is ours.
    const [purchase] =
      userId === undefined
        ? await selectTransactions(tx, `id = $1 AND type = 'PURCHASE' FOR UPDATE`, [id])
        : await selectTransactions(tx, `id = $1 AND type = 'PURCHASE' AND user_id = $2 FOR UPDATE`, [id, userId]);
    return purchase ?? null;
  }

  /**
   * Claims the right to ask DOKU about this purchase now: true for exactly one caller per
   * `intervalMs`, whatever the number of polls and instances, because the check and the stamp are
   * one UPDATE (docs/doku-integration.md#purchase).
   */
  async claimStatusQuery(id: string, intervalMs: number): Promise<boolean> {
    const rows = await returningRows<{ id: string }>(
      this.db.manager,
      `UPDATE transactions SET status_asked_at = now()
        WHERE id = $1 AND (status_asked_at IS NULL OR status_asked_at <= now() - make_interval(secs => $2::float8 / 1000))
        RETURNING id`,
      [id, intervalMs],
    );
    return rows.length === 1;
  }

  /** Notes that DOKU is being asked about this purchase (a notification, the reconciler), so polls need not. */
  async markStatusAsked(id: string): Promise<void> {
    await this.db.query(`UPDATE transactions SET status_asked_at = now() WHERE id = $1`, [id]);
  }

  /** Refunds and cancels of a purchase, oldest first. */
  findChildren(purchaseId: string, manager: EntityManager = this.db.manager): Promise<Transaction[]> {
    return selectTransactions(manager, 'parent_id = $1 ORDER BY created_at ASC', [purchaseId]);
  }

  /**
   * Flags a settled purchase DOKU's answer contradicts: the first time is kept, DOKU's last status
   * (SUCCESS, REFUNDED, FAILED...) replaces the previous one. Gives whether it was new (flagged now).
   */
  async noteDokuDisagreement(tx: EntityManager, purchaseId: string, dokuStatus: DokuTransactionStatus): Promise<boolean> {
    const rows = await returningRows<{ first: boolean }>(
      tx,
      `UPDATE transactions SET doku_reported_status = $2, doku_disagrees_at = COALESCE(doku_disagrees_at, now())
        WHERE id = $1 RETURNING doku_disagrees_at = now() AS first`,
      [purchaseId, dokuStatus],
    );
    return rows[0]?.first === true;
  }

  /** A cancel of this purchase that is in flight or done: a second cancel or a refund must wait or stop. */
  async findLiveCancel(tx: EntityManager, purchaseId: string): Promise<Transaction | null> {
    return tx.getRepository(Transaction).findOne({
      where: { parentId: purchaseId, type: 'CANCEL', status: In(['PENDING', 'UNKNOWN', 'SUCCESS']) },
    });
  }

  /**
   * DOKU accepted the purchase: keep its reference and the PIN page, without a state change (the
   * purchase stays PENDING until the user confirms with the PIN).
   */
  async recordAcceptance(
    tx: EntityManager,
    id: string,
    dokuReferenceNo: string | null,
    details: Record<string, unknown>,
    dokuExternalId?: string,
  ): Promise<void> {
    await returningRows(
      tx,
      `UPDATE transactions SET doku_reference_no = COALESCE(doku_reference_no, $2), details = details || $3::jsonb,
              doku_external_id = COALESCE($4, doku_external_id), updated_at = now()
        WHERE id = $1 RETURNING id`,
      [id, dokuReferenceNo, JSON.stringify(details), dokuExternalId ?? null],
    );
  }

  /**
   * Commit 1 of a purchase as one statement: reads what the channel's check needs (the user's
   * wallet, or the user), claims the Idempotency-Key and inserts the PENDING purchase (with its
   * history and outbox events) only when the check holds and the key was free, with the e-money
   * limits' counters when given. One round trip, no explicit transaction (docs/performance.md).
   *
   * Shared commit: while one such statement is in flight, the purchases that arrive meanwhile wait
   * and are written together by the next one, each with its own check, key, counters and rows; a
   * lone purchase is written at once by the one-purchase statement. A shared statement writes all of
   * its purchases or none: when one of them meets a limit (or the statement fails in any way), each
   * is written again by its own statement, which answers that purchase's own outcome
   * (docs/performance.md, twenty-fourth round).
   */
  async createPendingClaimingKey(
    claim: KeyClaim,
    precondition: PurchasePrecondition,
    input: NewTransaction,
    limits?: LimitReservation,
  ): Promise<OneStatementIntent<Transaction>> {
    const row = await this.pendings.run({ id: randomUUID(), claim, precondition, input, limits });
    const outcome = claim.outcome(row);
    if (outcome.keyId !== null) {
      // The new purchase as one JSON column: a wide row costs more to read than the rest of the answer (common/database/sql.ts).
      const purchase = entityFromJson(this.db.manager, Transaction, row.purchase_row as Record<string, unknown>);
      return { ...outcome, keyId: outcome.keyId, intent: purchase };
    }
    const refusal = precondition.refusal(row);
    return refusal ? { ...outcome, refusal } : outcome;
  }

  /** Purchases waiting for commit 1 (beyond the statement in flight). */
  pendingsQueued(): number {
    return this.pendings.queued;
  }

  /** One purchase's commit 1 on its own; a limit's refusal raises `limit_refused` and undoes it all. */
  private async writeOnePending({ id, claim, precondition, input, limits }: PendingPurchase): Promise<Record<string, unknown>> {
    const params: unknown[] = [];
    const check = precondition.sql(params, input.userId);
    // The e-money limits' counters, taken only when the key was claimed; a refusal undoes the whole statement (docs/limits.md).
    const reserve = limits ? `${limits.ctes(params, 'ins', id)},` : '';
    const limitRefusal = limits ? `, ${limits.refusalColumn('ins')}` : '';
    const rows = await preparedRows<Record<string, unknown>>(
      this.db,
      `WITH ${check.cte},
            ${claim.ctes(params, check.holds, id)},
            ${reserve}
            ${pendingTransactionCtes(params, id, input, 'ins')}
       SELECT ${jsonRowSql(this.db.manager, Transaction, 't')} AS purchase_row, ${claim.columns}, ${check.column}${limitRefusal}
         FROM (SELECT 1) AS one LEFT JOIN t ON true`,
      params,
    );
    return rows[0];
  }

  /**
   * Several purchases' commit 1 in one statement: the same writes as `writeOnePending`, row by row
   * over the purchases' values as arrays, answering one row per purchase, in order, with the same
   * columns. Each purchase's check and key claim are its own (a purchase refused or replayed there
   * is answered so, the others are written). The counters are taken together: when any counter
   * refuses its purchase, `limit_refused` undoes the whole statement and each purchase goes again
   * alone. Keys are claimed in (scope, key) order and counter rows taken in (user, counter) order,
   * so two shared statements wait for each other rather than deadlock; one that does deadlock with
   * a writer of another shape only sends its purchases again alone. Planned at each execution, for
   * its own arrays (`plannedRows`).
   */
  private async writeSharedPendings(batch: PendingPurchase[]): Promise<Record<string, unknown>[]> {
    const purchases: unknown[][] = Array.from({ length: 16 }, () => []);
    const steps: unknown[][] = Array.from({ length: 7 }, () => []);
    for (const { id, claim, input, limits } of batch) {
      [id, ...newTransactionValues(input), claim.ctx.scope, claim.ctx.key, claim.ctx.fingerprint].forEach((value, i) =>
        purchases[i].push(value),
      );
      for (const step of limits?.steps ?? []) {
        [
          id,
          step.counter,
          step.period,
          step.amount.toString(),
          step.base.toString(),
          step.maxAmount === null ? null : step.maxAmount.toString(),
          step.maxCount,
        ].forEach((value, i) => steps[i].push(value));
      }
    }
    const params: unknown[] = [...purchases, ...steps];
    // Every purchase of a batch has the same check (`pendingsJoin`).
    const check = batch[0].precondition.rowsSql('$2::uuid[]');
    const rows = await plannedRows<Record<string, unknown>>(
      this.db,
      `WITH a AS (
         SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::bigint[], $5::text[], $6::uuid[], $7::text[], $8::text[], $9::jsonb[],
                              $10::text[], $11::text[], $12::text[], $13::text[], $14::text[], $15::text[], $16::text[])
           WITH ORDINALITY AS a(id, user_id, type, amount, partner_reference_no, parent_id, merchant_order_ref, description, details,
                                initiator_kind, initiator_id, doku_external_id, payment_method, scope, key, fingerprint, n)),
       ${check.cte},
       ins AS (
         INSERT INTO idempotency_keys (scope, key, fingerprint, status, transaction_id)
         SELECT a.scope, a.key, a.fingerprint, 'IN_PROGRESS', a.id FROM a LEFT JOIN w ON w.user_id = a.user_id WHERE ${check.holds} ORDER BY a.scope, a.key
         ON CONFLICT (scope, key) DO NOTHING RETURNING id, transaction_id),
       prior AS (
         SELECT i.scope, i.key, i.fingerprint, i.status, i.response_status, i.response_body, i.transaction_id
           FROM idempotency_keys i JOIN a ON i.scope = a.scope AND i.key = a.key),
       taken AS (
         SELECT s.*, a.user_id FROM unnest($17::uuid[], $18::text[], $19::text[], $20::bigint[], $21::bigint[], $22::bigint[], $23::int[])
           AS s(transaction_id, counter, period, amount, base, max_amount, max_count)
           JOIN ins ON ins.transaction_id = s.transaction_id JOIN a ON a.id = s.transaction_id),
       lim AS (
         INSERT INTO limit_counters AS c (user_id, counter, period, amount, count)
         SELECT user_id, counter, period, amount, 1 FROM taken
          WHERE (max_amount IS NULL OR base + amount <= max_amount) AND (max_count IS NULL OR 1 <= max_count)
          ORDER BY user_id, counter
         ON CONFLICT (user_id, counter, period) DO UPDATE SET amount = c.amount + EXCLUDED.amount, count = c.count + 1, updated_at = now()
          WHERE (SELECT (x.max_amount IS NULL OR x.base + c.amount + EXCLUDED.amount <= x.max_amount) AND (x.max_count IS NULL OR c.count + 1 <= x.max_count)
                   FROM taken x WHERE x.user_id = EXCLUDED.user_id AND x.counter = EXCLUDED.counter)
         RETURNING 1),
       limr AS (
         INSERT INTO limit_reservations (transaction_id, user_id, counter, period, amount)
         SELECT transaction_id, user_id, counter, period, amount FROM taken),
       ${pendingTransactionsCtes('(SELECT a.* FROM a JOIN ins ON ins.transaction_id = a.id) AS go')}
       SELECT ${jsonRowSql(this.db.manager, Transaction, 't')} AS purchase_row, ins.id AS claimed_key_id,
              CASE WHEN p.scope IS NULL THEN NULL ELSE json_build_object('fingerprint', p.fingerprint, 'status', p.status,
                'response_status', p.response_status, 'response_body', p.response_body, 'transaction_id', p.transaction_id) END AS prior_key,
              ${check.column},
              CASE WHEN (SELECT count(*) FROM lim) <> (SELECT count(*) FROM taken) THEN limit_refused(-1) END AS limit_refused
         FROM a LEFT JOIN ins ON ins.transaction_id = a.id LEFT JOIN t ON t.id = a.id
              LEFT JOIN prior p ON p.scope = a.scope AND p.key = a.key LEFT JOIN w ON w.user_id = a.user_id
        ORDER BY a.n`,
      params,
    );
    // One row per purchase, in order (FROM a); anything else sends each purchase again alone.
    if (rows.length !== batch.length) throw new Error(`shared commit 1: ${rows.length} rows for ${batch.length} purchases`);
    return rows;
  }

  /**
   * Commit 2 of an accepted purchase: DOKU's reference and the PIN page recorded (the purchase stays
   * PENDING), the Idempotency-Key completed, and the call's DOKU exchange records stored, in one
   * statement that is its own commit. True when it completed the key.
   *
   * Shared commit: while one such statement is in flight, the purchases accepted meanwhile wait and
   * are written together by the next one, each still in its own rows and with its own key; a lone
   * purchase is written at once by the one-purchase statement. When a shared statement fails (a
   * deadlock, a row a check refuses), each of its purchases is written again by its own statement,
   * so one purchase's failure is never another's (docs/performance.md, twenty-third round).
   */
  recordAcceptanceCompletingKey(
    completion: KeyCompletion,
    acceptance: Acceptance,
    exchanges: NewDokuExchangeRecord[] = [],
  ): Promise<boolean> {
    return this.acceptances.run({ completion, acceptance, exchanges });
  }

  /** Purchases waiting for commit 2 (beyond the statement in flight). */
  acceptancesQueued(): number {
    return this.acceptances.queued;
  }

  /** One purchase's commit 2 on its own. */
  private async writeOneAcceptance({ completion, acceptance, exchanges }: AcceptanceWrite): Promise<boolean> {
    const params: unknown[] = [];
    const rows = await preparedRows<{ key_completed: boolean }>(
      this.db,
      `WITH u AS (
         UPDATE transactions SET doku_reference_no = COALESCE(doku_reference_no, ${bind(params, acceptance.dokuReferenceNo)}),
                details = details || ${bind(params, JSON.stringify(acceptance.details))}::jsonb,
                doku_external_id = COALESCE(${bind(params, acceptance.dokuExternalId ?? null)}, doku_external_id), updated_at = now()
          WHERE id = ${bind(params, acceptance.id)}::uuid RETURNING id),
       ${completion.cte(params)}${exchanges.length > 0 ? `,\n       ${DokuExchangesRepository.insertCte(params, exchanges)}` : ''}
       SELECT ${completion.column}`,
      params,
    );
    return rows[0]?.key_completed === true;
  }

  /**
   * Several purchases' commit 2 in one statement: the same writes as `writeOneAcceptance`, row by
   * row, over the purchases' values as arrays (one row each). Answers the keys it completed. Planned at each execution (`plannedRows`): a plan kept from when
   * the tables were small read the whole `transactions` table for every shared statement once it
   * had grown (docs/performance.md, twenty-third round); planned for the arrays it is given, it
   * probes the keys (test/query-plans.e2e-spec.ts). One planning serves all the purchases it writes.
   */
  private async writeSharedAcceptances(batch: AcceptanceWrite[]): Promise<Set<string>> {
    const columns: unknown[][] = [[], [], [], [], [], [], [], []];
    const exchanges: NewDokuExchangeRecord[] = [];
    for (const { completion, acceptance, exchanges: own } of batch) {
      const key = completion.values();
      [
        acceptance.id,
        acceptance.dokuReferenceNo,
        JSON.stringify(acceptance.details),
        acceptance.dokuExternalId ?? null,
        completion.keyId,
        key.status,
        key.body,
        key.transactionId,
      ].forEach((value, i) => columns[i].push(value));
      exchanges.push(...own);
    }
    const params: unknown[] = [...columns];
    const rows = await plannedRows<{ key_id: string }>(
      this.db,
      `WITH a AS (
         SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::uuid[], $6::int[], $7::text[], $8::uuid[])
           AS a(id, reference_no, details, external_id, key_id, response_status, response_body, transaction_id)),
       u AS (
         UPDATE transactions t SET doku_reference_no = COALESCE(t.doku_reference_no, a.reference_no),
                details = t.details || a.details::jsonb,
                doku_external_id = COALESCE(a.external_id, t.doku_external_id), updated_at = now()
           FROM a WHERE t.id = a.id RETURNING t.id),
       k AS (
         UPDATE idempotency_keys i SET status = 'COMPLETED', response_status = a.response_status,
                response_body = a.response_body::jsonb, transaction_id = COALESCE(a.transaction_id, i.transaction_id), completed_at = now()
           FROM a WHERE i.id = a.key_id AND i.status = 'IN_PROGRESS' RETURNING i.id)${
             exchanges.length > 0 ? `,\n       ${DokuExchangesRepository.insertCte(params, exchanges)}` : ''
           }
       SELECT id AS key_id FROM k`,
      params,
    );
    return new Set(rows.map((row) => row.key_id));
  }
}

/** What commit 2 records of an accepted purchase. */
export interface Acceptance {
  id: string;
  dokuReferenceNo: string | null;
  details: Record<string, unknown>;
  dokuExternalId?: string;
}

/** What commit 2 writes of one purchase. */
interface AcceptanceWrite {
  completion: KeyCompletion;
  acceptance: Acceptance;
  exchanges: NewDokuExchangeRecord[];
}

/** What commit 1 writes of one purchase. */
interface PendingPurchase {
  /** The new purchase's id, chosen before the statement (the key points at it). */
  id: string;
  claim: KeyClaim;
  precondition: PurchasePrecondition;
  input: NewTransaction;
  limits?: LimitReservation;
}

/**
 * Whether a purchase's commit 1 may share the statement of `batch`: the same check, one purchase
 * per user (a counter row is taken once per statement) and per Idempotency-Key, and counters that
 * need no forgetting (a purchase's never do: docs/limits.md).
 */
function pendingsJoin(one: PendingPurchase, batch: readonly PendingPurchase[]): boolean {
  const first = batch[0];
  if (first.precondition !== one.precondition || !sharable(first) || !sharable(one)) return false;
  const { scope, key } = one.claim.ctx;
  return batch.every((b) => b.input.userId !== one.input.userId && (b.claim.ctx.scope !== scope || b.claim.ctx.key !== key));
}

function sharable(one: PendingPurchase): boolean {
  return !(one.limits?.steps.some((step) => step.forgetSettledBefore !== undefined) ?? false);
}
