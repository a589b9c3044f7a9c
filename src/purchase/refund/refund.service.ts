import { Injectable, OnModuleInit, Optional } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { Principal, UserPrincipal } from '../../common/auth/principal';
import { AuditActor } from '../../audit/audit-chain';
import { AuditTrail } from '../../audit/audit-trail.service';
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
import { rupiah } from '../../common/money/money';
import { PurchaseChannels } from '../channels/purchase-channels';
import type { RefundResult } from '../../integrations/doku/snap/payment.types';
import { dokuCodeOf, rejectionResponse } from '../../transactions/stored-response';
import { PurchasesRepository } from '../purchases.repository';
import { purchaseReferenceOf, purchaseRefundOf } from '../purchase-refund';
import { captureDokuOutcome, DokuOutcome, externalIdOf } from '../../transactions/doku-outcome';
import { Transaction } from '../../transactions/entities/transaction.entity';
import { TransactionsRepository } from '../../transactions/transactions.repository';
import { CreateRefundRequestDto } from './dto/create-refund.request.dto';
import { RefundResponseDto } from './dto/refund.response.dto';
import { newPartnerReference } from '../../transactions/partner-reference';
import type { MoneyAnswer } from '../../transactions/stored-response';

/** What the refund POST answers, fresh, replayed or rendered for an abandoned request. */
export type RefundAnswer = MoneyAnswer<RefundResponseDto>;

interface RefundIntent {
  purchase: Transaction;
  refund: Transaction;
  reason: string;
}

/** DOKU's refund declines in our words. */
const REFUND_DECLINES: Partial<Record<ErrorCode, ErrorCode>> = {
  'DOKU.INVALID_AMOUNT': 'PURCHASE.REFUND_EXCEEDS_PAID',
  'DOKU.INVALID_TRANSACTION_STATUS': 'PURCHASE.NOT_REFUNDABLE',
  'DOKU.OPERATION_NOT_ALLOWED': 'PURCHASE.NOT_REFUNDABLE',
};

/**
 * Refund Purchase (docs/doku-integration.md#refund). Moves the partner's money, so only services with
 * `refunds:write` and finance/admin reach it, never the paying user. The refundable amount is
 * reserved atomically in commit 1 (with the purchase row locked), so concurrent refunds can never add
 * up to more than was paid; the reservation becomes refunded, is released, or stays held while
 * UNKNOWN.
 */
