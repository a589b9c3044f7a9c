import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { UserPrincipal } from '../common/auth/principal';
import { AppError } from '../common/errors/app-error';
import { Transaction } from '../transactions/entities/transaction.entity';
import { isUnresolved } from '../transactions/transaction-state';
import { TransactionsRepository } from '../transactions/transactions.repository';
import { ResolveTransactionRequestDto } from './dto/resolve-transaction.request.dto';
import { TransactionResolverRegistry } from './transaction-resolver.registry';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * The back office settles what DOKU's answers could not (docs/money-rules.md "When nothing settles
 * it"): a person states what DOKU did, with a reason, and the transaction moves through the same
 * state machine with the `back-office` evidence. What the move releases or books (a refund's
 * reservation, an inquiry) is done by the feature's own hook in the same database transaction.
 * The decision, who made it and why are in the event log and the outbox event.
 */
@Injectable()
export class BackOfficeResolutionService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly transactions: TransactionsRepository,
    private readonly registry: TransactionResolverRegistry,
  ) {}

  async resolve(admin: UserPrincipal, id: string, input: ResolveTransactionRequestDto): Promise<Transaction> {
    if (!UUID.test(id)) throw new AppError('ADMIN.TRANSACTION_NOT_FOUND', 'No such transaction');
    return this.db.transaction(async (tx) => {
      const found = await tx.getRepository(Transaction).findOneBy({ id });
      if (!found) throw new AppError('ADMIN.TRANSACTION_NOT_FOUND', 'No such transaction');
      // A cancel settles its purchase too; DOKU's answer to a status query does that safely.
      if (found.type === 'CANCEL') throw new AppError('ADMIN.RESOLUTION_NOT_SUPPORTED', 'A cancel is settled from its purchase: resolve the purchase instead');
      // Lock order of every money path: the purchase, then its refund.
      if (found.parentId) await tx.query(`SELECT id FROM transactions WHERE id = $1 FOR UPDATE`, [found.parentId]);
      const current = await tx.getRepository(Transaction).findOne({ where: { id }, lock: { mode: 'pessimistic_write' } });
      if (!current || !isUnresolved(current.status)) {
        throw new AppError('ADMIN.TRANSACTION_SETTLED', 'This transaction is already settled', { status: current?.status ?? found.status });
      }
      const moved = await this.transactions.transition(tx, id, input.status, `back-office: ${input.reason}`, 'back-office', {
        ...(input.status === 'FAILED' ? { failureCode: 'ADMIN.RESOLVED_FAILED' } : {}),
        details: { resolution: { by: admin.userId, status: input.status, reason: input.reason, at: new Date().toISOString() } },
      });
      if (!moved.changed) throw new AppError('ADMIN.TRANSACTION_SETTLED', 'This transaction is already settled', { status: moved.transaction.status });
      await this.registry.settlementHook(current.type)?.(tx, moved.transaction);
      return moved.transaction;
    });
  }
}
