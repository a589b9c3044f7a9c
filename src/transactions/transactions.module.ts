import { Global, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { IdempotencyKey } from '../common/idempotency/idempotency-key.entity';
import { IdempotencyService } from '../common/idempotency/idempotency.service';
import { TransactionEvent } from './entities/transaction-event.entity';
import { Transaction } from './entities/transaction.entity';
import { TransactionsRepository } from './transactions.repository';

/** The shared money model: every money feature records its movements through this module. */
@Global()
@Module({
  imports: [TypeOrmModule.forFeature([Transaction, TransactionEvent, IdempotencyKey])],
  providers: [TransactionsRepository, IdempotencyService],
  exports: [TransactionsRepository, IdempotencyService],
})
export class TransactionsModule {}
