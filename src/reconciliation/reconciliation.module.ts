import { Global, Module } from '@nestjs/common';
import { AccountsModule } from '../accounts/accounts.module';
import { DokuModule } from '../integrations/doku/doku.module';
import { AbandonedRequestCompleter } from './abandoned-request.completer';
import { BackOfficeResolutionController } from './back-office-resolution.controller';
import { BackOfficeResolutionService } from './back-office-resolution.service';
import { BalanceCheckController } from './balance-check.controller';
import { BalanceCheckService } from './balance-check.service';
import { ReconciliationRepository } from './reconciliation.repository';
import { ReconciliationService } from './reconciliation.service';
import { TransactionResolverRegistry } from './transaction-resolver.registry';

/**
 * Convergence to DOKU's truth: the reconciler of unresolved transactions, the completer of keys of
 * requests abandoned mid-flight, and the back office's per-user balance check.
 */
@Global()
@Module({
  imports: [AccountsModule, DokuModule],
  controllers: [BalanceCheckController, BackOfficeResolutionController],
  providers: [ReconciliationRepository, ReconciliationService, TransactionResolverRegistry, AbandonedRequestCompleter, BalanceCheckService, BackOfficeResolutionService],
  exports: [ReconciliationService, TransactionResolverRegistry],
})
export class ReconciliationModule {}
