import { Global, Module } from '@nestjs/common';
import { ReconciliationRepository } from './reconciliation.repository';
import { ReconciliationService } from './reconciliation.service';
import { TransactionResolverRegistry } from './transaction-resolver.registry';

@Global()
@Module({
  providers: [ReconciliationRepository, ReconciliationService, TransactionResolverRegistry],
  exports: [ReconciliationService, TransactionResolverRegistry],
})
export class ReconciliationModule {}
