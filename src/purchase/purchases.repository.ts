import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager, In } from 'typeorm';
import { AsyncResource } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';
import { bind, entityFromJson, jsonRowSql, plannedRows, preparedRows, returningRows } from '../common/database/sql';
import type { AppError } from '../common/errors/app-error';
import type { DokuTransactionStatus } from '../integrations/doku/snap/doku-response-codes';
import { Transaction } from '../transactions/entities/transaction.entity';
import type { KeyClaim, KeyCompletion } from '../transactions/idempotency/one-statement';
import type { OneStatementIntent } from '../transactions/idempotency/idempotency.service';
import { NewTransaction, pendingTransactionCtes, selectTransactions } from '../transactions/transactions.repository';
import type { LimitReservation } from '../limits/limit-reservation';
import { MetricsService } from '../metrics/metrics.service';
import { DokuExchangesRepository, NewDokuExchangeRecord } from '../integrations/doku/snap/doku-exchanges.repository';

/** The most purchases one shared commit-2 statement writes. */
const ACCEPTANCE_BATCH = 64;

/**
 * What must hold before a purchase is written, checked inside commit 1's one statement (a bound
 * wallet for the DOKU Wallet channel; the user for DANA): a CTE named `w` for the WITH list, the SQL
 * condition the insert happens under, a column answered with the row, and the refusal it means.
 */
export interface PurchasePrecondition {
  sql(params: unknown[], userId: string): { cte: string; holds: string; column: string };
  /** Why the purchase was not written, read from the answered column; undefined when it holds. */
  refusal(row: Record<string, unknown>): AppError | undefined;
}

/**
 * Purchase-shaped reads and writes over the shared `transactions` table. Every user-facing read
 * takes the owner's `userId` (deny by default: another user's purchase is as good as absent).
 */
@Injectable()
export class PurchasesRepository {
  private readonly acceptancesWaiting: WaitingAcceptance[] = [];
  /** Whether a commit-2 statement is in flight. */
  private acceptancesWriting = false;

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    metrics: MetricsService,
  ) {
    metrics.gaugeOf(
      'purchases_commit2_waiting',
      'Purchases DOKU accepted, waiting in this instance for the statement that records it (commit 2)',
      () => this.acceptancesWaiting.length,
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
   */
  async createPendingClaimingKey(
    claim: KeyClaim,
    precondition: PurchasePrecondition,
    input: NewTransaction,
    limits?: LimitReservation,
  ): Promise<OneStatementIntent<Transaction>> {
    const params: unknown[] = [];
    const id = randomUUID();
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
    const row = rows[0];
    const outcome = claim.outcome(row);
    if (outcome.keyId !== null) {
      // The new purchase as one JSON column: a wide row costs more to read than the rest of the answer (common/database/sql.ts).
      const purchase = entityFromJson(this.db.manager, Transaction, row.purchase_row as Record<string, unknown>);
      return { ...outcome, keyId: outcome.keyId, intent: purchase };
    }
    const refusal = precondition.refusal(row);
    return refusal ? { ...outcome, refusal } : outcome;
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
    return new Promise((resolve, reject) => {
      this.acceptancesWaiting.push({ completion, acceptance, exchanges, resolve, reject, inContext: AsyncResource.bind(runIt) });
      this.writeAcceptances();
    });
  }

  /** Purchases waiting for commit 2 (beyond the statement in flight). */
  acceptancesQueued(): number {
    return this.acceptancesWaiting.length;
  }

  private writeAcceptances(): void {
    if (this.acceptancesWriting || this.acceptancesWaiting.length === 0) return;
    const batch = this.acceptancesWaiting.splice(0, ACCEPTANCE_BATCH);
    this.acceptancesWriting = true;
    void this.writeAcceptanceBatch(batch).finally(() => {
      this.acceptancesWriting = false;
      // The next statement is sent in the context of a purchase it writes (its request's logs and
      // traces), not of the one whose statement just ended.
      if (this.acceptancesWaiting.length > 0) this.acceptancesWaiting[0].inContext(() => this.writeAcceptances());
    });
  }

  private async writeAcceptanceBatch(batch: WaitingAcceptance[]): Promise<void> {
    if (batch.length > 1) {
      let completed: Set<string> | undefined;
      try {
        completed = await this.writeSharedAcceptances(batch);
      } catch {
        // Nothing of it was written (one statement): each purchase again, on its own, below.
      }
      if (completed) {
        for (const one of batch) one.resolve(completed.has(one.completion.keyId));
        return;
      }
    }
    await Promise.all(
      batch.map(async (one) => {
        try {
          one.resolve(await this.writeOneAcceptance(one));
        } catch (error) {
          one.reject(error);
        }
      }),
    );
  }

  /** One purchase's commit 2 on its own. */
  private async writeOneAcceptance({ completion, acceptance, exchanges }: WaitingAcceptance): Promise<boolean> {
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
  private async writeSharedAcceptances(batch: WaitingAcceptance[]): Promise<Set<string>> {
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

/** A purchase waiting for its commit 2. */
interface WaitingAcceptance {
  completion: KeyCompletion;
  acceptance: Acceptance;
  exchanges: NewDokuExchangeRecord[];
  resolve(completed: boolean): void;
  reject(error: unknown): void;
  /** Runs a function in the async context of the request that is waiting. */
  inContext(run: () => void): void;
}

const runIt = (run: () => void): void => run();
