import { Injectable, OnModuleInit, Optional } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { Principal } from '../../common/auth/principal';
import { AppError } from '../../common/errors/app-error';
import { ErrorCode } from '../../common/errors/error-codes';
import {
  IdempotencyContext,
  IdempotencyService,
  IdempotentResponse,
  StoredResponse,
} from '../../transactions/idempotency/idempotency.service';
import { renderedRejection } from '../../transactions/rendered-response';
import { TransactionResolverRegistry } from '../../transactions/transaction-resolver.registry';
import { DokuPurchases } from '../../integrations/doku/wallet/purchase.facade';
import type { PurchaseCanceled } from '../../integrations/doku/wallet/purchase.mapper';
import { dokuCodeOf, rejectionResponse } from '../../transactions/stored-response';
import { purchaseReferenceOf } from '../purchase-refund';
import { PurchasesRepository } from '../purchases.repository';
import { captureDokuOutcome, DokuOutcome } from '../../transactions/doku-outcome';
import { Transaction } from '../../transactions/entities/transaction.entity';
import { TransactionsRepository } from '../../transactions/transactions.repository';
import { CancelPurchaseRequestDto } from './dto/cancel-purchase.request.dto';
import { CancelResponseDto } from './dto/cancel.response.dto';
import { newPartnerReference } from '../../transactions/partner-reference';
import type { MoneyAnswer } from '../../transactions/stored-response';

/** What the cancel POST answers, fresh, replayed or rendered for an abandoned request. */
export type CancelAnswer = MoneyAnswer<CancelResponseDto>;
import { PurchaseChannels } from '../channels/purchase-channels';

interface CancelIntent {
  purchase: Transaction;
  cancel: Transaction;
}

/** DOKU's cancel declines in our words: `405xx01` means "too late, use a refund". */
const CANCEL_DECLINES: Partial<Record<ErrorCode, ErrorCode>> = {
  'DOKU.OPERATION_NOT_ALLOWED': 'PURCHASE.NOT_CANCELABLE',
  'DOKU.INVALID_TRANSACTION_STATUS': 'PURCHASE.NOT_CANCELABLE',
  'DOKU.NOT_FOUND': 'PURCHASE.NOT_CANCELABLE',
};

/**
 * Cancel Purchase (docs/doku-integration.md#cancel): while the purchase waits for the PIN (or is
 * UNKNOWN), or after success on the same Jakarta day, before any refund. A CANCEL row (parent = the
 * purchase) records the request and its outcome; the purchase moves to CANCELED when DOKU confirms.
 */
@Injectable()
export class PurchaseCancelService implements OnModuleInit {
  constructor(
    private readonly idempotency: IdempotencyService,
    private readonly purchases: PurchasesRepository,
    private readonly transactions: TransactionsRepository,
    private readonly doku: DokuPurchases,
    private readonly channels: PurchaseChannels,
    @Optional() private readonly resolvers?: TransactionResolverRegistry,
  ) {}

  /** Cancels are resolved through their purchase (PurchaseStatusService); their POST answer is rendered here. */
  onModuleInit(): void {
    this.resolvers?.registerRenderer('CANCEL', (cancel, tx) => this.render(cancel, tx));
  }

  /** The answer of the cancel POST for a settled cancel (completes the key of an abandoned request). */
  private async render(cancel: Transaction, tx: EntityManager): Promise<StoredResponse<CancelAnswer>> {
    const purchase = cancel.parentId ? await tx.getRepository(Transaction).findOneBy({ id: cancel.parentId }) : null;
    const purchaseStatus = purchase?.status ?? 'CANCELED';
    if (cancel.status === 'FAILED') {
      return renderedRejection(cancel, 'PURCHASE.NOT_CANCELABLE', 'DOKU no longer allows canceling this purchase: refund it instead', {
        cancelId: cancel.id,
        purchaseStatus,
      });
    }
    const body: CancelResponseDto = { id: cancel.id, purchaseId: cancel.parentId ?? '', status: cancel.status, purchaseStatus };
    return { status: cancel.status === 'SUCCESS' ? 200 : 202, body };
  }