@Injectable()
export class RefundService implements OnModuleInit {
  constructor(
    private readonly idempotency: IdempotencyService,
    private readonly purchases: PurchasesRepository,
    private readonly transactions: TransactionsRepository,
    private readonly channels: PurchaseChannels,
    @InjectDataSource() private readonly db: DataSource,
    private readonly audit: AuditTrail,
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
  private async render(refund: Transaction, tx: EntityManager): Promise<StoredResponse<RefundAnswer>> {
    if (refund.status === 'FAILED')
      return renderedRejection(refund, 'DOKU.REJECTED', 'DOKU declined the refund', { refundId: refund.id, status: 'FAILED' });
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
  refund(
    initiator: Principal,
    purchaseId: string,
    userId: string | undefined,
    input: CreateRefundRequestDto,
    ctx: IdempotencyContext,
  ): Promise<IdempotentResponse<RefundAnswer>> {
    const amount = rupiah(input.amount);
    return this.idempotency.run<RefundIntent, DokuOutcome<RefundResult>, RefundAnswer>(ctx, {
      prepare: async (tx) => {
        const purchase = await this.purchases.lockForUpdate(tx, purchaseId, userId);
        if (!purchase) throw new AppError('PURCHASE.NOT_FOUND', 'No such purchase');
        // A channel without a refund call (the DOKU e-Wallet checkout): nothing is pretended or written;
        // the refund is made in DOKU's back office (docs/channels.md#refunds-of-a-checkout-purchase).
        if (this.channels.of(purchase).refundable === false) {
          throw new AppError(
            'PURCHASE.REFUND_NOT_SUPPORTED',
            'This payment method has no refund through the API: DOKU refunds it manually',
            {
              paymentMethod: purchase.paymentMethod,
            },
          );
        }
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
          // Our partnerRefundNo: DOKU deduplicates the refund on it (a channel may need its own, shorter form).
          partnerReferenceNo: (await this.channels.of(purchase).newRefundReference?.()) ?? newPartnerReference('RFD'),
          dokuExternalId: await this.channels.of(purchase).newExternalId(),
          parentId: purchase.id,
          // Refunded through the channel the purchase was paid with.
          paymentMethod: purchase.paymentMethod,
          initiatorKind: initiator.kind,
          initiatorId: initiator.kind === 'user' ? initiator.userId : initiator.clientId,
          description: input.reason,
          details: { reason: input.reason },
        });
        return { purchase, refund, reason: input.reason };
      },
      transactionId: (intent) => intent.refund.id,
      execute: ({ purchase, refund }) =>
        // Built like the reconciler's resend, from the stored rows, so both carry identical fields.
        captureDokuOutcome(() =>
          this.channels.of(purchase).refund(purchaseRefundOf(purchase, refund), { externalId: refund.dokuExternalId ?? undefined }),
        ),
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
          const moved = await this.transactions.transition(tx, refund.id, 'SUCCESS', 'doku-response', 'doku-success', {
            dokuExternalId: externalIdOf(outcome) ?? null,
            dokuReferenceNo: outcome.result.body.refundNo ?? null,
          });
          if (moved.changed) await this.transactions.settleRefundReservation(tx, purchase.id, refund.amount, true);
          return answer(201, moved.transaction.status);
        }
        const responseCode = outcome.responseCode ?? dokuCodeOf(outcome.error);
        if (outcome.kind === 'rejected') {
          const code = REFUND_DECLINES[outcome.error.code] ?? outcome.error.code;
          const moved = await this.transactions.transition(tx, refund.id, 'FAILED', 'doku-response', 'doku-declined', {
            dokuExternalId: externalIdOf(outcome) ?? null,
            failureCode: code,
            dokuResponseCode: responseCode ?? null,
          });
          if (moved.changed) await this.transactions.settleRefundReservation(tx, purchase.id, refund.amount, false);
          return {
            ...rejectionResponse(code, 'DOKU declined the refund', {
              refundId: refund.id,
              status: 'FAILED',
              ...(responseCode ? { responseCode } : {}),
            }),
            transactionId: refund.id,
          };
        }
        // Unknown: the reservation stays held until Query Purchase's refundHistory settles it.
        await this.transactions.transition(tx, refund.id, 'UNKNOWN', 'doku-response', 'doku-unclear', {
          dokuExternalId: externalIdOf(outcome) ?? null,
          dokuResponseCode: responseCode ?? null,
        });
        return answer(202, 'UNKNOWN');
      },
    });
  }

  /**
   * A refund made in DOKU's back office, for a channel without a refund call (the e-Wallet checkout,
   * docs/channels.md#refunds-of-a-checkout-purchase): recorded only as DOKU states it. The status
   * query must report the order REFUNDED with our amount (the channel refuses another amount); then a
   * full refund is booked in one commit, with the `doku-reported` evidence. Asking again gives the
   * same refund; anything else DOKU says writes nothing.
   */
  async recordDokuRefund(admin: UserPrincipal, actor: AuditActor, purchaseId: string, reason: string): Promise<RefundResponseDto> {
    const found = await this.purchases.findById(purchaseId);
    if (!found || found.type !== 'PURCHASE') throw new AppError('PURCHASE.NOT_FOUND', 'No such purchase');
    const channel = this.channels.of(found);
    if (channel.refundable !== false) {
      throw new AppError('PURCHASE.NOT_REFUNDABLE', 'This payment method refunds through the refund call', {
        paymentMethod: found.paymentMethod,
      });
    }
    const recorded = await this.recordedDokuRefund(found.id);
    if (recorded) return this.refundAnswer(recorded, found.amount);
    if (found.status !== 'SUCCESS') {
      throw new AppError('PURCHASE.NOT_REFUNDABLE', 'Only a successful purchase can be refunded', { status: found.status });
    }
    const outcome = await captureDokuOutcome(() => channel.status(purchaseReferenceOf(found)));
    if (outcome.kind !== 'ok' || outcome.result.body.status !== 'REFUNDED') {
      throw new AppError('PURCHASE.REFUND_NOT_CONFIRMED', 'DOKU does not report this purchase refunded', {
        ...(outcome.kind === 'ok' ? { dokuStatus: outcome.result.body.statusCode ?? outcome.result.body.status } : {}),
      });
    }
    return this.db.transaction(async (tx) => {
      const purchase = await this.purchases.lockForUpdate(tx, found.id, undefined);
      if (!purchase) throw new AppError('PURCHASE.NOT_FOUND', 'No such purchase');
      const again = await this.recordedDokuRefund(purchase.id, tx);
      if (again) return this.refundAnswer(again, purchase.amount);
      if (purchase.status !== 'SUCCESS' || !(await this.transactions.reserveRefund(tx, purchase.id, purchase.amount))) {
        throw new AppError('PURCHASE.NOT_REFUNDABLE', 'This purchase is already refunded or being refunded', { status: purchase.status });
      }
      const refund = await this.transactions.createPending(tx, {
        userId: purchase.userId,
        type: 'REFUND',
        amount: purchase.amount,
        partnerReferenceNo: newPartnerReference('RFD'),
        parentId: purchase.id,
        paymentMethod: purchase.paymentMethod,
        initiatorKind: admin.kind,
        initiatorId: admin.userId,
        description: reason,
        details: { reason, recordedFrom: 'doku-status' },
      });
      const moved = await this.transactions.transition(tx, refund.id, 'SUCCESS', 'status-query', 'doku-reported', {
        eventDetails: { dokuStatus: 'REFUNDED', recordedBy: admin.userId },
      });
      if (moved.changed) await this.transactions.settleRefundReservation(tx, purchase.id, refund.amount, true);
      const answer = this.refundAnswer(moved.transaction, purchase.amount);
      // The back-office action and its audit row commit together (asking again records nothing new).
      await this.audit.record(
        { actor, action: 'refund.recorded-from-doku', target: { type: 'purchase', id: purchase.id }, after: { reason, refund: answer } },
        tx,
      );
      return answer;
    });
  }

  private async recordedDokuRefund(purchaseId: string, tx?: EntityManager): Promise<Transaction | null> {
    return (tx ?? this.db.manager)
      .getRepository(Transaction)
      .createQueryBuilder('t')
      .where(`t.parent_id = :purchaseId AND t.type = 'REFUND' AND t.details->>'recordedFrom' = 'doku-status'`, { purchaseId })
      .getOne();
  }

  private refundAnswer(refund: Transaction, refunded: bigint): RefundResponseDto {
    return {
      id: refund.id,
      purchaseId: refund.parentId ?? '',
      status: refund.status,
      amount: Number(refund.amount),
      reason: (refund.details as { reason?: string }).reason ?? refund.description ?? '',
      purchaseRefundedAmount: Number(refund.status === 'SUCCESS' ? refunded : 0n),
    };
  }
}
