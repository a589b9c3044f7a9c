import { Module } from '@nestjs/common';
import { AccountsModule } from '../accounts/accounts.module';
import { AuthTokenModule } from '../auth-token/auth-token.module';
import { ClientsModule } from '../clients/clients.module';
import { PurchaseCallbackController } from './purchase-callback.controller';
import { PurchaseReturnService } from './purchase-return.service';
import { PurchaseStatusService } from './purchase-status.service';
import { ExpiredPurchaseCancels } from './expired-purchase-cancels.service';
import { PurchaseController } from './purchase.controller';
import { PurchaseService } from './purchase.service';
import { CardPurchaseChannel } from './channels/card.channel';
import { DanaPurchaseChannel } from './channels/dana.channel';
import { CheckoutPurchaseChannel } from './channels/checkout.channel';
import { PurchaseChannels } from './channels/purchase-channels';
import { WalletPurchaseChannel } from './channels/wallet.channel';
import { PurchasesRepository } from './purchases.repository';
import { TransactionsModule } from '../transactions/transactions.module';
import { LimitsModule } from '../limits/limits.module';
import { DokuCheckoutModule } from '../integrations/doku/checkout/doku-checkout.module';
import { MetricsModule } from '../metrics/metrics.module';

/** Purchase Web, its status and the PIN-page return (docs/doku-integration.md#purchase). */
@Module({
  imports: [AccountsModule, AuthTokenModule, TransactionsModule, ClientsModule, DokuCheckoutModule, LimitsModule, MetricsModule],
  controllers: [PurchaseController, PurchaseCallbackController],
  // The payment channels (docs/channels.md): each registers itself in PurchaseChannels at start.
  providers: [
    PurchasesRepository,
    PurchaseStatusService,
    ExpiredPurchaseCancels,
    PurchaseService,
    PurchaseReturnService,
    PurchaseChannels,
    WalletPurchaseChannel,
    DanaPurchaseChannel,
    CardPurchaseChannel,
    CheckoutPurchaseChannel,
  ],
  exports: [PurchasesRepository, PurchaseStatusService, PurchaseChannels],
})
export class PurchaseModule {}
