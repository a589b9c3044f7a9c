import { Body, Controller, Get, Param, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import { AllowUsers, CurrentPrincipal } from '../common/auth/auth.decorators';
import { UserPrincipal } from '../common/auth/principal';
import { IdempotencyContext, IdempotentResponse } from '../common/idempotency/idempotency.service';
import { Idempotent, IdempotencyCtx } from '../common/idempotency/idempotency.interceptor';
import { CreateTopUpInquiryRequestDto } from './dto/create-top-up-inquiry.request.dto';
import { CreateTopUpRequestDto } from './dto/create-top-up.request.dto';
import { TopUpInquiryResponseDto } from './dto/top-up-inquiry.response.dto';
import { TopUpResponseDto } from './dto/top-up.response.dto';
import { TopUpService } from './top-up.service';
import { userIdPipe } from '../purchase/purchase-id.pipe';

/** Admin and finance top up a user's wallet; support may only read. */
@ApiTags('top-ups (back office)')
@ApiBearerAuth()
@Controller('v1/admin/users/:userId/top-ups')
export class AdminTopUpController {
  constructor(private readonly topUps: TopUpService) {}

  @Post('inquiries')
  @AllowUsers('admin', 'finance')
  @ApiOperation({ summary: "Account Inquiry Top Up for a user's wallet" })
  @ApiCreatedResponse({ type: TopUpInquiryResponseDto })
  inquire(@CurrentPrincipal() principal: UserPrincipal, @Param('userId', userIdPipe) userId: string, @Body() body: CreateTopUpInquiryRequestDto): Promise<TopUpInquiryResponseDto> {
    return this.topUps.inquire(principal, userId, body);
  }

  @Post()
  @AllowUsers('admin', 'finance')
  @Idempotent()
  @ApiOperation({ summary: "Top up a user's wallet for an inquiry" })
  @ApiResponse({ status: 201, type: TopUpResponseDto })
  @ApiResponse({ status: 202, type: TopUpResponseDto })
  topUp(
    @CurrentPrincipal() principal: UserPrincipal,
    @Param('userId', userIdPipe) userId: string,
    @IdempotencyCtx() ctx: IdempotencyContext,
    @Body() body: CreateTopUpRequestDto,
  ): Promise<IdempotentResponse> {
    return this.topUps.topUp(principal, userId, ctx, body);
  }

  @Get(':id')
  @AllowUsers('admin', 'support', 'finance')
  @ApiOperation({ summary: 'A top-up; an unresolved one is checked with Query Top Up first' })
  @ApiOkResponse({ type: TopUpResponseDto })
  get(@Param('userId', userIdPipe) userId: string, @Param('id') id: string): Promise<TopUpResponseDto> {
    return this.topUps.get(userId, id);
  }
}
