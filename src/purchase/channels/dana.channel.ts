import { Injectable, OnModuleInit } from '@nestjs/common';
import { AppConfigService } from '../../config/app-config.service';
import type { DokuResult, MoneyCallOptions } from '../../integrations/doku/snap/doku.client';
import { DokuDana } from '../../integrations/doku/dana/dana.facade';
import type { DanaPaymentOrder } from '../../integrations/doku/dana/dana.mapper';
import type { PurchaseReference, PurchaseStarted, PurchaseStatus } from '../../integrations/doku/snap/payment.types';
import type { PurchaseRefund, RefundResult } from '../../integrations/doku/snap/payment.types';
import { captureDokuOutcome, DokuOutcome } from '../../transactions/doku-outcome';
import type { Transaction } from '../../transactions/entities/transaction.entity';
import { TransactionResolverRegistry } from '../../transactions/transaction-resolver.registry';
import { PURCHASE_RETURN_PATH } from '../purchase-return.page';
import { PurchaseStatusService } from '../purchase-status.service';
import { OPEN_ACCOUNT } from './preconditions';
import type { ChannelPurchaseInput, PurchaseChannel } from './purchase-channel';
import { PurchaseChannels } from './purchase-channels';

/**
 * DANA one-time payment through DOKU (docs/channels.md#dana-one-time-payment-jump-app): no binding,
 * the customer approves in DANA; settled by DANA's status query, never a second payment.
 */
@Injectable()
export class DanaPurchaseChannel implements PurchaseChannel, OnModuleInit {
  readonly method = 'DANA' as const;
  // DOKU documents no cancel for DANA: a paid DANA purchase is refunded.
  readonly cancelable = false;
  readonly takesDevice = true;
  readonly referencePrefix = 'DNA';
  /** No wallet and no binding: only the customer's account must be open. */
  readonly precondition = OPEN_ACCOUNT;

  constructor(
    private readonly channels: PurchaseChannels,
    private readonly dana: DokuDana,
    private readonly status_: PurchaseStatusService,
    private readonly resolvers: TransactionResolverRegistry,
    private readonly config: AppConfigService,
  ) {}

  /**
   * Registers the channel, and its resolvers with the registry: the reconciler and the
   * abandoned-request completer settle a DANA purchase and its refunds through DANA's status query.
   */
  onModuleInit(): void {
    this.channels.register(this);
    for (const type of ['PURCHASE', 'REFUND'] as const) {
      this.resolvers.registerForPaymentMethod(type, 'DANA', (transaction) => this.status_.resolveTransaction(transaction));
    }
  }

  newExternalId(): Promise<string> {
    return this.dana.newExternalId();
  }

  start(purchase: Transaction, input: ChannelPurchaseInput, firstExternalId: string | undefined): Promise<DokuOutcome<PurchaseStarted>> {
    const order: DanaPaymentOrder = {
      partnerReferenceNo: purchase.partnerReferenceNo,
      amount: purchase.amount,
      returnUrl: `${this.config.app.publicBaseUrl}${PURCHASE_RETURN_PATH}?ref=${encodeURIComponent(purchase.partnerReferenceNo)}`,
      payableUntil: input.payableUntil,
      // The partner's mobile app pays in-app; a service acting for a user, from a desktop page.
      pointOfInitiation: purchase.initiatorKind === 'user' ? 'app' : 'pc',
      title: input.description,
    };
    const device = { deviceId: input.deviceId ?? '', ...(input.ipAddress !== undefined ? { ipAddress: input.ipAddress } : {}) };
    return captureDokuOutcome(() => this.dana.start(order, device, { externalId: firstExternalId }));
  }

  status(purchase: PurchaseReference): Promise<DokuResult<PurchaseStatus>> {
    return this.dana.status(purchase);
  }

  refund(refund: PurchaseRefund, options?: MoneyCallOptions): Promise<DokuResult<RefundResult>> {
    return this.dana.refund(refund, options);
  }
}
