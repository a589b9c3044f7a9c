import { Injectable, OnModuleInit } from '@nestjs/common';
import { CustomerDokuCalls } from '../../accounts/customer-doku-calls.service';
import { rupiah } from '../../common/money/money';
import { AppConfigService } from '../../config/app-config.service';
import type { DokuResult, MoneyCallOptions } from '../../integrations/doku/snap/doku.client';
import { DokuPurchases } from '../../integrations/doku/wallet/purchase.facade';
import type { PurchaseOrder } from '../../integrations/doku/wallet/purchase.mapper';
import type { PurchaseReference, PurchaseStarted, PurchaseStatus } from '../../integrations/doku/snap/payment.types';
import { DokuRefunds } from '../../integrations/doku/wallet/refund.facade';
import type { PurchaseRefund, RefundResult } from '../../integrations/doku/snap/payment.types';
import { captureDokuOutcome, DokuOutcome } from '../../transactions/doku-outcome';
import type { Transaction } from '../../transactions/entities/transaction.entity';
import { PURCHASE_RETURN_PATH } from '../purchase-return.page';
import type { ChannelPurchaseInput, PurchaseChannel } from './purchase-channel';
import { BOUND_WALLET } from './preconditions';
import { appReturnLink } from '../../common/pages/app-return-url';
import { PurchaseChannels } from './purchase-channels';

/**
 * The user's bound DOKU Wallet (docs/doku-integration.md#purchase): Purchase Web with the user's
 * customer token, DOKU's PIN page, Query Purchase, Refund Purchase, Cancel Purchase.
 */
@Injectable()
export class WalletPurchaseChannel implements PurchaseChannel, OnModuleInit {
  readonly method = 'DOKU_WALLET' as const;
  readonly cancelable = true;
  readonly takesDevice = false;
  readonly referencePrefix = 'PUR';
  /** The user's wallet must be bound; a refusal is the error `requireBoundWallet` gives. */
  readonly precondition = BOUND_WALLET;

  constructor(
    private readonly channels: PurchaseChannels,
    private readonly purchases: DokuPurchases,
    private readonly refunds: DokuRefunds,
    private readonly customerCalls: CustomerDokuCalls,
    private readonly config: AppConfigService,
  ) {}

  onModuleInit(): void {
    this.channels.register(this);
  }

  newExternalId(): Promise<string> {
    return this.purchases.newExternalId();
  }

  /**
   * Outside any transaction: Purchase Web with the user's customer token (renewed once if DOKU
   * refuses it). Failing to get a token at all means nothing was sent: a plain decline.
   * `firstExternalId` goes on the first HTTP attempt only: a renewed customer token means a new
   * attempt and a new id.
   */
  start(purchase: Transaction, input: ChannelPurchaseInput, firstExternalId: string | undefined): Promise<DokuOutcome<PurchaseStarted>> {
    const order = this.order(purchase, input);
    let externalId = firstExternalId;
    return captureDokuOutcome(() =>
      this.customerCalls.run(purchase.userId, (token) => {
        const options = { externalId };
        externalId = undefined;
        return this.purchases.start(token, order, options);
      }),
    );
  }

  status(purchase: PurchaseReference): Promise<DokuResult<PurchaseStatus>> {
    return this.purchases.status(purchase);
  }

  refund(refund: PurchaseRefund, options?: MoneyCallOptions): Promise<DokuResult<RefundResult>> {
    return this.refunds.refund(refund, options);
  }

  private order(purchase: Transaction, input: ChannelPurchaseInput): PurchaseOrder {
    const base = this.config.app.publicBaseUrl;
    return {
      partnerReferenceNo: purchase.partnerReferenceNo,
      amount: purchase.amount,
      // Straight back to the app when it asked (DOKU's isDeeplink "Y"), otherwise our return page.
      returnUrl:
        input.appLink !== undefined
          ? appReturnLink(input.appLink, 'processing', 'purchase', { purchaseId: purchase.id })
          : `${base}${PURCHASE_RETURN_PATH}?ref=${encodeURIComponent(purchase.partnerReferenceNo)}`,
      returnIsAppLink: input.appLink !== undefined,
      notifyUrl: `${base}${this.config.doku.notificationPath}`,
      payableUntil: input.payableUntil,
      description: input.description,
      items: input.items?.map((i) => ({ name: i.name, price: rupiah(i.price), quantity: i.quantity })),
    };
  }
}
