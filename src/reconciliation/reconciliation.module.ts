import { Module } from '@nestjs/common';
import { AccountsModule } from '../accounts/accounts.module';
import { DokuModule } from '../integrations/doku/doku.module';
import { AbandonedRequestCompleter } from './abandoned-request.completer';
import { BackOfficeResolutionService } from './back-office-resolution.service';
import { BalanceCheckController } from './balance-check.controller';
import { BalanceCheckService } from './balance-check.service';
import { ReconciliationRepository } from './reconciliation.repository';
import { ReconciliationService } from './reconciliation.service';
import { TransactionsModule } from '../transactions/transactions.module';
import { MetricsModule } from '../metrics/metrics.module';

/**
 * Convergence to DOKU's truth: the reconciler of unresolved transactions, the completer of keys of
 * requests abandoned mid-flight, and the back office's per-user balance check.
 */
@Module({
  imports: [AccountsModule, DokuModule, TransactionsModule, MetricsModule],
  controllers: [BalanceCheckController],
  providers: [ReconciliationRepository, ReconciliationService, AbandonedRequestCompleter, BalanceCheckService, BackOfficeResolutionService],
  exports: [BackOfficeResolutionService],
})
export class ReconciliationModule {}
