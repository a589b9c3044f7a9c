import { Injectable, OnModuleInit } from '@nestjs/common';
import { CustomerDokuCalls } from '../../accounts/customer-doku-calls.service';
import { AppError } from '../../common/errors/app-error';
import type { DokuResult, MoneyCallOptions } from '../../integrations/doku/snap/doku.client';
import { InvalidMoneyError } from '../../common/money/money';
import { DokuKkiCards } from '../../integrations/doku/kki/kki.facade';
import type { KkiCard } from '../../integrations/doku/kki/kki.mapper';
import type {
  PurchaseReference,
  PurchaseRefund,
  PurchaseStarted,
  PurchaseStatus,
  RefundResult,
} from '../../integrations/doku/snap/payment.types';
import { captureDokuOutcome, DokuOutcome } from '../../transactions/doku-outcome';
import type { Transaction } from '../../transactions/entities/transaction.entity';
import { TransactionResolverRegistry } from '../../transactions/transaction-resolver.registry';
import { PurchaseStatusService } from '../purchase-status.service';
import type { ChannelPurchaseInput, PurchaseChannel } from './purchase-channel';
import { BOUND_WALLET } from './preconditions';
import { PurchaseChannels } from './purchase-channels';
import { randomUUID } from 'node:crypto';

/** A status answer that names another amount than ours: not evidence of anything. */
class StatusAmountMismatch extends Error {
  override readonly name = 'StatusAmountMismatch';
}

/** Our reference of a card payment: `KKI` and 29 hex digits, exactly the 32 letters and digits DOKU's KKI page allows. */
export function newCardPartnerReference(): string {
  return `KKI${randomUUID().replace(/-/g, '').slice(0, 29)}`;
}

/**
 * A KKI card, host to host (docs/channels.md#kki-card-host-to-host): the customer gives the card's
 * DOKU token or its CPAN and the OTP the issuer sent; DOKU charges the card at once, or asks the
 * customer to confirm in the issuer's app (`webRedirectUrl`). Settled by the KKI status query,
 * never by a second payment: the OTP is not kept, so a payment can never be sent again.
 *
 * The customer token DOKU's page requires on the payment is the user's bound DOKU Wallet's (see
 * docs/channels.md, "The customer token"): a user without a bound wallet cannot pay by card yet.
 */
@Injectable()
export class CardPurchaseChannel implements PurchaseChannel, OnModuleInit {
  readonly method = 'CARD' as const;
  // DOKU's KKI page documents no cancel: a paid card purchase is refunded.
  readonly cancelable = false;
  readonly takesDevice = false;
  readonly referencePrefix = 'KKI';
  readonly rejectionMessages = {
    'DOKU.INVALID_OTP': 'The card issuer refused the OTP',
    'DOKU.OTP_BLOCKED': 'Too many wrong OTPs: the card issuer blocked the OTP',
    'DOKU.OTP_EXPIRED': 'The OTP expired',
    'DOKU.INSUFFICIENT_BALANCE': 'There is not enough available on the card',
    'DOKU.ACCOUNT_RESTRICTED': 'The card cannot pay (blocked, expired or refused by its issuer)',
    'DOKU.LIMIT_EXCEEDED': 'The payment exceeds a limit of the card',
    'DOKU.INVALID_ACCOUNT': 'DOKU does not know this card',
    'DOKU.REJECTED': 'The card payment was declined; if the issuer has just sent an OTP, pay again with it',
  } as const;
  /** The user's DOKU Wallet must be bound: its customer token goes on the payment. */
  readonly precondition = BOUND_WALLET;

  constructor(
    private readonly channels: PurchaseChannels,
    private readonly cards: DokuKkiCards,
    private readonly customerCalls: CustomerDokuCalls,
    private readonly status_: PurchaseStatusService,
    private readonly resolvers: TransactionResolverRegistry,
  ) {}

  /**
   * Registers the channel, and its resolvers with the registry: the reconciler and the
   * abandoned-request completer settle a card purchase and its refunds through the KKI status query.
   */
  onModuleInit(): void {
    this.channels.register(this);
    for (const type of ['PURCHASE', 'REFUND'] as const) {
      this.resolvers.registerForPaymentMethod(type, 'CARD', (transaction) => this.status_.resolveTransaction(transaction));
    }
  }

  newExternalId(): Promise<string> {
    return this.cards.newExternalId();
  }

  newPartnerReference(): string {
    return newCardPartnerReference();
  }

  /** DOKU limits a KKI refund's reference to 12 characters: one from the never-resetting sequence. */
  newRefundReference(): Promise<string> {
    return this.cards.newRefundNo();
  }

  /**
   * Outside any transaction: the card payment with the user's customer token (renewed once if DOKU
   * refuses it, the same payment sent again unchanged: a refused token stops the call before
   * anything is applied). `firstExternalId` goes on the first HTTP attempt only.
   */
  start(purchase: Transaction, input: ChannelPurchaseInput, firstExternalId: string | undefined): Promise<DokuOutcome<PurchaseStarted>> {
    const given = input.card;
    // Checked by the purchase feature before commit 1; nothing was sent.
    if (!given) return Promise.resolve({ kind: 'rejected', error: new AppError('REQUEST.VALIDATION_FAILED', 'No card was given') });
    const card: KkiCard = given.bankCardToken !== undefined ? { bankCardToken: given.bankCardToken } : { cpan: given.cpan };
    const payment = {
      partnerReferenceNo: purchase.partnerReferenceNo,
      amount: purchase.amount,
      card,
      ...(given.otp !== undefined ? { otp: given.otp } : {}),
    };
    let externalId = firstExternalId;
    return captureDokuOutcome(() =>
      this.customerCalls.run(purchase.userId, (token) => {
        const options = { externalId };
        externalId = undefined;
        return this.cards.pay(token, payment, options);
      }),
    );
  }

  /**
   * The KKI status query, believed only when the amount it states (when it states one) is ours: an
   * answer about another amount, or one whose amount cannot be read, is contradictory and settles
   * nothing (docs/money-rules.md, `doku-unclear`); the purchase is asked about again later.
   */
  async status(purchase: PurchaseReference): Promise<DokuResult<PurchaseStatus>> {
    const result = await this.cards.status(purchase);
    const stated = result.body.amount;
    if (purchase.amount !== undefined && (stated instanceof InvalidMoneyError || (stated !== undefined && stated !== purchase.amount))) {
      throw new StatusAmountMismatch(`the KKI status query states another amount for ${purchase.partnerReferenceNo}`);
    }
    return result;
  }

  refund(refund: PurchaseRefund, options?: MoneyCallOptions): Promise<DokuResult<RefundResult>> {
    return this.cards.refund(refund, options);
  }
}
