import { Injectable, OnModuleInit, Optional } from '@nestjs/common';
import { WalletAccessService } from '../accounts/wallet-access.service';
import { CustomerDokuCalls } from '../accounts/customer-doku-calls.service';
import { Principal } from '../common/auth/principal';
import { AppError } from '../common/errors/app-error';
import { ErrorCode } from '../common/errors/error-codes';
import { IdempotencyContext, IdempotencyService, IdempotentResponse, StoredResponse } from '../common/idempotency/idempotency.service';
import { amountWithinLimit } from '../common/money/amount-limit';
import { Money } from '../common/money/money';
import { AppConfigService } from '../config/app-config.service';
import { toSnapMoney } from '../integrations/doku/doku-mapper';
import { DokuClock } from '../integrations/doku/doku-clock';
import { jakartaTimestamp } from '../integrations/doku/doku-signature';
import { PurchaseWebRequest } from '../integrations/doku/doku-wire.types';
import { DokuClient } from '../integrations/doku/doku.client';
import { captureDokuOutcome, DokuOutcome, externalIdOf } from '../transactions/doku-outcome';
import { Transaction } from '../transactions/entities/transaction.entity';
import { isUnresolved } from '../transactions/transaction-state';
import { TransactionsRepository } from '../transactions/transactions.repository';
import { CreatePurchaseRequestDto } from './dto/create-purchase.request.dto';
import { PurchaseCreatedResponseDto } from './dto/purchase-created.response.dto';
import { PurchaseResponseDto } from './dto/purchase.response.dto';
import { renderPurchaseReturnPage } from './purchase-return.page';
import { renderedRejection } from '../reconciliation/rendered-response';
import { TransactionResolverRegistry } from '../reconciliation/transaction-resolver.registry';
import { dokuCodeOf, rejectionResponse } from '../transactions/stored-response';
import { PurchaseStatusService } from './purchase-status.service';
import { PurchasesRepository } from './purchases.repository';
import { newPartnerReference } from '../transactions/partner-reference';

/** The path DOKU's PIN page sends the browser back to (PAY_RETURN); fixed, never from the client. */
export const PURCHASE_RETURN_PATH = '/v1/callbacks/doku/purchase';
/** How long the PIN page stays payable (`validUpTo`, §3.16). */
const PIN_PAGE_VALIDITY_MS = 15 * 60_000;

export interface NewPurchase extends CreatePurchaseRequestDto {
  merchantOrderRef?: string;
}

interface PurchaseIntent {
  purchase: Transaction;
  request: PurchaseWebRequest;
}

const REJECTION_MESSAGES: Partial<Record<ErrorCode, string>> = {
  'DOKU.INSUFFICIENT_BALANCE': 'The wallet balance is too low for this purchase',
  'DOKU.LIMIT_EXCEEDED': 'The purchase exceeds a DOKU Wallet limit',
  'DOKU.ACCOUNT_RESTRICTED': 'The DOKU Wallet cannot pay at the moment',
  'DOKU.TRANSACTION_EXPIRED': 'The payment expired',
  'DOKU.INVALID_AMOUNT': 'DOKU refused the amount',
  'WALLET.NEEDS_REBINDING': 'The DOKU wallet must be linked again',
};

/** Purchase Web (§3.2 C, §3.16): the user pays from their own wallet on DOKU's PIN page. */
@Injectable()
export class PurchaseService implements OnModuleInit {
  constructor(
    private readonly idempotency: IdempotencyService,
    private readonly wallets: WalletAccessService,
    private readonly purchases: PurchasesRepository,
    private readonly transactions: TransactionsRepository,
    private readonly status: PurchaseStatusService,
    private readonly doku: DokuClient,
    private readonly customerCalls: CustomerDokuCalls,
    private readonly config: AppConfigService,
    private readonly clock: DokuClock,
    @Optional() private readonly resolvers?: TransactionResolverRegistry,
  ) {}

  /** Purchases are resolved by PurchaseStatusService; their POST answer is rendered here. */
  onModuleInit(): void {
    this.resolvers?.registerRenderer('PURCHASE', (purchase) => this.render(purchase));
  }

