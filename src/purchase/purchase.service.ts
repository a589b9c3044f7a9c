import { Injectable, OnModuleInit, Optional } from '@nestjs/common';
import { Principal } from '../common/auth/principal';
import { AppError } from '../common/errors/app-error';
import { ErrorCode } from '../common/errors/error-codes';
import {
  IdempotencyContext,
  IdempotencyService,
  IdempotentResponse,
  StoredResponse,
} from '../transactions/idempotency/idempotency.service';
import { amountWithinLimit } from '../common/money/amount-limit';
import { Money } from '../common/money/money';
import { AppConfigService } from '../config/app-config.service';
import { CapturedExchanges, ExchangeRecorderService } from '../integrations/doku/snap/exchange-recorder.service';
import { exchangeRowStorable } from '../integrations/doku/snap/doku-exchanges.repository';
import type { PurchaseStarted } from '../integrations/doku/snap/payment.types';
import { DokuOutcome, externalIdOf } from '../transactions/doku-outcome';
import { Transaction } from '../transactions/entities/transaction.entity';
import { TransactionsRepository } from '../transactions/transactions.repository';
import type { NewTransaction } from '../transactions/transactions.repository';
import { CreatePurchaseRequestDto } from './dto/create-purchase.request.dto';
import { PurchaseCreatedResponseDto } from './dto/purchase-created.response.dto';
import { PurchaseResponseDto } from './dto/purchase.response.dto';
import { PURCHASE_RETURN_PATH } from './purchase-return.page';
import { AppReturnLinks } from '../clients/app-return-links.service';
import { DokuClock } from '../integrations/doku/snap/doku-clock';
import type { ChannelCard, ChannelPurchaseInput, PurchaseChannel } from './channels/purchase-channel';
import { PurchaseChannels } from './channels/purchase-channels';
import { DEFAULT_PAYMENT_METHOD } from '../transactions/payment-method';
import { renderedRejection } from '../transactions/rendered-response';
import { TransactionResolverRegistry } from '../transactions/transaction-resolver.registry';
import { dokuCodeOf, rejectionResponse } from '../transactions/stored-response';
import { PurchaseStatusService } from './purchase-status.service';
import { PurchasesRepository } from './purchases.repository';
import { EmoneyLimits } from '../limits/emoney-limits.service';
import { newPartnerReference } from '../transactions/partner-reference';
import type { MoneyAnswer } from '../transactions/stored-response';

/** What the purchase POST answers, fresh, replayed or rendered for an abandoned request. */
export type PurchaseAnswer = MoneyAnswer<PurchaseCreatedResponseDto>;

export { PURCHASE_RETURN_PATH };

export interface NewPurchase extends CreatePurchaseRequestDto {
  merchantOrderRef?: string;
}

interface PurchaseIntent {
  purchase: Transaction;
  channel: PurchaseChannel;
  input: ChannelPurchaseInput;
  /** The exchanges of the Purchase Web call, stored with commit 2 when it is one statement. */
  exchanges?: CapturedExchanges;
}

const REJECTION_MESSAGES: Partial<Record<ErrorCode, string>> = {
  'DOKU.INSUFFICIENT_BALANCE': 'The wallet balance is too low for this purchase',
  'DOKU.LIMIT_EXCEEDED': 'The purchase exceeds a DOKU Wallet limit',
  'DOKU.ACCOUNT_RESTRICTED': 'The DOKU Wallet cannot pay at the moment',
  'DOKU.TRANSACTION_EXPIRED': 'The payment expired',
  'DOKU.INVALID_AMOUNT': 'DOKU refused the amount',
  'WALLET.NEEDS_REBINDING': 'The DOKU wallet must be linked again',
};

/** The channel's own words for a decline when it has them (a card is not a wallet), else the common ones. */
function rejectionMessage(channel: PurchaseChannel | undefined, code: ErrorCode): string | undefined {
  return channel?.rejectionMessages?.[code] ?? REJECTION_MESSAGES[code];
}

/**
 * A purchase (docs/doku-integration.md#purchase, docs/channels.md): paid from the user's bound DOKU
 * Wallet on DOKU's PIN page, or once through another channel (DANA); the channel is the purchase's
 * `paymentMethod`, everything else is the same for every channel.
 */
