import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { Money } from '../common/money/money';
import { OutboxRepository } from '../outbox/outbox.repository';
import { bind, entityFromJson, jsonRowSql, returningRows } from '../common/database/sql';
import { Transaction } from './entities/transaction.entity';
import { TransactionEvent } from './entities/transaction-event.entity';
import {
  canTransition,
  isUnresolved,
  SettlementEvidence,
  TRANSACTION_STATUSES,
  TransactionStatus,
  typesRefused,
} from './transaction-state';
import { pendingKeyLink } from './idempotency/key-link';
import { assertTransitionCause } from './transition-cause';
import type { TransitionCause } from './transition-cause';
import { DEFAULT_PAYMENT_METHOD } from './payment-method';
import { longestCallMs } from './not-found-grace';
import { AppConfigService } from '../config/app-config.service';

/** The history events written in the commit right after one of our DOKU calls about an operation ended. */
const CALL_OUTCOME_CAUSES = `'doku-response', 'doku-response-to-resend'`;

const logger = new Logger('Transactions');

/**
 * Transactions read with plain SQL (`SELECT * … WHERE <where>`) and built column by column from
 * TypeORM's metadata: the same entities as `Repository.find`, without its query builder and result
 * mapping, which cost more than the statement on the paths that read a transaction several times
 * (notification processing, refunds; docs/performance.md). `where` is SQL over `params`.
 */
export async function selectTransactions(manager: EntityManager, where: string, params: unknown[]): Promise<Transaction[]> {
  // Each row as one JSON column: a wide row costs more to read than the rest of the statement (common/database/sql.ts).
  const rows: Array<{ row: Record<string, unknown> }> = await manager.query(
    `SELECT ${jsonRowSql(manager, Transaction, 'transactions')} AS row FROM transactions WHERE ${where}`,
    params,
  );
  return rows.map(({ row }) => entityFromJson(manager, Transaction, row));
}

const CREATED: TransitionCause = 'created';

export type NewTransaction = Pick<Transaction, 'userId' | 'type' | 'amount' | 'partnerReferenceNo' | 'initiatorKind' | 'initiatorId'> &
  Partial<Pick<Transaction, 'parentId' | 'merchantOrderRef' | 'description' | 'details' | 'dokuExternalId' | 'paymentMethod'>>;

export interface TransitionPatch {
  dokuReferenceNo?: string | null;
  /** The X-EXTERNAL-ID of the attempt DOKU answered, when it differs from the one chosen in commit 1. */
  dokuExternalId?: string | null;
  failureCode?: string | null;
  dokuResponseCode?: string | null;
  nextCheckAt?: Date | null;
  details?: Record<string, unknown>;
  /** Added to the history event's details (what the change needs to say beyond its cause: a status code, a reason). */
  eventDetails?: Record<string, unknown>;
}

export interface TransitionResult {
  changed: boolean;
  transaction: Transaction;
}

/**
 * The outbox event the partner's systems receive for every state change of a transaction, built in
 * SQL from the row just written (`t`, with `previous_status`), so the change, its history event and
 * its outbox event are one statement.
 */
const STATUS_EVENT_PAYLOAD = `jsonb_build_object(
    'transactionId', t.id, 'type', t.type, 'status', t.status, 'previousStatus', t.previous_status, 'cause', t.cause,
    'amount', t.amount, 'refundedAmount', t.refunded_amount, 'partnerReferenceNo', t.partner_reference_no,
    'merchantOrderRef', t.merchant_order_ref, 'parentId', t.parent_id, 'failureCode', t.failure_code,
    'paymentMethod', t.payment_method)`;

/** CTE parts recording the change of every row of `t` (columns of transactions plus previous_status, cause, event_details). */
const RECORD_CHANGE = `
  e AS (INSERT INTO transaction_events (transaction_id, from_status, to_status, cause, details)
        SELECT t.id, t.previous_status, t.status, t.cause, t.event_details FROM t),
  o AS (${OutboxRepository.appendFromRowsSql({
    from: 't',
    type: `'transaction.status_changed'`,
    aggregateType: `'transaction'`,
    aggregateId: 't.id',
    userId: 't.user_id',
    payload: STATUS_EVENT_PAYLOAD,
  })})`;

/**
 * The CTEs `t` (the new PENDING transaction `id`, with the columns of `RETURNING *`), `e` and `o`
 * (its history and outbox events), for a WITH list. With `onlyIf`, the row is inserted once per row
 * of that CTE (none when it has none): a statement that claims a key inserts the transaction only
 * when it claimed it.
 */
