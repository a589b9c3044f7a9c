import { Controller, Get, Param, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { AllowUsers, CurrentPrincipal } from '../common/auth/auth.decorators';
import { UserPrincipal } from '../common/auth/principal';
import { ListTransactionsQueryDto } from './dto/list-transactions.query.dto';
import { TransactionDetailResponseDto } from './dto/transaction-detail.response.dto';
import { TransactionHistoryResponseDto } from './dto/transaction-history.response.dto';
import { HistoryService } from './history.service';

/** The signed-in user's own history. */
@ApiTags('history')
@ApiBearerAuth()
@Controller('v1/transactions')
export class HistoryController {
  constructor(private readonly history: HistoryService) {}

  @Get()
  @AllowUsers('user')
  @ApiOperation({ summary: "Our records merged with DOKU's history; window at most 31 days, pageSize at most 50" })
  @ApiOkResponse({ type: TransactionHistoryResponseDto })
  list(@CurrentPrincipal() principal: UserPrincipal, @Query() query: ListTransactionsQueryDto): Promise<TransactionHistoryResponseDto> {
    return this.history.list(principal.userId, query);
  }

  @Get(':id')
  @AllowUsers('user')
  @ApiOperation({ summary: "One of the user's transactions with DOKU's detail" })
  @ApiOkResponse({ type: TransactionDetailResponseDto })
  detail(@CurrentPrincipal() principal: UserPrincipal, @Param('id') id: string): Promise<TransactionDetailResponseDto> {
    return this.history.detail(principal.userId, id);
  }
}
