import { Body, Controller, Get, Param, Post, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import { Allow, CurrentPrincipal } from '../common/auth/auth.decorators';
import { Principal } from '../common/auth/principal';
import { IdempotencyContext } from '../transactions/idempotency/idempotency.service';
import type { TopUpAnswer } from './top-up.service';
import { Idempotent, IdempotencyCtx, IdempotentReplyTarget, idempotentAnswer } from '../transactions/idempotency/idempotency.guard';
import { CreateTopUpInquiryRequestDto } from './dto/create-top-up-inquiry.request.dto';
import { CreateTopUpRequestDto } from './dto/create-top-up.request.dto';
import { TopUpInquiryResponseDto } from './dto/top-up-inquiry.response.dto';
import { TopUpResponseDto } from './dto/top-up.response.dto';
import { TopUpService } from './top-up.service';
import { userIdPipe } from '../common/http/resource-id.pipes';

/** Internal services top up a user's wallet from the partner balance (`topups:write`). */
@ApiTags('top-ups (services)')
@ApiBearerAuth()
@Controller('v1/users/:userId/top-ups')
export class TopUpController {
  constructor(private readonly topUps: TopUpService) {}

  @Post('inquiries')
  @Allow({ scopes: ['topups:write'] })
  @ApiOperation({ summary: "Account Inquiry Top Up: the wallet holder's name and the fee, before topping up" })
  @ApiCreatedResponse({ type: TopUpInquiryResponseDto })
  inquire(
    @CurrentPrincipal() principal: Principal,
    @Param('userId', userIdPipe) userId: string,
    @Body() body: CreateTopUpInquiryRequestDto,
  ): Promise<TopUpInquiryResponseDto> {
    return this.topUps.inquire(principal, userId, body);
  }

  @Post()
  @Allow({ scopes: ['topups:write'] })
  @Idempotent()
  @ApiOperation({
    summary: 'Top up the wallet for an inquiry',
    description: '201 SUCCESS; 202 UNKNOWN/PENDING (read it again); 4xx refused.',
  })
  @ApiResponse({ status: 201, type: TopUpResponseDto })
  @ApiResponse({ status: 202, type: TopUpResponseDto })
  async topUp(
    @CurrentPrincipal() principal: Principal,
    @Param('userId', userIdPipe) userId: string,
    @IdempotencyCtx() ctx: IdempotencyContext,
    @Res({ passthrough: true }) reply: IdempotentReplyTarget,
    @Body() body: CreateTopUpRequestDto,
  ): Promise<TopUpAnswer> {
    return idempotentAnswer(reply, await this.topUps.topUp(principal, userId, ctx, body));
  }

  // One scope per rule (the guard requires every listed scope): reading a top-up's status, which
  // may query DOKU, belongs to the scope that creates them.
  @Get(':id')
  @Allow({ scopes: ['topups:write'] })
  @ApiOperation({ summary: 'A top-up; an unresolved one is checked with Query Top Up first' })
  @ApiOkResponse({ type: TopUpResponseDto })
  get(@Param('userId', userIdPipe) userId: string, @Param('id') id: string): Promise<TopUpResponseDto> {
    return this.topUps.get(userId, id);
  }
}