@Injectable()
export class PurchaseService implements OnModuleInit {
  constructor(
    private readonly idempotency: IdempotencyService,
    private readonly purchases: PurchasesRepository,
    private readonly transactions: TransactionsRepository,
    private readonly status: PurchaseStatusService,
    private readonly channels: PurchaseChannels,
    private readonly config: AppConfigService,
    private readonly exchanges: ExchangeRecorderService,
    private readonly returnLinks: AppReturnLinks,
    private readonly clock: DokuClock,
    private readonly limits: EmoneyLimits,
    @Optional() private readonly resolvers?: TransactionResolverRegistry,
  ) {}

  /** Purchases are resolved by PurchaseStatusService; their POST answer is rendered here. */
  onModuleInit(): void {
    this.resolvers?.registerRenderer('PURCHASE', (purchase) => this.render(purchase));
  }

  /** The answer of the purchase POST for a settled purchase (completes the key of an abandoned request). */
  private render(purchase: Transaction): StoredResponse<PurchaseAnswer> {
    if (purchase.status === 'FAILED') {
      const code = purchase.failureCode as ErrorCode | null;
      // Every stored purchase names its channel; a record without one gets the common words.
      const channel = purchase.paymentMethod ? this.channels.of(purchase) : undefined;
      const message = (code && rejectionMessage(channel, code)) ?? 'DOKU declined the purchase';
      return renderedRejection(purchase, 'DOKU.REJECTED', message, { purchaseId: purchase.id, status: 'FAILED' });
    }
    const url = (purchase.details as { webRedirectUrl?: unknown }).webRedirectUrl;
    const body: PurchaseCreatedResponseDto = {
      id: purchase.id,
      status: purchase.status,
      amount: Number(purchase.amount),
      paymentMethod: purchase.paymentMethod,
      webRedirectUrl: typeof url === 'string' ? url : null,
    };
    return { status: 201, body };
  }

