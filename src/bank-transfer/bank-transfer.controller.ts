import { Body, Controller, Get, Param, Post, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import { AllowUsers, CurrentPrincipal } from '../common/auth/auth.decorators';
import { UserPrincipal } from '../common/auth/principal';
import { IdempotencyContext } from '../transactions/idempotency/idempotency.service';
import type { BankTransferAnswer } from './bank-transfer.service';
import { Idempotent, IdempotencyCtx, IdempotentReplyTarget, idempotentAnswer } from '../transactions/idempotency/idempotency.guard';
import { BankTransferService } from './bank-transfer.service';
import { BankTransferInquiryResponseDto } from './dto/bank-transfer-inquiry.response.dto';
import { BankTransferResponseDto } from './dto/bank-transfer.response.dto';
import { CreateBankTransferInquiryRequestDto } from './dto/create-bank-transfer-inquiry.request.dto';
import { CreateBankTransferRequestDto } from './dto/create-bank-transfer.request.dto';

@ApiTags('bank transfers')
@ApiBearerAuth()
@Controller('v1/bank-transfers')
export class BankTransferController {
  constructor(private readonly transfers: BankTransferService) {}

  @Post('inquiries')
  @AllowUsers('user')
  @ApiOperation({ summary: 'Look up a bank account before withdrawing to it: shows the holder name' })
  @ApiCreatedResponse({ type: BankTransferInquiryResponseDto })
  inquire(
    @CurrentPrincipal() principal: UserPrincipal,
    @Body() body: CreateBankTransferInquiryRequestDto,
  ): Promise<BankTransferInquiryResponseDto> {
    return this.transfers.inquire(principal.userId, body);
  }

  @Post()
  @AllowUsers('user')
  @Idempotent()
  @ApiOperation({
    summary: 'Withdraw to the bank account of an inquiry',
    description: '201 SUCCESS; 202 when DOKU did not answer (status UNKNOWN or PENDING: read it again); 4xx when DOKU refused it.',
  })
  @ApiResponse({ status: 201, type: BankTransferResponseDto })
  @ApiResponse({ status: 202, type: BankTransferResponseDto })
  async transfer(
    @CurrentPrincipal() principal: UserPrincipal,
    @IdempotencyCtx() ctx: IdempotencyContext,
    @Res({ passthrough: true }) reply: IdempotentReplyTarget,
    @Body() body: CreateBankTransferRequestDto,
  ): Promise<BankTransferAnswer> {
    return idempotentAnswer(reply, await this.transfers.transfer(principal.userId, ctx, body));
  }

  @Get(':id')
  @AllowUsers('user')
  @ApiOperation({ summary: 'A bank transfer; an unresolved one is checked with DOKU first' })
  @ApiOkResponse({ type: BankTransferResponseDto })
  get(@CurrentPrincipal() principal: UserPrincipal, @Param('id') id: string): Promise<BankTransferResponseDto> {
    return this.transfers.get(principal.userId, id);
  }
}
