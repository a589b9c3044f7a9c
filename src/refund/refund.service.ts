import { Injectable, OnModuleInit, Optional } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { Principal } from '../common/auth/principal';
import { AppError } from '../common/errors/app-error';
import { ErrorCode } from '../common/errors/error-codes';
import { IdempotencyContext, IdempotencyService, IdempotentResponse, StoredResponse } from '../common/idempotency/idempotency.service';
import { renderedRejection } from '../reconciliation/rendered-response';
import { TransactionResolverRegistry } from '../reconciliation/transaction-resolver.registry';
import { rupiah } from '../common/money/money';
import { RefundPurchaseResponse } from '../integrations/doku/doku-wire.types';
import { DokuClient } from '../integrations/doku/doku.client';
import { dokuCodeOf, rejectionResponse } from '../transactions/stored-response';
import { PurchasesRepository } from '../purchase/purchases.repository';
import { refundPurchaseRequest } from '../purchase/refund-purchase-request';
import { captureDokuOutcome, DokuOutcome, externalIdOf } from '../transactions/doku-outcome';
import { Transaction } from '../transactions/entities/transaction.entity';
import { TransactionsRepository } from '../transactions/transactions.repository';
import { CreateRefundRequestDto } from './dto/create-refund.request.dto';
import { RefundResponseDto } from './dto/refund.response.dto';
import { newPartnerReference } from '../transactions/partner-reference';

interface RefundIntent {
  purchase: Transaction;
  refund: Transaction;
  reason: string;
}

/** DOKU's refund declines in our words (§3.19 errors). */
const REFUND_DECLINES: Partial<Record<ErrorCode, ErrorCode>> = {
  'DOKU.INVALID_AMOUNT': 'PURCHASE.REFUND_EXCEEDS_PAID',
  'DOKU.INVALID_TRANSACTION_STATUS': 'PURCHASE.NOT_REFUNDABLE',
  'DOKU.OPERATION_NOT_ALLOWED': 'PURCHASE.NOT_REFUNDABLE',
};

/**
 * Refund Purchase (§3.19). Moves the partner's money, so only services with `refunds:write` and
 * finance/admin reach it, never the paying user. The refundable amount is reserved atomically in
 * commit 1 (with the purchase row locked), so concurrent refunds can never add up to more than
 * was paid; the reservation becomes refunded, is released, or stays held while UNKNOWN.
 */
@Injectable()
export class RefundService implements OnModuleInit {
  constructor(
    private readonly idempotency: IdempotencyService,
    private readonly purchases: PurchasesRepository,
    private readonly transactions: TransactionsRepository,
    private readonly doku: DokuClient,
    @Optional() private readonly resolvers?: TransactionResolverRegistry,
  ) {}

  /** Refunds are resolved through their purchase (PurchaseStatusService); their POST answer is rendered here. */
  onModuleInit(): void {
    this.resolvers?.registerRenderer('REFUND', (refund, tx) => this.render(refund, tx));
    // Settled by the back office: the reserved amount becomes refunded, or refundable again.
    this.resolvers?.registerSettlementHook('REFUND', async (tx, refund) => {
      if (refund.parentId) await this.transactions.settleRefundReservation(tx, refund.parentId, refund.amount, refund.status === 'SUCCESS');
    });
  }

  /** The answer of the refund POST for a settled refund (completes the key of an abandoned request). */
  private async render(refund: Transaction, tx: EntityManager): Promise<StoredResponse> {
    if (refund.status === 'FAILED') return renderedRejection(refund, 'DOKU.REJECTED', 'DOKU declined the refund', { refundId: refund.id, status: 'FAILED' });
    const purchase = refund.parentId ? await tx.getRepository(Transaction).findOneBy({ id: refund.parentId }) : null;
    const body: RefundResponseDto = {
      id: refund.id,
      purchaseId: refund.parentId ?? '',
      status: refund.status,
      amount: Number(refund.amount),
      reason: (refund.details as { reason?: string }).reason ?? refund.description ?? '',
      purchaseRefundedAmount: Number(purchase?.refundedAmount ?? 0n),
    };
    return { status: 201, body };
  }

