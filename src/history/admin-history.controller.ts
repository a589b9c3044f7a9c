import { Controller, Get, Param, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { AllowUsers } from '../common/auth/auth.decorators';
import { ListTransactionsQueryDto } from './dto/list-transactions.query.dto';
import { TransactionDetailResponseDto } from './dto/transaction-detail.response.dto';
import { TransactionHistoryResponseDto } from './dto/transaction-history.response.dto';
import { HistoryService } from './history.service';
import { userIdPipe } from '../common/http/resource-id.pipes';

/** The back office reads any user's history. */
@ApiTags('history (back office)')
@ApiBearerAuth()
@Controller('v1/admin/users/:userId/transactions')
export class AdminHistoryController {
  constructor(private readonly history: HistoryService) {}

  @Get()
  @AllowUsers('admin', 'support', 'finance')
  @ApiOperation({ summary: "A user's transactions, merged with DOKU's history" })
  @ApiOkResponse({ type: TransactionHistoryResponseDto })
  list(@Param('userId', userIdPipe) userId: string, @Query() query: ListTransactionsQueryDto): Promise<TransactionHistoryResponseDto> {
    return this.history.list(userId, query);
  }

  @Get(':id')
  @AllowUsers('admin', 'support', 'finance')
  @ApiOperation({ summary: "One of a user's transactions with DOKU's detail" })
  @ApiOkResponse({ type: TransactionDetailResponseDto })
  detail(@Param('userId', userIdPipe) userId: string, @Param('id') id: string): Promise<TransactionDetailResponseDto> {
    return this.history.detail(userId, id);
  }
}
