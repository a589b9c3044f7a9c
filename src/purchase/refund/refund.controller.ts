import { Body, Controller, Param, Post, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import { Actor } from '../../audit/audit-actor.decorator';
import { AuditActor } from '../../audit/audit-chain';
import { AuditTrail } from '../../audit/audit-trail.service';
import { Allow, AllowUsers, CurrentPrincipal } from '../../common/auth/auth.decorators';
import { Principal, UserPrincipal } from '../../common/auth/principal';
import { Idempotent, IdempotencyCtx, IdempotentReplyTarget, idempotentAnswer } from '../../transactions/idempotency/idempotency.guard';
import { IdempotencyContext } from '../../transactions/idempotency/idempotency.service';
import type { RefundAnswer } from './refund.service';
import type { CancelAnswer } from './purchase-cancel.service';
import { purchaseIdPipe, userIdPipe } from '../../common/http/resource-id.pipes';
import { CancelPurchaseRequestDto } from './dto/cancel-purchase.request.dto';
import { CancelResponseDto } from './dto/cancel.response.dto';
import { CreateRefundRequestDto } from './dto/create-refund.request.dto';
import { RefundResponseDto } from './dto/refund.response.dto';
import { RecordDokuRefundRequestDto } from './dto/record-doku-refund.request.dto';
import { PurchaseCancelService } from './purchase-cancel.service';
import { RefundService } from './refund.service';

/**
 * Cancel and refund of purchases. Refunds move the partner's money back to a wallet: services with
 * `refunds:write` only here; finance refunds from the back office (src/approvals, with maker-checker
 * above a threshold). A mobile user can cancel their own purchase, never refund.
 */
@ApiTags('refunds')
@ApiBearerAuth()
@Controller()
export class RefundController {
  constructor(
    private readonly cancels: PurchaseCancelService,
    private readonly refunds: RefundService,
    private readonly audit: AuditTrail,
  ) {}

  @Post('v1/purchases/:id/cancel')
  @AllowUsers('user')
  @Idempotent()
  @ApiOperation({ summary: 'Cancel my purchase: before the PIN, or on the day it succeeded and before any refund' })
  @ApiResponse({ status: 200, type: CancelResponseDto })
  @ApiResponse({ status: 202, type: CancelResponseDto, description: "UNKNOWN: DOKU's answer was lost; GET the purchase" })
  async cancelOwn(
    @CurrentPrincipal() principal: UserPrincipal,
    @Param('id', purchaseIdPipe) id: string,
    @Body() body: CancelPurchaseRequestDto,
    @IdempotencyCtx() ctx: IdempotencyContext,
    @Res({ passthrough: true }) reply: IdempotentReplyTarget,
  ): Promise<CancelAnswer> {
    return idempotentAnswer(reply, await this.cancels.cancel(principal, id, principal.userId, body, ctx));
  }

  @Post('v1/users/:userId/purchases/:id/cancel')
  @Allow({ roles: ['finance'], scopes: ['purchases:write'] })
  @Idempotent()
  @ApiOperation({ summary: "Service or finance: cancel a user's purchase" })
  @ApiResponse({ status: 200, type: CancelResponseDto })
  @ApiResponse({ status: 202, type: CancelResponseDto })
  async cancelForUser(
    @CurrentPrincipal() principal: Principal,
    @Actor() actor: AuditActor,
    @Param('userId', userIdPipe) userId: string,
    @Param('id', purchaseIdPipe) id: string,
    @Body() body: CancelPurchaseRequestDto,
    @IdempotencyCtx() ctx: IdempotencyContext,
    @Res({ passthrough: true }) reply: IdempotentReplyTarget,
  ): Promise<CancelAnswer> {
    const answer = await this.cancels.cancel(principal, id, userId, body, ctx);
    // A back-office person's cancel is a back-office action; a service's is not.
    if (principal.kind === 'user' && !answer.replayed)
      await this.audit.record({
        actor,
        action: 'purchase.canceled',
        target: { type: 'purchase', id },
        after: { request: body, status: answer.status, answer: answer.body },
      });
    return idempotentAnswer(reply, answer);
  }

  @Post('v1/users/:userId/purchases/:id/refunds')
  @Allow({ scopes: ['refunds:write'] })
  @Idempotent()
  @ApiOperation({ summary: "Service: refund part or all of a user's successful purchase" })
  @ApiResponse({ status: 201, type: RefundResponseDto })
  @ApiResponse({ status: 202, type: RefundResponseDto, description: "UNKNOWN: DOKU's answer was lost; GET the purchase" })
  async refundForUser(
    @CurrentPrincipal() principal: Principal,
    @Param('userId', userIdPipe) userId: string,
    @Param('id', purchaseIdPipe) id: string,
    @Body() body: CreateRefundRequestDto,
    @IdempotencyCtx() ctx: IdempotencyContext,
    @Res({ passthrough: true }) reply: IdempotentReplyTarget,
  ): Promise<RefundAnswer> {
    return idempotentAnswer(reply, await this.refunds.refund(principal, id, userId, body, ctx));
  }

  @Post('v1/admin/purchases/:id/doku-refunds')
  @AllowUsers('finance')
  @ApiOperation({
    summary: "Finance: record a refund made in DOKU's own back office (a channel without a refund call)",
    description:
      "For a DOKU e-Wallet checkout purchase: DOKU's status query is asked, and a full refund is recorded only when DOKU reports the order REFUNDED with our amount (409 PURCHASE.REFUND_NOT_CONFIRMED otherwise, nothing written). Asking again answers the same refund.",
  })
  @ApiResponse({ status: 201, type: RefundResponseDto })
  recordDokuRefund(
    @CurrentPrincipal() principal: UserPrincipal,
    @Actor() actor: AuditActor,
    @Param('id', purchaseIdPipe) id: string,
    @Body() body: RecordDokuRefundRequestDto,
  ): Promise<RefundResponseDto> {
    return this.refunds.recordDokuRefund(principal, actor, id, body.reason);
  }
}
