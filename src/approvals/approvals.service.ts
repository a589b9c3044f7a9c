import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { createHash } from 'node:crypto';
import { DataSource } from 'typeorm';
import type { AuditActor } from '../audit/audit-chain';
import { AuditTrail } from '../audit/audit-trail.service';
import { UserPrincipal } from '../common/auth/principal';
import { AppError } from '../common/errors/app-error';
import { AppConfigService } from '../config/app-config.service';
import { AdminTransactionResponseDto } from '../admin/dto/admin-transaction.response.dto';
import { ResolveTransactionRequestDto } from '../reconciliation/dto/resolve-transaction.request.dto';
import { BackOfficeResolutionService } from '../reconciliation/back-office-resolution.service';
import { CreateRefundRequestDto } from '../purchase/refund/dto/create-refund.request.dto';
import type { RefundAnswer } from '../purchase/refund/refund.service';
import { RefundService } from '../purchase/refund/refund.service';
import { Transaction } from '../transactions/entities/transaction.entity';
import type { IdempotencyContext, IdempotentResponse } from '../transactions/idempotency/idempotency.service';
import { IdempotencyService } from '../transactions/idempotency/idempotency.service';
import type { Approval } from './approvals.repository';
import { ApprovalsRepository } from './approvals.repository';
import type { ApprovalPageResponseDto } from './dto/approval.response.dto';
import { ApprovalResponseDto } from './dto/approval.response.dto';
import type { ListApprovalsQueryDto } from './dto/list-approvals.query.dto';

/** Errors the refund's own checks raise before anything is written: the approved refund cannot be made. */
const REFUND_REFUSALS = new Set(['PURCHASE.NOT_FOUND', 'PURCHASE.NOT_REFUNDABLE', 'PURCHASE.REFUND_EXCEEDS_PAID']);

/**
 * Maker-checker for the back office (docs/back-office.md#maker-checker): refunds above
 * MAKER_CHECKER_REFUND_THRESHOLD and every manual resolution are requested by one person and carried
 * out only when another approves. The action then runs through the same money paths as ever: the
 * refund through RefundService with an idempotency key of its own (`approval:<id>`), persisted
 * before DOKU is called, so approving twice, or again after a crash, never refunds twice; the
 * resolution in the same database transaction as the approval. Every request, approval, rejection
 * and outcome is in the audit trail.
 */