  /** The answer of the purchase POST for a settled purchase (completes the key of an abandoned request). */
  private render(purchase: Transaction): StoredResponse {
    if (purchase.status === 'FAILED') {
      const code = purchase.failureCode as ErrorCode | null;
      const message = (code && REJECTION_MESSAGES[code]) ?? 'DOKU declined the purchase';
      return renderedRejection(purchase, 'DOKU.REJECTED', message, { purchaseId: purchase.id, status: 'FAILED' });
    }
    const url = (purchase.details as { webRedirectUrl?: unknown }).webRedirectUrl;
    const body: PurchaseCreatedResponseDto = {
      id: purchase.id,
      status: purchase.status,
      amount: Number(purchase.amount),
      webRedirectUrl: typeof url === 'string' ? url : null,
    };
    return { status: 201, body };
  }

  /**
   * Commit 1: the PENDING purchase with its new partnerReferenceNo; then Purchase Web; commit 2:
   * DOKU's reference and PIN page (201), a decline (FAILED, 4xx) or a lost answer (UNKNOWN, 202).
   */
  create(initiator: Principal, userId: string, input: NewPurchase, ctx: IdempotencyContext): Promise<IdempotentResponse> {
    const amount = this.checkAmount(input);
    return this.idempotency.run<PurchaseIntent, DokuOutcome<unknown>>(ctx, {
      prepare: async (tx) => {
        await this.wallets.requireBoundWallet(userId, tx);
        const partnerReferenceNo = newPartnerReference('PUR');
        const purchase = await this.transactions.createPending(tx, {
          userId,
          type: 'PURCHASE',
          amount,
          partnerReferenceNo,
          dokuExternalId: await this.doku.newExternalId(),
          initiatorKind: initiator.kind,
          initiatorId: initiator.kind === 'user' ? initiator.userId : initiator.clientId,
          merchantOrderRef: input.merchantOrderRef ?? null,
          description: input.description ?? null,
          details: { items: input.items ?? [] },
        });
        return { purchase, request: this.purchaseWebRequest(purchase, input) };
      },
      transactionId: (intent) => intent.purchase.id,
      execute: (intent) => this.send(userId, intent.request, intent.purchase.dokuExternalId ?? undefined),
      settle: async (tx, { purchase }, outcome) => {
        const created = (status: PurchaseCreatedResponseDto['status'], webRedirectUrl: string | null): PurchaseCreatedResponseDto => ({
          id: purchase.id,
          status,
          amount: Number(purchase.amount),
          webRedirectUrl,
        });
        if (outcome.kind === 'ok') {
          const body = outcome.result.body as { referenceNo?: unknown; webRedirectUrl?: unknown };
          const url = typeof body.webRedirectUrl === 'string' ? body.webRedirectUrl : null;
          const reference = typeof body.referenceNo === 'string' ? body.referenceNo : null;
          await this.purchases.recordAcceptance(tx, purchase.id, reference, { webRedirectUrl: url }, outcome.result.externalId);
          // Still PENDING: the user has to confirm with the PIN on DOKU's page.
          return { status: 201, body: created('PENDING', url), transactionId: purchase.id };
        }
        const responseCode = outcome.responseCode ?? dokuCodeOf(outcome.error);
        if (outcome.kind === 'rejected') {
          await this.transactions.transition(tx, purchase.id, 'FAILED', 'Purchase Web declined', 'doku-declined', {
            dokuExternalId: externalIdOf(outcome) ?? null,
            failureCode: outcome.error.code,
            dokuResponseCode: responseCode ?? null,
          });
          const code = outcome.error.code;
          return {
            ...rejectionResponse(code, REJECTION_MESSAGES[code] ?? 'DOKU declined the purchase', {
              purchaseId: purchase.id,
              status: 'FAILED',
              ...(responseCode ? { responseCode } : {}),
            }),
            transactionId: purchase.id,
          };
        }
        // §5.6: the answer was lost; DOKU may have the purchase. A status query settles it.
        await this.transactions.transition(tx, purchase.id, 'UNKNOWN', 'Purchase Web: outcome unknown', 'doku-unclear', {
          dokuExternalId: externalIdOf(outcome) ?? null,
          dokuResponseCode: responseCode ?? null,
        });
        return { status: 202, body: created('UNKNOWN', null), transactionId: purchase.id };
      },
    });
  }