export function pendingTransactionCtes(params: unknown[], id: string, input: NewTransaction, onlyIf?: string): string {
  const p = (value: unknown, type: string) => `${bind(params, value)}::${type}`;
  return `t AS (
      INSERT INTO transactions (id, user_id, type, status, amount, partner_reference_no, parent_id, merchant_order_ref, description, details,
                                initiator_kind, initiator_id, doku_external_id, payment_method)
      SELECT ${p(id, 'uuid')}, ${p(input.userId, 'uuid')}, ${p(input.type, 'text')}, 'PENDING', ${p(input.amount.toString(), 'bigint')},
             ${p(input.partnerReferenceNo, 'text')}, ${p(input.parentId ?? null, 'uuid')}, ${p(input.merchantOrderRef ?? null, 'text')},
             ${p(input.description ?? null, 'text')}, ${p(JSON.stringify(input.details ?? {}), 'jsonb')}, ${p(input.initiatorKind, 'text')},
             ${p(input.initiatorId, 'text')}, ${p(input.dokuExternalId ?? null, 'text')},
             ${p(input.paymentMethod ?? DEFAULT_PAYMENT_METHOD, 'text')}
      ${onlyIf === undefined ? '' : `FROM ${onlyIf}`}
      RETURNING *, NULL::text AS previous_status, '${CREATED}'::text AS cause, '{}'::jsonb AS event_details),
    ${RECORD_CHANGE}`;
}

/**
 * A new transaction's values in the order of the columns user_id, type, amount,
 * partner_reference_no, parent_id, merchant_order_ref, description, details (JSON text),
 * initiator_kind, initiator_id, doku_external_id, payment_method.
 */
export function newTransactionValues(input: NewTransaction): unknown[] {
  return [
    input.userId,
    input.type,
    input.amount.toString(),
    input.partnerReferenceNo,
    input.parentId ?? null,
    input.merchantOrderRef ?? null,
    input.description ?? null,
    JSON.stringify(input.details ?? {}),
    input.initiatorKind,
    input.initiatorId,
    input.dokuExternalId ?? null,
    input.paymentMethod ?? DEFAULT_PAYMENT_METHOD,
  ];
}

/** The columns a new PENDING transaction is written with, other than its status. */
const PENDING_COLUMNS = `id, user_id, type, amount, partner_reference_no, parent_id, merchant_order_ref, description, details,
      initiator_kind, initiator_id, doku_external_id, payment_method`;

/**
 * `pendingTransactionCtes` for several new PENDING transactions in one statement: one per row of
 * `source` (a FROM item whose columns are named as the table's: id, user_id, type, amount,
 * partner_reference_no, parent_id, merchant_order_ref, description, details, initiator_kind,
 * initiator_id, doku_external_id, payment_method), with the same `t`, `e` and `o`.
 */
export function pendingTransactionsCtes(source: string): string {
  return `t AS (
      INSERT INTO transactions (${PENDING_COLUMNS}, status)
      SELECT ${PENDING_COLUMNS}, 'PENDING' FROM ${source}
      RETURNING *, NULL::text AS previous_status, '${CREATED}'::text AS cause, '{}'::jsonb AS event_details),
    ${RECORD_CHANGE}`;
}

