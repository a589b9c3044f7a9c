import { AuditModule } from '../../audit/audit.module';
import { Module } from '@nestjs/common';
import { DokuModule } from '../../integrations/doku/doku.module';
import { PurchaseModule } from '../purchase.module';
import { PurchaseCancelService } from './purchase-cancel.service';
import { RefundController } from './refund.controller';
import { RefundService } from './refund.service';
import { TransactionsModule } from '../../transactions/transactions.module';

/** Cancel Purchase and Refund Purchase (docs/doku-integration.md#cancel, #refund). */
@Module({
  imports: [PurchaseModule, DokuModule, TransactionsModule, AuditModule],
  controllers: [RefundController],
  providers: [PurchaseCancelService, RefundService],
  exports: [RefundService],
})
export class RefundModule {}
