import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { IdempotencyKey } from './idempotency/idempotency-key.entity';
import { IdempotencyService } from './idempotency/idempotency.service';
import { TransactionEvent } from './entities/transaction-event.entity';
import { Transaction } from './entities/transaction.entity';
import { TransactionResolverRegistry } from './transaction-resolver.registry';
import { TransactionsRepository } from './transactions.repository';

/**
 * The shared money model: every money feature records its movements through this module, and
 * registers how its unresolved transactions are resolved (TransactionResolverRegistry). Not global:
 * the money features, the reconciler and the back office import it where they use it.
 */
@Module({
  imports: [TypeOrmModule.forFeature([Transaction, TransactionEvent, IdempotencyKey])],
  providers: [TransactionsRepository, IdempotencyService, TransactionResolverRegistry],
  exports: [TransactionsRepository, IdempotencyService, TransactionResolverRegistry],
})
export class TransactionsModule {}