@Injectable()
export class ApprovalsService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly approvals: ApprovalsRepository,
    private readonly audit: AuditTrail,
    private readonly refunds: RefundService,
    private readonly resolutions: BackOfficeResolutionService,
    private readonly idempotency: IdempotencyService,
    private readonly config: AppConfigService,
  ) {}

  /**
   * A back-office refund: at or below the threshold it is carried out now; above it, it becomes a
   * pending approval (202), under the caller's Idempotency-Key like any money POST.
   */
  async requestRefund(
    principal: UserPrincipal,
    actor: AuditActor,
    purchaseId: string,
    input: CreateRefundRequestDto,
    ctx: IdempotencyContext,
  ): Promise<IdempotentResponse<RefundAnswer | ApprovalResponseDto>> {
    if (input.amount <= this.config.app.makerCheckerRefundThreshold) {
      const answer = await this.refunds.refund(principal, purchaseId, undefined, input, ctx);
      if (!answer.replayed) {
        await this.audit.record({
          actor,
          action: 'refund.created',
          target: { type: 'purchase', id: purchaseId },
          after: { request: input, status: answer.status, answer: answer.body },
        });
      }
      return answer;
    }
    return this.idempotency.run<Approval, null, ApprovalResponseDto>(ctx, {
      prepare: async (tx) => {
        // The request is checked as the refund would be; the amount is reserved only when it runs.
        const purchase = await tx.getRepository(Transaction).findOneBy({ id: purchaseId, type: 'PURCHASE' });
        if (!purchase) throw new AppError('PURCHASE.NOT_FOUND', 'No such purchase');
        if (purchase.status !== 'SUCCESS')
          throw new AppError('PURCHASE.NOT_REFUNDABLE', 'Only a successful purchase can be refunded', { status: purchase.status });
        const refundable = purchase.amount - purchase.refundedAmount - purchase.refundReservedAmount;
        if (BigInt(input.amount) > refundable)
          throw new AppError('PURCHASE.REFUND_EXCEEDS_PAID', 'The refund exceeds what was paid minus earlier refunds', {
            refundable: Number(refundable),
          });
        const approval = await this.approvals.create(tx, {
          kind: 'REFUND',
          targetId: purchase.id,
          amount: BigInt(input.amount),
          payload: { amount: input.amount, reason: input.reason },
          reason: input.reason,
          requestedBy: principal.userId,
          requestedRole: principal.role,
        });
        if (!approval) throw new Error('refund approval not created');
        await this.audit.record(
          { actor, action: 'refund.requested', target: { type: 'approval', id: approval.id }, after: auditSummary(approval) },
          tx,
        );
        return approval;
      },
      execute: () => Promise.resolve(null),
      settle: (_tx, approval) => Promise.resolve({ status: 202, body: ApprovalResponseDto.from(approval) }),
    });
  }

  /** A manual resolution always waits for a second person: it is checked now and recorded as pending. */
  async requestResolution(
    principal: UserPrincipal,
    actor: AuditActor,
    transactionId: string,
    input: ResolveTransactionRequestDto,
  ): Promise<ApprovalResponseDto> {
    const transaction = await this.resolutions.checkResolvable(transactionId);
    return this.db.transaction(async (tx) => {
      const approval = await this.approvals.create(tx, {
        kind: 'RESOLUTION',
        targetId: transaction.id,
        amount: transaction.amount,
        payload: { status: input.status, reason: input.reason },
        reason: input.reason,
        requestedBy: principal.userId,
        requestedRole: principal.role,
      });
      if (!approval)
        throw new AppError('APPROVAL.ALREADY_REQUESTED', 'A resolution of this transaction is already waiting for approval', {
          transactionId: transaction.id,
        });
      await this.audit.record(
        {
          actor,
          action: 'resolution.requested',
          target: { type: 'approval', id: approval.id },
          before: { transactionId: transaction.id, status: transaction.status },
          after: auditSummary(approval),
        },
        tx,
      );
      return ApprovalResponseDto.from(approval);
    });
  }

  async list(query: ListApprovalsQueryDto): Promise<ApprovalPageResponseDto> {
    const page = query.page ?? 1;
    const pageSize = query.pageSize ?? 20;
    const { approvals, total } = await this.approvals.list({ status: query.status, kind: query.kind }, page, pageSize);
    return { items: approvals.map((a) => ApprovalResponseDto.from(a)), page, pageSize, total };
  }

  async get(id: string): Promise<ApprovalResponseDto> {
    const approval = await this.approvals.find(id);
    if (!approval) throw notFound();
    return ApprovalResponseDto.from(approval);
  }

  /**
   * The second person approves, and the action is carried out. Approving a refund that was approved
   * but whose outcome is not recorded yet (a crash, a lost answer) carries it on under the same
   * idempotency key: it never refunds twice.
   */
  async approve(decider: UserPrincipal, actor: AuditActor, id: string, note: string | null): Promise<ApprovalResponseDto> {
    const decided = await this.db.transaction(async (tx) => {
      const approval = await this.approvals.lock(tx, id);
      if (!approval) throw notFound();
      if (approval.requestedBy === decider.userId)
        throw new AppError('APPROVAL.SAME_PERSON', 'Another person must approve what you requested', { approvalId: approval.id });
      if (approval.status === 'APPROVED' && approval.kind === 'REFUND') return approval;
      if (approval.status !== 'PENDING') throw notPending(approval);
      const before = auditSummary(approval);
      if (approval.kind === 'RESOLUTION') {
        const payload = approval.payload as unknown as ResolveTransactionRequestDto;
        const previous = await tx.getRepository(Transaction).findOneBy({ id: approval.targetId });
        const moved = await this.resolutions.resolveIn(
          tx,
          { requestedBy: approval.requestedBy, approvedBy: decider.userId },
          approval.targetId,
          payload,
        );
        const answer = AdminTransactionResponseDto.from(moved);
        const executed = await this.approvals.executed(tx, approval.id, decider.userId, note, 200, answer);
        await this.audit.record(
          {
            actor,
            action: 'approval.approved',
            target: { type: 'approval', id: approval.id },
            before,
            after: auditSummary(executed),
          },
          tx,
        );
        await this.audit.record(
          {
            actor,
            action: 'transaction.resolved',
            target: { type: 'transaction', id: approval.targetId },
            before: { status: previous?.status ?? null },
            after: { status: moved.status, reason: payload.reason, approvalId: approval.id, requestedBy: approval.requestedBy },
          },
          tx,
        );
        return executed;
      }
      const approved = await this.approvals.decide(tx, approval.id, 'APPROVED', decider.userId, note);
      await this.audit.record(
        {
          actor,
          action: 'approval.approved',
          target: { type: 'approval', id: approval.id },
          before,
          after: auditSummary(approved),
        },
        tx,
      );
      return approved;
    });
    if (decided.kind === 'REFUND' && decided.status === 'APPROVED')
      return ApprovalResponseDto.from(await this.carryOutRefund(decided, actor));
    return ApprovalResponseDto.from(decided);
  }

  async reject(decider: UserPrincipal, actor: AuditActor, id: string, note: string | null): Promise<ApprovalResponseDto> {
    return this.db.transaction(async (tx) => {
      const approval = await this.approvals.lock(tx, id);
      if (!approval) throw notFound();
      if (approval.requestedBy === decider.userId)
        throw new AppError('APPROVAL.SAME_PERSON', 'Another person must decide what you requested', { approvalId: approval.id });
      if (approval.status !== 'PENDING') throw notPending(approval);
      const rejected = await this.approvals.decide(tx, approval.id, 'REJECTED', decider.userId, note);
      await this.audit.record(
        {
          actor,
          action: 'approval.rejected',
          target: { type: 'approval', id: approval.id },
          before: auditSummary(approval),
          after: auditSummary(rejected),
        },
        tx,
      );
      return ApprovalResponseDto.from(rejected);
    });
  }

  /** The approved refund, through the refund's own money path, as the person who asked for it. */
  private async carryOutRefund(approval: Approval, actor: AuditActor): Promise<Approval> {
    const input = approval.payload as unknown as CreateRefundRequestDto;
    const requester: UserPrincipal = {
      kind: 'user',
      userId: approval.requestedBy,
      role: approval.requestedRole as UserPrincipal['role'],
      sessionId: '',
    };
    const ctx: IdempotencyContext = {
      scope: `approval:${approval.id}`,
      key: 'refund',
      fingerprint: createHash('sha256').update(`REFUND ${approval.targetId} ${input.amount} ${input.reason}`).digest('hex'),
      requestId: actor.requestId ?? undefined,
    };
    let answer: IdempotentResponse<RefundAnswer>;
    try {
      answer = await this.refunds.refund(requester, approval.targetId, undefined, input, ctx);
    } catch (e) {
      // Refused by the refund's own checks before anything was written: the approval ends there.
      if (e instanceof AppError && REFUND_REFUSALS.has(e.code)) {
        const body = { error: { code: e.code, message: e.message, details: e.details ?? {} } };
        await this.db.transaction(async (tx) => {
          const failed = await this.approvals.finish(tx, approval.id, 'FAILED', e.status, body);
          if (failed)
            await this.audit.record(
              {
                actor,
                action: 'refund.refused',
                target: { type: 'purchase', id: approval.targetId },
                after: { approvalId: approval.id, ...body },
              },
              tx,
            );
        });
      }
      throw e;
    }
    return this.db.transaction(async (tx) => {
      const finished = await this.approvals.finish(tx, approval.id, 'EXECUTED', answer.status, answer.body);
      if (!finished) return (await this.approvals.find(approval.id, tx)) ?? approval;
      await this.audit.record(
        {
          actor,
          action: 'refund.created',
          target: { type: 'purchase', id: approval.targetId },
          after: { approvalId: approval.id, requestedBy: approval.requestedBy, request: input, status: answer.status, answer: answer.body },
        },
        tx,
      );
      return finished;
    });
  }
}

/**
 * What the audit trail keeps of a request: who asked and decided, what and why, and the result's
 * status, but not the result's body (a transaction's details), since audit rows can never be erased.
 */
function auditSummary(a: Approval): Record<string, unknown> {
  const { result, ...rest } = ApprovalResponseDto.from(a);
  return { ...rest, resultStatus: result?.status ?? null };
}

function notFound(): AppError {
  return new AppError('APPROVAL.NOT_FOUND', 'No such approval');
}

function notPending(approval: Approval): AppError {
  return new AppError('APPROVAL.NOT_PENDING', 'This request has already been decided', { status: approval.status });
}