  /** One purchase of `userId`, brought up to date with DOKU first when it is still unresolved. */
  async get(userId: string, id: string): Promise<PurchaseResponseDto> {
    const found = await this.purchases.findForUser(id, userId);
    if (!found) throw new AppError('PURCHASE.NOT_FOUND', 'No such purchase');
    const { purchase, children } = await this.status.refresh(found);
    return PurchaseResponseDto.from(purchase, children);
  }

  /**
   * PAY_RETURN (§3.2 C): the browser comes back from DOKU's PIN page. Its query parameters are not
   * evidence of anything; the page shows what Query Purchase says.
   */
  async returnPage(ref: unknown): Promise<string> {
    const found = typeof ref === 'string' && /^PUR-[0-9a-f]{32}$/.test(ref) ? await this.purchases.findByPartnerReference(ref) : null;
    if (!found) return renderPurchaseReturnPage(undefined);
    try {
      const { purchase } = await this.status.refresh(found);
      return renderPurchaseReturnPage(purchase.status);
    } catch {
      // DOKU unreachable: the purchase is still being confirmed; the app polls for the result.
      return renderPurchaseReturnPage(isUnresolved(found.status) ? 'PENDING' : found.status);
    }
  }

  private checkAmount(input: NewPurchase): Money {
    const amount = amountWithinLimit(input.amount, this.config.doku.transactionMaxAmount);
    if (input.items && input.items.length > 0) {
      const total = input.items.reduce((sum, item) => sum + BigInt(item.price) * BigInt(item.quantity), 0n);
      if (total !== BigInt(input.amount)) {
        throw new AppError('PURCHASE.ITEMS_MISMATCH', 'The items do not add up to the amount', { itemsTotal: Number(total), amount: input.amount });
      }
    }
    return amount;
  }

  private purchaseWebRequest(purchase: Transaction, input: NewPurchase): PurchaseWebRequest {
    const base = this.config.app.publicBaseUrl;
    const returnUrl = `${base}${PURCHASE_RETURN_PATH}?ref=${encodeURIComponent(purchase.partnerReferenceNo)}`;
    return {
      partnerReferenceNo: purchase.partnerReferenceNo,
      amount: toSnapMoney(purchase.amount),
      urlParams: [
        { url: returnUrl, type: 'PAY_RETURN', isDeeplink: 'N' },
        { url: `${base}${this.config.doku.notificationPath}`, type: 'PAY_NOTIFY', isDeeplink: 'N' },
      ],
      // DOKU's time, like X-TIMESTAMP: the page validity is judged on DOKU's clock.
      validUpTo: jakartaTimestamp(new Date(this.clock.now().getTime() + PIN_PAGE_VALIDITY_MS)),
      additionalInfo: {
        ...(input.description ? { remarks: input.description } : {}),
        ...(input.items?.length ? { lineItems: input.items.map((i) => ({ name: i.name, price: `${i.price}.00`, quantity: i.quantity })) } : {}),
      },
    };
  }

  /**
   * Outside any transaction: Purchase Web with the user's customer token (renewed once if DOKU
   * refuses it). Failing to get a token at all means nothing was sent: a plain decline.
   */
  /** `firstExternalId` goes on the first HTTP attempt only: a renewed customer token means a new attempt and a new id. */
  private send(userId: string, request: PurchaseWebRequest, firstExternalId: string | undefined): Promise<DokuOutcome<unknown>> {
    let externalId = firstExternalId;
    return captureDokuOutcome(() =>
      this.customerCalls.run(userId, (token) => {
        const options = { externalId };
        externalId = undefined;
        return this.doku.purchaseWeb(token, request, options);
      }),
    );
  }
}

