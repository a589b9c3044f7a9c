import { Body, Controller, Get, Param, Post, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import { Actor } from '../audit/audit-actor.decorator';
import { AuditActor } from '../audit/audit-chain';
import { AuditTrail } from '../audit/audit-trail.service';
import { AllowUsers, CurrentPrincipal } from '../common/auth/auth.decorators';
import { UserPrincipal } from '../common/auth/principal';
import { IdempotencyContext } from '../transactions/idempotency/idempotency.service';
import type { TopUpAnswer } from './top-up.service';
import { Idempotent, IdempotencyCtx, IdempotentReplyTarget, idempotentAnswer } from '../transactions/idempotency/idempotency.guard';
import { CreateTopUpInquiryRequestDto } from './dto/create-top-up-inquiry.request.dto';
import { CreateTopUpRequestDto } from './dto/create-top-up.request.dto';
import { TopUpInquiryResponseDto } from './dto/top-up-inquiry.response.dto';
import { TopUpResponseDto } from './dto/top-up.response.dto';
import { TopUpService } from './top-up.service';
import { userIdPipe } from '../common/http/resource-id.pipes';

/** Finance tops up a user's wallet (each top-up in the audit trail); admin and support may only read. */
@ApiTags('top-ups (back office)')
@ApiBearerAuth()
@Controller('v1/admin/users/:userId/top-ups')
export class AdminTopUpController {
  constructor(
    private readonly topUps: TopUpService,
    private readonly audit: AuditTrail,
  ) {}

  @Post('inquiries')
  @AllowUsers('finance')
  @ApiOperation({ summary: "Account Inquiry Top Up for a user's wallet" })
  @ApiCreatedResponse({ type: TopUpInquiryResponseDto })
  async inquire(
    @CurrentPrincipal() principal: UserPrincipal,
    @Actor() actor: AuditActor,
    @Param('userId', userIdPipe) userId: string,
    @Body() body: CreateTopUpInquiryRequestDto,
  ): Promise<TopUpInquiryResponseDto> {
    const inquiry = await this.topUps.inquire(principal, userId, body);
    // The customer's name and number stay out of the audit trail, whose rows can never be erased.
    const { inquiryId, amount, feeAmount, expiresAt } = inquiry;
    await this.audit.record({
      actor,
      action: 'top-up.inquired',
      target: { type: 'user', id: userId },
      after: { request: body, answer: { inquiryId, amount, feeAmount, expiresAt } },
    });
    return inquiry;
  }

  @Post()
  @AllowUsers('finance')
  @Idempotent()
  @ApiOperation({ summary: "Top up a user's wallet for an inquiry" })
  @ApiResponse({ status: 201, type: TopUpResponseDto })
  @ApiResponse({ status: 202, type: TopUpResponseDto })
  async topUp(
    @CurrentPrincipal() principal: UserPrincipal,
    @Actor() actor: AuditActor,
    @Param('userId', userIdPipe) userId: string,
    @IdempotencyCtx() ctx: IdempotencyContext,
    @Res({ passthrough: true }) reply: IdempotentReplyTarget,
    @Body() body: CreateTopUpRequestDto,
  ): Promise<TopUpAnswer> {
    const answer = await this.topUps.topUp(principal, userId, ctx, body);
    if (!answer.replayed)
      await this.audit.record({
        actor,
        action: 'top-up.created',
        target: { type: 'user', id: userId },
        after: { request: body, status: answer.status, answer: answer.body },
      });
    return idempotentAnswer(reply, answer);
  }

  @Get(':id')
  @AllowUsers('admin', 'support', 'finance')
  @ApiOperation({ summary: 'A top-up; an unresolved one is checked with Query Top Up first' })
  @ApiOkResponse({ type: TopUpResponseDto })
  get(@Param('userId', userIdPipe) userId: string, @Param('id') id: string): Promise<TopUpResponseDto> {
    return this.topUps.get(userId, id);
  }
}