  /**
   * Commit 1: the PENDING purchase with its channel and new partnerReferenceNo; then the channel's
   * payment call; commit 2: DOKU's reference and payment page (201), a decline (FAILED, 4xx) or a
   * lost answer (UNKNOWN, 202).
   */
  async create(
    initiator: Principal,
    userId: string,
    input: NewPurchase,
    ctx: IdempotencyContext,
  ): Promise<IdempotentResponse<PurchaseAnswer>> {
    const amount = this.checkAmount(input);
    const method = input.paymentMethod ?? DEFAULT_PAYMENT_METHOD;
    const channel = this.channels.get(method);
    checkDevice(channel, input);
    const card = checkCard(channel, input);
    const initiatorId = initiator.kind === 'user' ? initiator.userId : initiator.clientId;
    // Asked to go straight back to the app: DOKU needs the app's link (docs/customer-pages.md#back-to-the-app).
    const appLink = input.returnToApp === true ? await this.returnLinks.baseFor({ kind: initiator.kind, id: initiatorId }) : undefined;
    if (input.returnToApp === true && !appLink) {
      throw new AppError('PURCHASE.NO_RETURN_URL', 'No app return link is configured to send the customer back to');
    }
    const channelInput: ChannelPurchaseInput = {
      description: input.description,
      items: input.items,
      deviceId: input.deviceId,
      ipAddress: input.ipAddress,
      appLink,
      // On DOKU's clock, like X-TIMESTAMP: the page validity is judged there.
      payableUntil: new Date(this.clock.now().getTime() + this.config.doku.purchaseValiditySeconds * 1000),
      // In memory only, for the one payment call: never part of the stored purchase.
      ...(card ? { card } : {}),
    };
    // The e-money limits (docs/limits.md): the per-transaction amount now, the others in commit 1.
    const limits = this.limits.outgoing({ userId, channel: method, caller: initiator.kind, amount });
    return this.idempotency.run<PurchaseIntent, DokuOutcome<PurchaseStarted>, PurchaseAnswer>(ctx, {
      // One statement: the channel's check (a bound wallet, or the user), the key, the limits'
      // counters and the PENDING purchase with its channel and new partnerReferenceNo.
      prepareInOneStatement: async (claim) => {
        const pending: NewTransaction = {
          userId,
          type: 'PURCHASE',
          paymentMethod: method,
          amount,
          partnerReferenceNo: channel.newPartnerReference?.() ?? newPartnerReference(channel.referencePrefix),
          dokuExternalId: await channel.newExternalId(),
          initiatorKind: initiator.kind,
          initiatorId,
          merchantOrderRef: input.merchantOrderRef ?? null,
          description: input.description ?? null,
          details: { items: input.items ?? [] },
        };
        const claimed = await this.purchases
          .createPendingClaimingKey(claim, channel.precondition, pending, limits)
          .catch(async (error: unknown) => {
            throw await this.limits.translate(error, limits);
          });
        if (!('intent' in claimed)) return claimed;
        return { ...claimed, intent: { purchase: claimed.intent, channel, input: channelInput } };
      },
      transactionId: (intent) => intent.purchase.id,
      execute: async (intent) => {
        const { value, exchanges } = await this.exchanges.capture(() =>
          intent.channel.start(intent.purchase, intent.input, intent.purchase.dokuExternalId ?? undefined),
        );
        intent.exchanges = exchanges;
        return value;
      },
      // Accepted (the usual answer): the reference and the PIN page, and the key, in one statement.
      settleInOneStatement: ({ purchase, input: given, exchanges }, outcome) => {
        if (outcome.kind !== 'ok') {
          this.exchanges.release(exchanges);
          return undefined;
        }
        // The call's exchange records go into the same statement (nothing can make it fail there).
        const rows = exchanges?.rows.splice(0) ?? [];
        const stored = rows.filter(exchangeRowStorable);
        this.exchanges.release({ rows: rows.filter((r) => !exchangeRowStorable(r)), open: false });
        const { referenceNo, webRedirectUrl: url } = outcome.result.body;
        const body: PurchaseCreatedResponseDto = {
          id: purchase.id,
          status: 'PENDING',
          amount: Number(purchase.amount),
          paymentMethod: purchase.paymentMethod,
          webRedirectUrl: url,
        };
        return {
          status: 201,
          body,
          transactionId: purchase.id,
          write: async (completion) => {
            try {
              return await this.purchases.recordAcceptanceCompletingKey(
                completion,
                {
                  id: purchase.id,
                  dokuReferenceNo: referenceNo,
                  // Until when the payment page takes the payment: the reconciler checks right after it (expiry).
                  details: { webRedirectUrl: url, payableUntil: given.payableUntil.toISOString() },
                  dokuExternalId: outcome.result.externalId,
                },
                stored,
              );
            } catch (error) {
              // Not stored with the outcome: the batch writes them (twice at worst, never lost).
              this.exchanges.release({ rows: stored, open: false });
              throw error;
            }
          },
        };
      },
      settle: async (tx, { purchase, input: given, channel: used }, outcome) => {
        const created = (status: PurchaseCreatedResponseDto['status'], webRedirectUrl: string | null): PurchaseCreatedResponseDto => ({
          id: purchase.id,
          status,
          amount: Number(purchase.amount),
          paymentMethod: purchase.paymentMethod,
          webRedirectUrl,
        });
        if (outcome.kind === 'ok') {
          const { referenceNo, webRedirectUrl: url } = outcome.result.body;
          await this.purchases.recordAcceptance(
            tx,
            purchase.id,
            referenceNo,
            { webRedirectUrl: url, payableUntil: given.payableUntil.toISOString() },
            outcome.result.externalId,
          );
          // Still PENDING: the user has to confirm with the PIN on DOKU's page.
          return { status: 201, body: created('PENDING', url), transactionId: purchase.id };
        }
        const responseCode = outcome.responseCode ?? dokuCodeOf(outcome.error);
        if (outcome.kind === 'rejected') {
          await this.transactions.transition(tx, purchase.id, 'FAILED', 'doku-response', 'doku-declined', {
            dokuExternalId: externalIdOf(outcome) ?? null,
            failureCode: outcome.error.code,
            dokuResponseCode: responseCode ?? null,
          });
          const code = outcome.error.code;
          return {
            ...rejectionResponse(code, rejectionMessage(used, code) ?? 'DOKU declined the purchase', {
              purchaseId: purchase.id,
              status: 'FAILED',
              ...(responseCode ? { responseCode } : {}),
            }),
            transactionId: purchase.id,
          };
        }
        // The answer was lost; DOKU may have the purchase. A status query settles it (docs/doku-integration.md#uncertain-outcomes).
        await this.transactions.transition(tx, purchase.id, 'UNKNOWN', 'doku-response', 'doku-unclear', {
          dokuExternalId: externalIdOf(outcome) ?? null,
          dokuResponseCode: responseCode ?? null,
        });
        return { status: 202, body: created('UNKNOWN', null), transactionId: purchase.id };
      },
    });
  }

