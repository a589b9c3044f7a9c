import { Body, Controller, Param, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import { Allow, AllowUsers, CurrentPrincipal } from '../common/auth/auth.decorators';
import { Principal, UserPrincipal } from '../common/auth/principal';
import { Idempotent, IdempotencyCtx } from '../common/idempotency/idempotency.interceptor';
import { IdempotencyContext, IdempotentResponse } from '../common/idempotency/idempotency.service';
import { purchaseIdPipe, userIdPipe } from '../purchase/purchase-id.pipe';
import { CancelPurchaseRequestDto } from './dto/cancel-purchase.request.dto';
import { CancelResponseDto } from './dto/cancel.response.dto';
import { CreateRefundRequestDto } from './dto/create-refund.request.dto';
import { RefundResponseDto } from './dto/refund.response.dto';
import { PurchaseCancelService } from './purchase-cancel.service';
import { RefundService } from './refund.service';

/**
 * Cancel and refund of purchases. Refunds move the partner's money back to a wallet: services with
 * `refunds:write` and finance/admin only; a mobile user can cancel their own purchase, never refund.
 */
@ApiTags('refunds')
@ApiBearerAuth()
@Controller()
export class RefundController {
  constructor(
    private readonly cancels: PurchaseCancelService,
    private readonly refunds: RefundService,
  ) {}

  @Post('v1/purchases/:id/cancel')
  @AllowUsers('user')
  @Idempotent()
  @ApiOperation({ summary: 'Cancel my purchase: before the PIN, or on the day it succeeded and before any refund' })
  @ApiResponse({ status: 200, type: CancelResponseDto })
  @ApiResponse({ status: 202, type: CancelResponseDto, description: "UNKNOWN: DOKU's answer was lost; GET the purchase" })
  cancelOwn(
    @CurrentPrincipal() principal: UserPrincipal,
    @Param('id', purchaseIdPipe) id: string,
    @Body() body: CancelPurchaseRequestDto,
    @IdempotencyCtx() ctx: IdempotencyContext,
  ): Promise<IdempotentResponse> {
    return this.cancels.cancel(principal, id, principal.userId, body, ctx);
  }

  @Post('v1/users/:userId/purchases/:id/cancel')
  @Allow({ roles: ['admin'], scopes: ['purchases:write'] })
  @Idempotent()
  @ApiOperation({ summary: "Service or admin: cancel a user's purchase" })
  @ApiResponse({ status: 200, type: CancelResponseDto })
  @ApiResponse({ status: 202, type: CancelResponseDto })
  cancelForUser(
    @CurrentPrincipal() principal: Principal,
    @Param('userId', userIdPipe) userId: string,
    @Param('id', purchaseIdPipe) id: string,
    @Body() body: CancelPurchaseRequestDto,
    @IdempotencyCtx() ctx: IdempotencyContext,
  ): Promise<IdempotentResponse> {
    return this.cancels.cancel(principal, id, userId, body, ctx);
  }

  @Post('v1/users/:userId/purchases/:id/refunds')
  @Allow({ scopes: ['refunds:write'] })
  @Idempotent()
  @ApiOperation({ summary: "Service: refund part or all of a user's successful purchase" })
  @ApiResponse({ status: 201, type: RefundResponseDto })
  @ApiResponse({ status: 202, type: RefundResponseDto, description: "UNKNOWN: DOKU's answer was lost; GET the purchase" })
  refundForUser(
    @CurrentPrincipal() principal: Principal,
    @Param('userId', userIdPipe) userId: string,
    @Param('id', purchaseIdPipe) id: string,
    @Body() body: CreateRefundRequestDto,
    @IdempotencyCtx() ctx: IdempotencyContext,
  ): Promise<IdempotentResponse> {
    return this.refunds.refund(principal, id, userId, body, ctx);
  }

  @Post('v1/admin/purchases/:id/refunds')
  @AllowUsers('finance', 'admin')
  @Idempotent()
  @ApiOperation({ summary: 'Finance or admin: refund part or all of any successful purchase' })
  @ApiResponse({ status: 201, type: RefundResponseDto })
  @ApiResponse({ status: 202, type: RefundResponseDto })
  refundAsBackOffice(
    @CurrentPrincipal() principal: UserPrincipal,
    @Param('id', purchaseIdPipe) id: string,
    @Body() body: CreateRefundRequestDto,
    @IdempotencyCtx() ctx: IdempotencyContext,
  ): Promise<IdempotentResponse> {
    return this.refunds.refund(principal, id, undefined, body, ctx);
  }
}
