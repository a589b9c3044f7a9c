import { Body, Controller, HttpCode, Param, Post, Res } from '@nestjs/common';
import { ApiAcceptedResponse, ApiBearerAuth, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import { Actor } from '../audit/audit-actor.decorator';
import { AuditActor } from '../audit/audit-chain';
import { AllowUsers, CurrentPrincipal } from '../common/auth/auth.decorators';
import { UserPrincipal } from '../common/auth/principal';
import { purchaseIdPipe } from '../common/http/resource-id.pipes';
import { ResolveTransactionRequestDto } from '../reconciliation/dto/resolve-transaction.request.dto';
import { CreateRefundRequestDto } from '../purchase/refund/dto/create-refund.request.dto';
import { RefundResponseDto } from '../purchase/refund/dto/refund.response.dto';
import type { RefundAnswer } from '../purchase/refund/refund.service';
import { Idempotent, IdempotencyCtx, IdempotentReplyTarget, idempotentAnswer } from '../transactions/idempotency/idempotency.guard';
import { IdempotencyContext } from '../transactions/idempotency/idempotency.service';
import { ApprovalsService } from './approvals.service';
import { ApprovalResponseDto } from './dto/approval.response.dto';

/** The back office moving money: finance refunds and settles, with a second person where it matters. */
@ApiTags('back office')
@ApiBearerAuth()
@Controller('v1/admin')
export class BackOfficeMoneyController {
  constructor(private readonly approvals: ApprovalsService) {}

  @Post('purchases/:id/refunds')
  @AllowUsers('finance')
  @Idempotent()
  @ApiOperation({
    summary: 'Finance: refund part or all of any successful purchase',
    description:
      'Up to MAKER_CHECKER_REFUND_THRESHOLD rupiah the refund is made now (201, or 202 UNKNOWN). Above it the answer is 202 with a pending approval: another finance person approves it (POST /v1/admin/approvals/:id/approve) and only then is it made.',
  })
  @ApiResponse({ status: 201, type: RefundResponseDto })
  @ApiResponse({
    status: 202,
    type: ApprovalResponseDto,
    description: 'Above the threshold: waiting for a second person (or UNKNOWN, a RefundResponse)',
  })
  async refund(
    @CurrentPrincipal() principal: UserPrincipal,
    @Actor() actor: AuditActor,
    @Param('id', purchaseIdPipe) id: string,
    @Body() body: CreateRefundRequestDto,
    @IdempotencyCtx() ctx: IdempotencyContext,
    @Res({ passthrough: true }) reply: IdempotentReplyTarget,
  ): Promise<RefundAnswer | ApprovalResponseDto> {
    return idempotentAnswer(reply, await this.approvals.requestRefund(principal, actor, id, body, ctx));
  }

  @Post('transactions/:id/resolution')
  @HttpCode(202)
  @AllowUsers('finance')
  @ApiOperation({
    summary: 'Ask to settle an unresolved transaction as SUCCESS or FAILED, with a reason; another person approves',
    description:
      "For transactions the reconciler could not settle from DOKU (flagged after its last scheduled check). Answers a pending approval; when another finance person approves it, the transaction moves: FAILED releases what it held (a refund's reserved amount, an inquiry), SUCCESS books it, recorded in the event log with who asked, who approved and why. 409 when it is already settled or a resolution is already waiting.",
  })
  @ApiAcceptedResponse({ type: ApprovalResponseDto })
  resolve(
    @CurrentPrincipal() principal: UserPrincipal,
    @Actor() actor: AuditActor,
    @Param('id') id: string,
    @Body() body: ResolveTransactionRequestDto,
  ): Promise<ApprovalResponseDto> {
    return this.approvals.requestResolution(principal, actor, id, body);
  }
}
