import { Body, Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Actor } from '../audit/audit-actor.decorator';
import { AuditActor } from '../audit/audit-chain';
import { AllowUsers, CurrentPrincipal } from '../common/auth/auth.decorators';
import { UserPrincipal } from '../common/auth/principal';
import { ApprovalsService } from './approvals.service';
import { ApprovalPageResponseDto, ApprovalResponseDto } from './dto/approval.response.dto';
import { DecideApprovalRequestDto } from './dto/decide-approval.request.dto';
import { ListApprovalsQueryDto } from './dto/list-approvals.query.dto';

/** Maker-checker: finance decides what another finance person asked for; admins may read. */
@ApiTags('back office')
@ApiBearerAuth()
@Controller('v1/admin/approvals')
export class ApprovalsController {
  constructor(private readonly approvals: ApprovalsService) {}

  @Get()
  @AllowUsers('finance', 'admin')
  @ApiOperation({ summary: 'Requests waiting for (or given) a second person’s approval, newest first' })
  @ApiOkResponse({ type: ApprovalPageResponseDto })
  list(@Query() query: ListApprovalsQueryDto): Promise<ApprovalPageResponseDto> {
    return this.approvals.list(query);
  }

  @Get(':id')
  @AllowUsers('finance', 'admin')
  @ApiOperation({ summary: 'One request and where it stands' })
  @ApiOkResponse({ type: ApprovalResponseDto })
  get(@Param('id') id: string): Promise<ApprovalResponseDto> {
    return this.approvals.get(id);
  }

  @Post(':id/approve')
  @HttpCode(200)
  @AllowUsers('finance')
  @ApiOperation({
    summary: 'Approve another person’s request; the refund or resolution is carried out now',
    description:
      'The person who asked cannot approve (403 APPROVAL.SAME_PERSON). A refund runs through the refund path with an idempotency key of its own, so approving again never refunds twice; its answer is in `result`.',
  })
  @ApiOkResponse({ type: ApprovalResponseDto })
  approve(
    @CurrentPrincipal() principal: UserPrincipal,
    @Actor() actor: AuditActor,
    @Param('id') id: string,
    @Body() body: DecideApprovalRequestDto,
  ): Promise<ApprovalResponseDto> {
    return this.approvals.approve(principal, actor, id, body.note ?? null);
  }

  @Post(':id/reject')
  @HttpCode(200)
  @AllowUsers('finance')
  @ApiOperation({ summary: 'Reject another person’s request; nothing is carried out' })
  @ApiOkResponse({ type: ApprovalResponseDto })
  reject(
    @CurrentPrincipal() principal: UserPrincipal,
    @Actor() actor: AuditActor,
    @Param('id') id: string,
    @Body() body: DecideApprovalRequestDto,
  ): Promise<ApprovalResponseDto> {
    return this.approvals.reject(principal, actor, id, body.note ?? null);
  }
}
