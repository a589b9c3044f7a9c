import { Module } from '@nestjs/common';
import { AccountsModule } from '../accounts/accounts.module';
import { AuthTokenModule } from '../auth-token/auth-token.module';
import { PurchaseCallbackController } from './purchase-callback.controller';
import { PurchaseStatusService } from './purchase-status.service';
import { PurchaseController } from './purchase.controller';
import { PurchaseService } from './purchase.service';
import { PurchasesRepository } from './purchases.repository';

/** Purchase Web, its status and the PIN-page return (§3.2 C, §3.16, §3.17). */
@Module({
  imports: [AccountsModule, AuthTokenModule],
  controllers: [PurchaseController, PurchaseCallbackController],
  providers: [PurchasesRepository, PurchaseStatusService, PurchaseService],
  exports: [PurchasesRepository, PurchaseStatusService],
})
export class PurchaseModule {}