  /** `userId` undefined: the back office, for any user's purchase. */
  cancel(
    initiator: Principal,
    purchaseId: string,
    userId: string | undefined,
    input: CancelPurchaseRequestDto,
    ctx: IdempotencyContext,
  ): Promise<IdempotentResponse<CancelAnswer>> {
    return this.idempotency.run<CancelIntent, DokuOutcome<PurchaseCanceled>, CancelAnswer>(ctx, {
      prepare: async (tx) => {
        const purchase = await this.purchases.lockForUpdate(tx, purchaseId, userId);
        if (!purchase) throw new AppError('PURCHASE.NOT_FOUND', 'No such purchase');
        if (!this.channels.of(purchase).cancelable) {
          // DOKU documents no cancel for this channel (docs/channels.md#our-api).
          throw new AppError('PURCHASE.NOT_CANCELABLE', 'This payment method has no cancel: refund the purchase instead', {
            status: purchase.status,
            paymentMethod: purchase.paymentMethod,
          });
        }
        if (purchase.status === 'FAILED' || purchase.status === 'CANCELED') {
          throw new AppError('PURCHASE.NOT_CANCELABLE', 'This purchase is already closed', { status: purchase.status });
        }
        if (purchase.refundedAmount > 0n || purchase.refundReservedAmount > 0n) {
          throw new AppError('PURCHASE.NOT_CANCELABLE', 'This purchase has refunds: refund the rest instead', { status: purchase.status });
        }
        if (await this.purchases.findLiveCancel(tx, purchase.id)) {
          throw new AppError('PURCHASE.NOT_CANCELABLE', 'This purchase is already being canceled', { status: purchase.status });
        }
        const cancel = await this.transactions.createPending(tx, {
          userId: purchase.userId,
          type: 'CANCEL',
          amount: purchase.amount,
          // Cancel Purchase carries no reference of its own; this one identifies our record.
          partnerReferenceNo: newPartnerReference('CNL'),
          dokuExternalId: await this.doku.newExternalId(),
          parentId: purchase.id,
          initiatorKind: initiator.kind,
          initiatorId: initiator.kind === 'user' ? initiator.userId : initiator.clientId,
          description: input.reason ?? null,
          details: input.reason ? { reason: input.reason } : {},
        });
        return { purchase, cancel };
      },
      transactionId: (intent) => intent.cancel.id,
      execute: ({ purchase, cancel }) =>
        captureDokuOutcome(() =>
          this.doku.cancel(
            { purchase: purchaseReferenceOf(purchase), amount: purchase.amount, reason: input.reason },
            { externalId: cancel.dokuExternalId ?? undefined },
          ),
        ),
      settle: async (tx, { purchase, cancel }, outcome) => {
        const answer = (status: number, cancelStatus: CancelResponseDto['status'], purchaseStatus: CancelResponseDto['purchaseStatus']) => {
          const body: CancelResponseDto = { id: cancel.id, purchaseId: purchase.id, status: cancelStatus, purchaseStatus };
          return { status, body, transactionId: cancel.id };
        };
        // The purchase row first, then its cancel row: the same lock order as refunds.
        await this.purchases.lockForUpdate(tx, purchase.id, undefined);
        if (outcome.kind === 'ok') {
          await this.transactions.transition(tx, cancel.id, 'SUCCESS', 'doku-response', 'doku-success');
          const moved = await this.transactions.transition(tx, purchase.id, 'CANCELED', 'doku-response', 'doku-success', {
            details: { cancelTime: outcome.result.body.cancelTime ?? null },
          });
          return answer(200, 'SUCCESS', moved.transaction.status);
        }
        const responseCode = outcome.responseCode ?? dokuCodeOf(outcome.error);
        if (outcome.kind === 'rejected') {
          const code = CANCEL_DECLINES[outcome.error.code] ?? outcome.error.code;
          await this.transactions.transition(tx, cancel.id, 'FAILED', 'doku-response', 'doku-declined', {
            failureCode: code,
            dokuResponseCode: responseCode ?? null,
          });
          const message =
            code === 'PURCHASE.NOT_CANCELABLE'
              ? 'DOKU no longer allows canceling this purchase: refund it instead'
              : 'DOKU declined the cancel';
          return {
            ...rejectionResponse(code, message, {
              cancelId: cancel.id,
              purchaseStatus: purchase.status,
              ...(responseCode ? { responseCode } : {}),
            }),
            transactionId: cancel.id,
          };
        }
        await this.transactions.transition(tx, cancel.id, 'UNKNOWN', 'doku-response', 'doku-unclear', {
          dokuResponseCode: responseCode ?? null,
        });
        return answer(202, 'UNKNOWN', purchase.status);
      },
    });
  }
}