  /** `userId` undefined: the back office, for any user's purchase. */
  refund(initiator: Principal, purchaseId: string, userId: string | undefined, input: CreateRefundRequestDto, ctx: IdempotencyContext): Promise<IdempotentResponse> {
    const amount = rupiah(input.amount);
    return this.idempotency.run<RefundIntent, DokuOutcome<RefundPurchaseResponse>>(ctx, {
      prepare: async (tx) => {
        const purchase = await this.purchases.lockForUpdate(tx, purchaseId, userId);
        if (!purchase) throw new AppError('PURCHASE.NOT_FOUND', 'No such purchase');
        if (purchase.status !== 'SUCCESS') {
          throw new AppError('PURCHASE.NOT_REFUNDABLE', 'Only a successful purchase can be refunded', { status: purchase.status });
        }
        if (await this.purchases.findLiveCancel(tx, purchase.id)) {
          throw new AppError('PURCHASE.NOT_REFUNDABLE', 'This purchase is canceled or being canceled');
        }
        if (!(await this.transactions.reserveRefund(tx, purchase.id, amount))) {
          const refundable = purchase.amount - purchase.refundedAmount - purchase.refundReservedAmount;
          throw new AppError('PURCHASE.REFUND_EXCEEDS_PAID', 'The refund exceeds what was paid minus earlier refunds', {
            refundable: Number(refundable),
          });
        }
        const refund = await this.transactions.createPending(tx, {
          userId: purchase.userId,
          type: 'REFUND',
          amount,
          // Our partnerRefundNo: DOKU deduplicates the refund on it (§3.19).
          partnerReferenceNo: newPartnerReference('RFD'),
          dokuExternalId: await this.doku.newExternalId(),
          parentId: purchase.id,
          initiatorKind: initiator.kind,
          initiatorId: initiator.kind === 'user' ? initiator.userId : initiator.clientId,
          description: input.reason,
          details: { reason: input.reason },
        });
        return { purchase, refund, reason: input.reason };
      },
      transactionId: (intent) => intent.refund.id,
      execute: ({ purchase, refund }) =>
        // The same request builder as the reconciler's resend, so both carry identical fields.
        captureDokuOutcome(() => this.doku.refundPurchase(refundPurchaseRequest(purchase, refund), { externalId: refund.dokuExternalId ?? undefined })),
      settle: async (tx, { purchase, refund, reason }, outcome) => {
        const answer = async (status: number, refundStatus: RefundResponseDto['status']) => {
          const fresh = await tx.getRepository(Transaction).findOneByOrFail({ id: purchase.id });
          const body: RefundResponseDto = {
            id: refund.id,
            purchaseId: purchase.id,
            status: refundStatus,
            amount: Number(refund.amount),
            reason,
            purchaseRefundedAmount: Number(fresh.refundedAmount),
          };
          return { status, body, transactionId: refund.id };
        };
        // Lock order everywhere: the purchase row first, then its refund rows (no deadlocks between
        // a refund settling and another being prepared on the same purchase).
        await this.purchases.lockForUpdate(tx, purchase.id, undefined);
        if (outcome.kind === 'ok') {
          const moved = await this.transactions.transition(tx, refund.id, 'SUCCESS', 'Refund Purchase succeeded', 'doku-success', {
            dokuExternalId: externalIdOf(outcome) ?? null,
            dokuReferenceNo: outcome.result.body.refundNo ?? null,
          });
          if (moved.changed) await this.transactions.settleRefundReservation(tx, purchase.id, refund.amount, true);
          return answer(201, moved.transaction.status);
        }
        const responseCode = outcome.responseCode ?? dokuCodeOf(outcome.error);
        if (outcome.kind === 'rejected') {
          const code = REFUND_DECLINES[outcome.error.code] ?? outcome.error.code;
          const moved = await this.transactions.transition(tx, refund.id, 'FAILED', 'Refund Purchase declined', 'doku-declined', {
            dokuExternalId: externalIdOf(outcome) ?? null,
            failureCode: code,
            dokuResponseCode: responseCode ?? null,
          });
          if (moved.changed) await this.transactions.settleRefundReservation(tx, purchase.id, refund.amount, false);
          return {
            ...rejectionResponse(code, 'DOKU declined the refund', { refundId: refund.id, status: 'FAILED', ...(responseCode ? { responseCode } : {}) }),
            transactionId: refund.id,
          };
        }
        // Unknown: the reservation stays held until Query Purchase's refundHistory settles it.
        await this.transactions.transition(tx, refund.id, 'UNKNOWN', 'Refund Purchase: outcome unknown', 'doku-unclear', {
          dokuExternalId: externalIdOf(outcome) ?? null,
          dokuResponseCode: responseCode ?? null,
        });
        return answer(202, 'UNKNOWN');
      },
    });
  }
}