  /**
   * One purchase of `userId`, from our record; while it is unresolved DOKU is asked first, at most
   * once per interval per purchase however often it is polled.
   */
  async get(userId: string, id: string): Promise<PurchaseResponseDto> {
    const found = await this.purchases.findForUser(id, userId);
    if (!found) throw new AppError('PURCHASE.NOT_FOUND', 'No such purchase');
    const { purchase, children } = await this.status.refresh(found, { poll: true });
    return PurchaseResponseDto.from(purchase, children);
  }

  private checkAmount(input: NewPurchase): Money {
    const amount = amountWithinLimit(input.amount, this.config.doku.transactionMaxAmount);
    if (input.items && input.items.length > 0) {
      const total = input.items.reduce((sum, item) => sum + BigInt(item.price) * BigInt(item.quantity), 0n);
      if (total !== BigInt(input.amount)) {
        throw new AppError('PURCHASE.ITEMS_MISMATCH', 'The items do not add up to the amount', {
          itemsTotal: Number(total),
          amount: input.amount,
        });
      }
    }
    return amount;
  }
}

/** The customer's device is required by a channel that passes it on, and refused by one that does not. */
function checkDevice(channel: PurchaseChannel, input: NewPurchase): void {
  const fields: { field: string; reasons: string[] }[] = [];
  if (channel.takesDevice && input.deviceId === undefined) {
    fields.push({ field: 'deviceId', reasons: [`deviceId is required with paymentMethod ${channel.method}`] });
  }
  if (!channel.takesDevice) {
    for (const field of ['deviceId', 'ipAddress'] as const) {
      if (input[field] !== undefined) fields.push({ field, reasons: [`${field} is not used with paymentMethod ${channel.method}`] });
    }
  }
  if (fields.length > 0) throw new AppError('REQUEST.VALIDATION_FAILED', 'The request has invalid fields', { fields });
}

/**
 * The card of a CARD purchase: its token or its CPAN (exactly one), and the OTP when the issuer sent
 * one. Card fields with any other method are refused, so they are never carried where nobody reads
 * them. The messages name the fields, never their values.
 */
function checkCard(channel: PurchaseChannel, input: NewPurchase): ChannelCard | undefined {
  const fields: { field: string; reasons: string[] }[] = [];
  const given = (['bankCardToken', 'cpan', 'otp'] as const).filter((f) => input[f] !== undefined);
  if (channel.method !== 'CARD') {
    for (const field of given) fields.push({ field, reasons: [`${field} is only used with paymentMethod CARD`] });
  } else if (input.bankCardToken !== undefined && input.cpan !== undefined) {
    fields.push({ field: 'cpan', reasons: ['give either bankCardToken or cpan, not both'] });
  } else if (input.bankCardToken === undefined && input.cpan === undefined) {
    fields.push({ field: 'bankCardToken', reasons: ['bankCardToken or cpan is required with paymentMethod CARD'] });
  }
  if (fields.length > 0) throw new AppError('REQUEST.VALIDATION_FAILED', 'The request has invalid fields', { fields });
  if (channel.method !== 'CARD') return undefined;
  const otp = input.otp !== undefined ? { otp: input.otp } : {};
  return input.bankCardToken !== undefined ? { bankCardToken: input.bankCardToken, ...otp } : { cpan: input.cpan as string, ...otp };
}
