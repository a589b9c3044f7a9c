import { Module } from '@nestjs/common';
import { AuditModule } from '../audit/audit.module';
import { ReconciliationModule } from '../reconciliation/reconciliation.module';
import { RefundModule } from '../purchase/refund/refund.module';
import { TransactionsModule } from '../transactions/transactions.module';
import { ApprovalsController } from './approvals.controller';
import { ApprovalsRepository } from './approvals.repository';
import { ApprovalsService } from './approvals.service';
import { BackOfficeMoneyController } from './back-office-money.controller';

/** Maker-checker for the back office's refunds and manual resolutions. */
@Module({
  imports: [AuditModule, RefundModule, ReconciliationModule, TransactionsModule],
  controllers: [BackOfficeMoneyController, ApprovalsController],
  providers: [ApprovalsRepository, ApprovalsService],
})
export class ApprovalsModule {}
