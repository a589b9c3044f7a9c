import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { AppError } from '../common/errors/app-error';
import { Transaction } from '../transactions/entities/transaction.entity';
import { isUnresolved } from '../transactions/transaction-state';
import { TransactionsRepository } from '../transactions/transactions.repository';
import { ResolveTransactionRequestDto } from './dto/resolve-transaction.request.dto';
import { TransactionResolverRegistry } from '../transactions/transaction-resolver.registry';
import { isUuid } from '../common/http/id-params';

/**
 * The back office settles what DOKU's answers could not (docs/money-rules.md "When nothing settles
 * it"): a person states what DOKU did, with a reason, and the transaction moves through the same
 * state machine with the `back-office` evidence. What the move releases or books (a refund's
 * reservation, an inquiry) is done by the feature's own hook in the same database transaction.
 * The decision, who asked for it, who approved it (maker-checker, src/approvals) and why are in the
 * event log and the outbox event.
 */
@Injectable()
export class BackOfficeResolutionService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly transactions: TransactionsRepository,
    private readonly registry: TransactionResolverRegistry,
  ) {}

  /** Refuses, as the resolution itself would, a transaction that cannot be settled by hand now. */
  async checkResolvable(id: string): Promise<Transaction> {
    if (!isUuid(id)) throw new AppError('ADMIN.TRANSACTION_NOT_FOUND', 'No such transaction');
    const found = await this.db.getRepository(Transaction).findOneBy({ id });
    if (!found) throw new AppError('ADMIN.TRANSACTION_NOT_FOUND', 'No such transaction');
    if (found.type === 'CANCEL')
      throw new AppError('ADMIN.RESOLUTION_NOT_SUPPORTED', 'A cancel is settled from its purchase: resolve the purchase instead');
    if (!isUnresolved(found.status))
      throw new AppError('ADMIN.TRANSACTION_SETTLED', 'This transaction is already settled', { status: found.status });
    return found;
  }

  /**
   * Settles the transaction inside the caller's database transaction (the approval that allowed it
   * commits with it). `by` names the person who asked and the one who approved.
   */
  async resolveIn(
    tx: EntityManager,
    by: { requestedBy: string; approvedBy: string },
    id: string,
    input: ResolveTransactionRequestDto,
  ): Promise<Transaction> {
    if (!isUuid(id)) throw new AppError('ADMIN.TRANSACTION_NOT_FOUND', 'No such transaction');
    const found = await tx.getRepository(Transaction).findOneBy({ id });
    if (!found) throw new AppError('ADMIN.TRANSACTION_NOT_FOUND', 'No such transaction');
    // A cancel settles its purchase too; DOKU's answer to a status query does that safely.
    if (found.type === 'CANCEL')
      throw new AppError('ADMIN.RESOLUTION_NOT_SUPPORTED', 'A cancel is settled from its purchase: resolve the purchase instead');
    // Lock order of every money path: the purchase, then its refund.
    if (found.parentId) await tx.query(`SELECT id FROM transactions WHERE id = $1 FOR UPDATE`, [found.parentId]);
    const current = await tx.getRepository(Transaction).findOne({ where: { id }, lock: { mode: 'pessimistic_write' } });
    if (!current || !isUnresolved(current.status)) {
      throw new AppError('ADMIN.TRANSACTION_SETTLED', 'This transaction is already settled', { status: current?.status ?? found.status });
    }
    const moved = await this.transactions.transition(tx, id, input.status, 'back-office', 'back-office', {
      eventDetails: { reason: input.reason },
      ...(input.status === 'FAILED' ? { failureCode: 'ADMIN.RESOLVED_FAILED' } : {}),
      details: {
        resolution: {
          by: by.requestedBy,
          approvedBy: by.approvedBy,
          status: input.status,
          reason: input.reason,
          at: new Date().toISOString(),
        },
      },
    });
    if (!moved.changed)
      throw new AppError('ADMIN.TRANSACTION_SETTLED', 'This transaction is already settled', { status: moved.transaction.status });
    await this.registry.settlementHook(current.type)?.(tx, moved.transaction);
    return moved.transaction;
  }
}