@Injectable()
export class TransactionsRepository {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly config: AppConfigService,
  ) {}

  /** Writes the PENDING intent and its first event (commit 1 of a money operation). */
  async createPending(tx: EntityManager, input: NewTransaction): Promise<Transaction> {
    // The Idempotency-Key this commit claimed points at the new row, in the same statement.
    const link = pendingKeyLink(tx);
    const rows: Array<{ row: Record<string, unknown> }> = await tx.query(
      `WITH t AS (
         INSERT INTO transactions (user_id, type, status, amount, partner_reference_no, parent_id, merchant_order_ref, description, details, initiator_kind, initiator_id, doku_external_id, payment_method)
         VALUES ($1, $2, 'PENDING', $3, $4, $5, $6, $7, $8::jsonb, $9, $10, $11, $12)
         RETURNING *, NULL::text AS previous_status, '${CREATED}'::text AS cause, '{}'::jsonb AS event_details),
       ${RECORD_CHANGE},
       k AS (UPDATE idempotency_keys SET transaction_id = t.id FROM t WHERE idempotency_keys.id = $13::uuid)
       SELECT ${jsonRowSql(tx, Transaction, 't')} AS row FROM t`,
      [...newTransactionValues(input), link?.keyId ?? null],
    );
    const created = entityFromJson(tx, Transaction, rows[0].row);
    if (link) link.transactionId = created.id;
    return created;
  }

  /**
   * Moves a transaction to `to` only if that is a forward move from its current state and the
   * evidence is enough for its type (`settlementAllowed`: never fail or release money on missing,
   * unknown or contradictory information). Both are checked in the UPDATE itself, so two
   * concurrent settlements cannot both apply, and a refused move costs no extra statement. A move
   * to the state it is already in, a backward move, or a move on too little evidence changes
   * nothing; the caller releases money only when `changed` is true.
   */
  async transition(
    tx: EntityManager,
    id: string,
    to: TransactionStatus,
    cause: TransitionCause,
    evidence: SettlementEvidence,
    patch: TransitionPatch = {},
  ): Promise<TransitionResult> {
    assertTransitionCause(cause);
    const from = TRANSACTION_STATUSES.filter((s) => canTransition(s, to));
    const refused = typesRefused(to, evidence);
    // "Not found" contradicts an operation DOKU acknowledged with its own reference (NOT_FOUND_MAY_FAIL).
    const notFoundGuard = evidence === 'doku-not-found' && !isUnresolved(to) ? ' AND u.doku_reference_no IS NULL' : '';
    const sets: string[] = ['status = $2', 'updated_at = now()'];
    const params: unknown[] = [id, to, from, refused];
    const add = (column: string, value: unknown) => {
      params.push(value);
      sets.push(`${column} = $${params.length}`);
    };
    if (patch.dokuReferenceNo !== undefined) add('doku_reference_no', patch.dokuReferenceNo);
    if (patch.dokuExternalId !== undefined && patch.dokuExternalId !== null) add('doku_external_id', patch.dokuExternalId);
    if (patch.failureCode !== undefined) add('failure_code', patch.failureCode);
    if (patch.dokuResponseCode !== undefined) add('doku_response_code', patch.dokuResponseCode);
    if (patch.details !== undefined) {
      params.push(JSON.stringify(patch.details));
      sets.push(`details = details || $${params.length}::jsonb`);
    }
    if (to === 'PENDING' || to === 'UNKNOWN') {
      add('next_check_at', patch.nextCheckAt ?? new Date());
    } else {
      sets.push('next_check_at = NULL', 'finalized_at = COALESCE(finalized_at, now())');
    }
    params.push(cause);
    const causeParam = params.length;
    params.push(
      JSON.stringify({
        ...patch.eventDetails,
        evidence,
        ...(patch.dokuResponseCode ? { responseCode: patch.dokuResponseCode } : {}),
        ...(patch.failureCode ? { failureCode: patch.failureCode } : {}),
      }),
    );
    const eventDetailsParam = params.length;
    // The move, its history event and its outbox event in one statement.
    const rows: Record<string, unknown>[] = await tx.query(
      `WITH previous AS (SELECT id, status FROM transactions WHERE id = $1 FOR UPDATE),
       t AS (
         UPDATE transactions u SET ${sets.join(', ')}
           FROM previous WHERE u.id = previous.id AND previous.status = ANY($3::text[]) AND u.type <> ALL($4::text[])${notFoundGuard}
         RETURNING u.*, previous.status AS previous_status, $${causeParam}::text AS cause, $${eventDetailsParam}::jsonb AS event_details),
       ${RECORD_CHANGE}
       SELECT ${jsonRowSql(tx, Transaction, 't')} AS row FROM t`,
      params,
    );
    if (rows.length === 1) return { changed: true, transaction: entityFromJson(tx, Transaction, rows[0].row as Record<string, unknown>) };
    // Not a forward move, or too little evidence for one: nothing changed; the caller gets the
    // transaction as it is.
    const found = await selectTransactions(tx, 'id = $1', [id]);
    if (found.length === 0) throw new Error(`Transaction ${id} does not exist`);
    const current = found[0];
    if (
      (refused.includes(current.type) || (notFoundGuard !== '' && current.dokuReferenceNo !== null)) &&
      canTransition(current.status, to)
    ) {
      logger.warn({ transactionId: id, type: current.type, to, evidence }, 'settlement refused: not enough evidence; left unresolved');
    }
    return { changed: false, transaction: current };
  }

  /**
   * Reserves `amount` of a successful purchase for a refund, atomically: the check that refunds
   * never exceed what was paid is in the UPDATE, so concurrent refunds cannot overshoot together.
   */
  async reserveRefund(tx: EntityManager, purchaseId: string, amount: Money): Promise<boolean> {
    const rows = await returningRows(
      tx,
      `UPDATE transactions SET refund_reserved_amount = refund_reserved_amount + $2, updated_at = now()
        WHERE id = $1 AND type = 'PURCHASE' AND status = 'SUCCESS'
          AND refunded_amount + refund_reserved_amount + $2 <= amount
      RETURNING id`,
      [purchaseId, amount.toString()],
    );
    return rows.length === 1;
  }

  /** Releases a reservation: into the refunded amount when DOKU refunded it, back to refundable when not. */
  async settleRefundReservation(tx: EntityManager, purchaseId: string, amount: Money, refunded: boolean): Promise<void> {
    await tx.query(
      `UPDATE transactions SET refund_reserved_amount = refund_reserved_amount - $2,
              refunded_amount = refunded_amount + CASE WHEN $3 THEN $2::bigint ELSE 0 END, updated_at = now()
        WHERE id = $1`,
      [purchaseId, amount.toString(), refunded],
    );
  }

  /**
   * Claims one more send of an unresolved operation with its own identifiers (docs/money-rules.md),
   * recorded before the call: true only when it is still unresolved and DOKU has had `graceMs` since
   * our last call about it ended, by the rule of `graceStartsAt` (src/transactions/not-found-grace.ts,
   * here in SQL): the last recorded call outcome, or the creation plus the longest a call can last
   * when none was recorded, and never before the last send again started. So an operation is
   * sent again at most once per grace period, by one instance, and never while DOKU may still be
   * applying the last send (a late answer is then found by the status query instead).
   */
  async claimSendAgain(id: string, graceMs: number): Promise<boolean> {
    const rows = await returningRows(
      this.db.manager,
      `UPDATE transactions SET details = details || jsonb_build_object('lastSentAt', now(), 'sends', COALESCE((details->>'sends')::int, 1) + 1), updated_at = now()
        WHERE id = $1 AND status IN ('PENDING','UNKNOWN')
          AND GREATEST(
                created_at,
                COALESCE((SELECT max(e.created_at) FROM transaction_events e
                           WHERE e.transaction_id = transactions.id AND e.cause IN (${CALL_OUTCOME_CAUSES})),
                         created_at + make_interval(secs => $3::double precision / 1000)),
                (details->>'lastSentAt')::timestamptz
              ) <= now() - make_interval(secs => $2::double precision / 1000)
      RETURNING id`,
      [id, graceMs, longestCallMs(this.config.doku.timeoutMs)],
    );
    return rows.length === 1;
  }

  /**
   * When each of `ids` last had a DOKU call's outcome recorded: the newest history event caused by
   * DOKU's answer to our own call, first or sent again (a lost answer's UNKNOWN, an acceptance, a
   * decline), written in the commit after that call ended. Absent for an operation whose call never
   * recorded an outcome (its process died during it). Read only when a not-found is about to count.
   */
  async lastCallOutcomes(tx: EntityManager, ids: readonly string[]): Promise<Map<string, Date>> {
    if (ids.length === 0) return new Map();
    const rows: Array<{ id: string; at: Date }> = await tx.query(
      `SELECT transaction_id AS id, max(created_at) AS at FROM transaction_events
        WHERE transaction_id = ANY($1::uuid[]) AND cause IN (${CALL_OUTCOME_CAUSES}) GROUP BY transaction_id`,
      [ids],
    );
    return new Map(rows.map((r) => [r.id, new Date(r.at)]));
  }

  findById(id: string): Promise<Transaction | null> {
    return this.db.getRepository(Transaction).findOne({ where: { id } });
  }

  /** A user's own transaction; another user's is as good as absent (404 upstream). */
  findByIdForUser(id: string, userId: string): Promise<Transaction | null> {
    return this.db.getRepository(Transaction).findOne({ where: { id, userId } });
  }

  findByPartnerReference(partnerReferenceNo: string): Promise<Transaction | null> {
    return this.db.getRepository(Transaction).findOne({ where: { partnerReferenceNo } });
  }

  findEvents(transactionId: string): Promise<TransactionEvent[]> {
    return this.db.getRepository(TransactionEvent).find({ where: { transactionId }, order: { createdAt: 'ASC' } });
  }
}
