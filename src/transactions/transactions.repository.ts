import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { Money } from '../common/money/money';
import { returningRows } from '../database/sql';
import { OutboxRepository } from '../outbox/outbox.repository';
import { Transaction } from './entities/transaction.entity';
import { TransactionEvent } from './entities/transaction-event.entity';
import { canTransition, TRANSACTION_STATUSES, TransactionStatus } from './transaction-state';

export type NewTransaction = Pick<
  Transaction,
  'userId' | 'type' | 'amount' | 'partnerReferenceNo' | 'initiatorKind' | 'initiatorId'
> &
  Partial<Pick<Transaction, 'parentId' | 'merchantOrderRef' | 'description' | 'details'>>;

export interface TransitionPatch {
  dokuReferenceNo?: string | null;
  failureCode?: string | null;
  dokuResponseCode?: string | null;
  nextCheckAt?: Date | null;
  details?: Record<string, unknown>;
}

export interface TransitionResult {
  changed: boolean;
  transaction: Transaction;
}

/** The event the partner's systems receive for every state change of a transaction. */
function statusEvent(t: Transaction, previous: TransactionStatus | null, cause = 'created') {
  return {
    type: 'transaction.status_changed',
    aggregateType: 'transaction',
    aggregateId: t.id,
    userId: t.userId,
    payload: {
      transactionId: t.id,
      type: t.type,
      status: t.status,
      previousStatus: previous,
      cause,
      amount: Number(t.amount),
      refundedAmount: Number(t.refundedAmount),
      partnerReferenceNo: t.partnerReferenceNo,
      merchantOrderRef: t.merchantOrderRef,
      parentId: t.parentId,
      failureCode: t.failureCode,
    },
  };
}

@Injectable()
export class TransactionsRepository {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly outbox: OutboxRepository,
  ) {}

  /** Writes the PENDING intent and its first event (commit 1 of a money operation). */
  async createPending(tx: EntityManager, input: NewTransaction): Promise<Transaction> {
    const repo = tx.getRepository(Transaction);
    const saved = await repo.save(
      repo.create({ ...input, status: 'PENDING', details: input.details ?? {}, refundedAmount: 0n as Money, refundReservedAmount: 0n as Money }),
    );
    await tx.getRepository(TransactionEvent).insert({
      transactionId: saved.id,
      fromStatus: null,
      toStatus: 'PENDING',
      cause: 'created',
      details: {},
    });
    await this.outbox.append(tx, statusEvent(saved, null));
    return saved;
  }

  /**
   * Moves a transaction to `to` only if that is a forward move from its current state (checked in
   * the UPDATE itself, so two concurrent settlements cannot both apply), and records the event.
   * A move to the state it is already in, or a backward move, changes nothing.
   */
  async transition(
    tx: EntityManager,
    id: string,
    to: TransactionStatus,
    cause: string,
    patch: TransitionPatch = {},
  ): Promise<TransitionResult> {
    const from = TRANSACTION_STATUSES.filter((s) => canTransition(s, to));
    const sets: string[] = ['status = $2', 'updated_at = now()'];
    const params: unknown[] = [id, to, from];
    const add = (column: string, value: unknown) => {
      params.push(value);
      sets.push(`${column} = $${params.length}`);
    };
    if (patch.dokuReferenceNo !== undefined) add('doku_reference_no', patch.dokuReferenceNo);
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
    const rows = await returningRows<{ id: string; previous: TransactionStatus }>(
      tx,
      `WITH previous AS (SELECT id, status FROM transactions WHERE id = $1 FOR UPDATE)
       UPDATE transactions t SET ${sets.join(', ')}
         FROM previous WHERE t.id = previous.id AND previous.status = ANY($3::text[])
       RETURNING t.id, previous.status AS previous`,
      params,
    );
    if (rows.length === 1) {
      await tx.getRepository(TransactionEvent).insert({
        transactionId: id,
        fromStatus: rows[0].previous,
        toStatus: to,
        cause,
        details: { ...(patch.dokuResponseCode ? { responseCode: patch.dokuResponseCode } : {}), ...(patch.failureCode ? { failureCode: patch.failureCode } : {}) },
      });
    }
    const transaction = await tx.getRepository(Transaction).findOneOrFail({ where: { id } });
    if (rows.length === 1) await this.outbox.append(tx, statusEvent(transaction, rows[0].previous, cause));
    return { changed: rows.length === 1, transaction };
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
