import { Inject, Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { randomUUID } from 'node:crypto';
import { appReturnLink } from '../../common/pages/app-return-url';
import { AppError } from '../../common/errors/app-error';
import { rupiah } from '../../common/money/money';
import { AppConfigService } from '../../config/app-config.service';
import type { CheckoutResult } from '../../integrations/doku/checkout/checkout.client';
import { DokuCheckoutClient } from '../../integrations/doku/checkout/checkout.client';
import { CheckoutCallError } from '../../integrations/doku/checkout/checkout.errors';
import type { CheckoutOrder, CheckoutStarted } from '../../integrations/doku/checkout/checkout.mapper';
import { CheckoutOrderError } from '../../integrations/doku/checkout/checkout.mapper';
import { DOKU_CHECKOUT_CLIENT } from '../../integrations/doku/checkout/doku-checkout.module';
import type { DokuResult } from '../../integrations/doku/snap/doku.client';
import type { PurchaseReference, PurchaseStarted, PurchaseStatus, RefundResult } from '../../integrations/doku/snap/payment.types';
import type { DokuOutcome } from '../../transactions/doku-outcome';
import type { Transaction } from '../../transactions/entities/transaction.entity';
import { TransactionResolverRegistry } from '../../transactions/transaction-resolver.registry';
import { PURCHASE_RETURN_PATH } from '../purchase-return.page';
import { PurchaseStatusService } from '../purchase-status.service';
import { PurchasesRepository } from '../purchases.repository';
import { OPEN_ACCOUNT } from './preconditions';
import type { ChannelPurchaseInput, PurchaseChannel } from './purchase-channel';
import { PurchaseChannels } from './purchase-channels';
import { isUnresolved } from '../../transactions/transaction-state';

const logger = new Logger('CheckoutChannel');

/**
 * DOKU e-Wallet checkout (docs/channels.md#doku-e-wallet-checkout): DOKU's own payment page, no
 * binding. The order is created with the purchase's reference as invoice number and the Request-Id
 * stored with the purchase in commit 1 (a resend of the same order reuses it, and DOKU answers the
 * first answer again). Settled by DOKU's notification, confirmed with the status query, and by the
 * status query alone; never by a second order. DOKU documents no cancel and no refund call for it.
 */
@Injectable()
export class CheckoutPurchaseChannel implements PurchaseChannel, OnModuleInit {
  readonly method = 'DOKU_WALLET_CHECKOUT' as const;
  readonly cancelable = false;
  readonly refundable = false;
  readonly takesDevice = false;
  readonly referencePrefix = 'DWC';
  /** No wallet and no binding: only the customer's account must be open. */
  readonly precondition = OPEN_ACCOUNT;

  constructor(
    private readonly channels: PurchaseChannels,
    @Inject(DOKU_CHECKOUT_CLIENT) private readonly client: DokuCheckoutClient | null,
    private readonly status_: PurchaseStatusService,
    private readonly purchases: PurchasesRepository,
    private readonly resolvers: TransactionResolverRegistry,
    private readonly config: AppConfigService,
    @InjectDataSource() private readonly db: DataSource,
  ) {}

  /**
   * Registered whether or not the merchant is configured, so purchases made while it was on still
   * resolve through it; new purchases are refused while it is off.
   */
  onModuleInit(): void {
    this.channels.register(this);
    this.resolvers.registerForPaymentMethod('PURCHASE', this.method, (transaction) => this.resolve(transaction));
  }

  /** The status query settles it; then a purchase DOKU has but whose page we never got gets its page back. */
  private async resolve(transaction: Transaction): Promise<void> {
    await this.status_.resolveTransaction(transaction);
    await this.recoverPage(transaction.id);
  }

  /**
   * After a lost answer DOKU may have the order (its status says it is open) while the app has no
   * page to show. The same order again, with the Request-Id stored in commit 1, gets DOKU's first
   * answer back (409 replay): never a second order, since DOKU also refuses a used invoice number.
   * Any other answer changes nothing (an order sent straight back to the app differs in its return
   * URL, so DOKU refuses the resend as another body). Only on the reconciler's schedule, never on a
   * customer's poll.
   */
  private async recoverPage(id: string): Promise<void> {
    if (!this.client) return;
    const purchase = await this.purchases.findById(id);
    const details = (purchase?.details ?? {}) as { items?: { name: string; price: number; quantity: number }[]; webRedirectUrl?: unknown };
    if (!purchase || purchase.status !== 'PENDING' || purchase.dokuReferenceNo !== null || !purchase.dokuExternalId) return;
    if (typeof details.webRedirectUrl === 'string') return;
    let replayed: CheckoutResult<CheckoutStarted>;
    try {
      replayed = await this.client.createPayment(
        this.order(purchase, { items: details.items, payableUntil: new Date() }),
        purchase.dokuExternalId,
      );
    } catch (error) {
      logger.warn(`Purchase ${purchase.id}: its order sent again got no usable answer (${(error as Error).message})`);
      return;
    }
    await this.db.transaction(async (tx) => {
      const locked = await this.purchases.lockForUpdate(tx, purchase.id, undefined);
      if (!locked || !isUnresolved(locked.status)) return;
      await this.purchases.recordAcceptance(tx, purchase.id, purchase.partnerReferenceNo, { webRedirectUrl: replayed.body.paymentPageUrl });
    });
  }

  available(): boolean {
    return this.client !== null;
  }

  /** The order's Request-Id, stored with the purchase before DOKU is called. */
  newExternalId(): Promise<string> {
    return Promise.resolve(this.client?.newRequestId() ?? randomUUID());
  }

  async start(
    purchase: Transaction,
    input: ChannelPurchaseInput,
    firstExternalId: string | undefined,
  ): Promise<DokuOutcome<PurchaseStarted>> {
    const requestId = firstExternalId ?? purchase.dokuExternalId;
    if (!this.client || !requestId) {
      return { kind: 'rejected', error: new AppError('PURCHASE.PAYMENT_METHOD_UNAVAILABLE', 'This payment method is not available') };
    }
    let order: CheckoutOrder;
    try {
      order = this.order(purchase, input);
    } catch (error) {
      // Refused before anything was sent (an amount or items DOKU cannot take): nothing to settle.
      if (error instanceof CheckoutOrderError) {
        return { kind: 'rejected', error: new AppError('DOKU.REJECTED', 'DOKU cannot take this order', { reason: error.message }) };
      }
      throw error;
    }
    try {
      return { kind: 'ok', result: started(await this.client.createPayment(order, requestId), purchase.partnerReferenceNo) };
    } catch (error) {
      if (error instanceof CheckoutCallError) {
        // Unknown: DOKU may have the order (a resend with the same Request-Id, or the status, tells).
        return error.outcomeUnknown
          ? { kind: 'unknown', error, responseCode: httpCode(error.httpStatus) }
          : { kind: 'rejected', error, responseCode: httpCode(error.httpStatus) };
      }
      // Anything else after the request may have left: DOKU may have the order.
      return { kind: 'unknown', error: error instanceof Error ? error : new Error(String(error)) };
    }
  }

  /**
   * DOKU's status of the order, in the status service's terms. An answer whose amount is not ours
   * (or has none) settles nothing: it is refused here, so it can never mark a purchase paid.
   */
  async status(reference: PurchaseReference): Promise<DokuResult<PurchaseStatus>> {
    if (!this.client) throw new AppError('DOKU.UNAVAILABLE', 'The DOKU e-Wallet checkout is not configured');
    const answer = await this.client.status(reference.partnerReferenceNo);
    const outcome = answer.body;
    const purchase = await this.purchases.findByPartnerReference(reference.partnerReferenceNo);
    if (
      !purchase ||
      outcome.invoiceNumber !== reference.partnerReferenceNo ||
      outcome.amount === null ||
      outcome.amount !== purchase.amount
    ) {
      throw new AppError('DOKU.OUTCOME_UNKNOWN', 'DOKU stated another order or amount for this invoice', {
        endpoint: 'checkoutStatus',
        requestId: answer.requestId,
      });
    }
    return {
      body: {
        status: outcome.status,
        statusCode: outcome.statusWord ?? undefined,
        statusDescription: outcome.statusWord ?? undefined,
        // DOKU names a checkout order by our invoice number only.
        referenceNo: reference.partnerReferenceNo,
        ...(outcome.date !== null && outcome.status === 'SUCCESS' ? { paidTime: outcome.date } : {}),
        // No refund API: DOKU lists no refunds of an order.
        refunds: [],
      },
      responseCode: String(answer.httpStatus),
      httpStatus: answer.httpStatus,
      replayed: false,
      externalId: undefined,
      durationMs: answer.durationMs,
    };
  }

  /** Never reached: the refund feature refuses a channel that is not refundable before anything is written. */
  refund(): Promise<DokuResult<RefundResult>> {
    return Promise.reject(new AppError('PURCHASE.REFUND_NOT_SUPPORTED', 'DOKU has no refund call for the e-Wallet checkout'));
  }

  private order(purchase: Transaction, input: ChannelPurchaseInput): CheckoutOrder {
    const base = this.config.app.publicBaseUrl;
    // Straight back to the app when it asked and its link is a web link (DOKU shows only web addresses
    // for these fields, and a refused order would fail the purchase), otherwise our return page,
    // which leads back to the app itself. The same for success and failure, since the page (or the
    // app) reads the outcome from our record, never from the URL.
    const back =
      input.appLink !== undefined && /^https:\/\//.test(input.appLink)
        ? appReturnLink(input.appLink, 'processing', 'purchase', { purchaseId: purchase.id })
        : `${base}${PURCHASE_RETURN_PATH}?ref=${encodeURIComponent(purchase.partnerReferenceNo)}`;
    return {
      invoiceNumber: purchase.partnerReferenceNo,
      amount: purchase.amount,
      items: input.items?.map((i) => ({ name: i.name, price: rupiah(i.price), quantity: i.quantity })),
      successUrl: back,
      failedUrl: back,
      notifyUrl: `${base}${this.config.doku.checkout?.notificationPath ?? '/v1/callbacks/doku/checkout'}`,
      autoRedirect: true,
    };
  }
}

/** DOKU's page in the result type every channel answers; the invoice number is DOKU's name of the order. */
function started(result: CheckoutResult<CheckoutStarted>, invoiceNumber: string): DokuResult<PurchaseStarted> {
  return {
    body: { referenceNo: invoiceNumber, webRedirectUrl: result.body.paymentPageUrl },
    responseCode: String(result.httpStatus),
    httpStatus: result.httpStatus,
    replayed: result.replayed,
    // The Request-Id that created the order: stored as the purchase's external id.
    externalId: result.requestId,
    durationMs: result.durationMs,
  };
}

function httpCode(status: number | undefined): string | undefined {
  return status === undefined ? undefined : String(status);
}
