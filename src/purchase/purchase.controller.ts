import { Body, Controller, Get, Param, Post, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import { Allow, AllowUsers, CurrentPrincipal } from '../common/auth/auth.decorators';
import { Principal, UserPrincipal } from '../common/auth/principal';
import { Idempotent, IdempotencyCtx, IdempotentReplyTarget, idempotentAnswer } from '../transactions/idempotency/idempotency.guard';
import { IdempotencyContext } from '../transactions/idempotency/idempotency.service';
import type { PurchaseAnswer } from './purchase.service';
import { CreateOrderPurchaseRequestDto } from './dto/create-order-purchase.request.dto';
import { CreatePurchaseRequestDto } from './dto/create-purchase.request.dto';
import { PurchaseCreatedResponseDto } from './dto/purchase-created.response.dto';
import { PurchaseResponseDto } from './dto/purchase.response.dto';
import { purchaseIdPipe, userIdPipe } from '../common/http/resource-id.pipes';
import { PurchaseService } from './purchase.service';

@ApiTags('purchases')
@ApiBearerAuth()
@Controller()
export class PurchaseController {
  constructor(private readonly purchases: PurchaseService) {}

  @Post('v1/purchases')
  @AllowUsers('user')
  @Idempotent()
  @ApiOperation({ summary: 'Pay from my DOKU Wallet: returns the DOKU PIN page to open' })
  @ApiResponse({ status: 201, type: PurchaseCreatedResponseDto, description: 'PENDING until the user enters the PIN' })
  @ApiResponse({
    status: 202,
    type: PurchaseCreatedResponseDto,
    description: "UNKNOWN: DOKU's answer was lost; poll GET /v1/purchases/{id}",
  })
  async create(
    @CurrentPrincipal() principal: UserPrincipal,
    @Body() body: CreatePurchaseRequestDto,
    @IdempotencyCtx() ctx: IdempotencyContext,
    @Res({ passthrough: true }) reply: IdempotentReplyTarget,
  ): Promise<PurchaseAnswer> {
    return idempotentAnswer(reply, await this.purchases.create(principal, principal.userId, body, ctx));
  }

  @Get('v1/purchases/:id')
  @AllowUsers('user')
  @ApiOperation({
    summary: 'One of my purchases, from our record; while it is PENDING or UNKNOWN, DOKU is asked at most once per interval',
  })
  @ApiResponse({ status: 200, type: PurchaseResponseDto })
  get(@CurrentPrincipal() principal: UserPrincipal, @Param('id', purchaseIdPipe) id: string): Promise<PurchaseResponseDto> {
    return this.purchases.get(principal.userId, id);
  }

  @Post('v1/users/:userId/purchases')
  @Allow({ scopes: ['purchases:write'] })
  @Idempotent()
  @ApiOperation({ summary: "Service: create a purchase for one of its orders on a user's wallet" })
  @ApiResponse({ status: 201, type: PurchaseCreatedResponseDto })
  @ApiResponse({ status: 202, type: PurchaseCreatedResponseDto })
  async createForUser(
    @CurrentPrincipal() principal: Principal,
    @Param('userId', userIdPipe) userId: string,
    @Body() body: CreateOrderPurchaseRequestDto,
    @IdempotencyCtx() ctx: IdempotencyContext,
    @Res({ passthrough: true }) reply: IdempotentReplyTarget,
  ): Promise<PurchaseAnswer> {
    return idempotentAnswer(reply, await this.purchases.create(principal, userId, body, ctx));
  }

  @Get('v1/users/:userId/purchases/:id')
  @Allow({ roles: ['admin', 'support', 'finance'], scopes: ['wallets:read'] })
  @ApiOperation({ summary: "Back office or service: one of a user's purchases" })
  @ApiResponse({ status: 200, type: PurchaseResponseDto })
  getForUser(@Param('userId', userIdPipe) userId: string, @Param('id', purchaseIdPipe) id: string): Promise<PurchaseResponseDto> {
    return this.purchases.get(userId, id);
  }
}
