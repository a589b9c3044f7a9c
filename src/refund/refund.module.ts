import { Module } from '@nestjs/common';
import { DokuModule } from '../integrations/doku/doku.module';
import { PurchaseModule } from '../purchase/purchase.module';
import { PurchaseCancelService } from './purchase-cancel.service';
import { RefundController } from './refund.controller';
import { RefundService } from './refund.service';

/** Cancel Purchase and Refund Purchase (§3.18, §3.19). */
@Module({
  imports: [PurchaseModule, DokuModule],
  controllers: [RefundController],
  providers: [PurchaseCancelService, RefundService],
})
export class RefundModule {}
