import { Controller, Get, Param, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Allow } from '../common/auth/auth.decorators';
import { ListTransactionsQueryDto } from './dto/list-transactions.query.dto';
import { TransactionDetailResponseDto } from './dto/transaction-detail.response.dto';
import { TransactionHistoryResponseDto } from './dto/transaction-history.response.dto';
import { HistoryService } from './history.service';
import { userIdPipe } from '../common/http/resource-id.pipes';

/** Internal services read a user's history (`wallets:read`). */
@ApiTags('history (services)')
@ApiBearerAuth()
@Controller('v1/users/:userId/transactions')
export class UserHistoryController {
  constructor(private readonly history: HistoryService) {}

  @Get()
  @Allow({ scopes: ['wallets:read'] })
  @ApiOperation({ summary: "A user's transactions, merged with DOKU's history" })
  @ApiOkResponse({ type: TransactionHistoryResponseDto })
  list(@Param('userId', userIdPipe) userId: string, @Query() query: ListTransactionsQueryDto): Promise<TransactionHistoryResponseDto> {
    return this.history.list(userId, query);
  }

  @Get(':id')
  @Allow({ scopes: ['wallets:read'] })
  @ApiOperation({ summary: "One of a user's transactions with DOKU's detail" })
  @ApiOkResponse({ type: TransactionDetailResponseDto })
  detail(@Param('userId', userIdPipe) userId: string, @Param('id') id: string): Promise<TransactionDetailResponseDto> {
    return this.history.detail(userId, id);
  }
}
