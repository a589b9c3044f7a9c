import { Global, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { IdempotencyKey } from '../common/idempotency/idempotency-key.entity';
import { IdempotencyService } from '../common/idempotency/idempotency.service';
import { OutboxEvent } from '../outbox/entities/outbox-event.entity';
import { OutboxRepository } from '../outbox/outbox.repository';
import { TransactionEvent } from './entities/transaction-event.entity';
import { Transaction } from './entities/transaction.entity';
import { TransactionsRepository } from './transactions.repository';

/** The shared money model: every money feature records its movements through this module. */
@Global()
@Module({
  imports: [TypeOrmModule.forFeature([Transaction, TransactionEvent, IdempotencyKey, OutboxEvent])],
  providers: [TransactionsRepository, IdempotencyService, OutboxRepository],
  exports: [TransactionsRepository, IdempotencyService, OutboxRepository],
})
export class TransactionsModule {}
