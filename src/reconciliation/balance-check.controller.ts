import { Controller, Get, Param } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { AllowUsers } from '../common/auth/auth.decorators';
import { BalanceCheckService } from './balance-check.service';
import { BalanceCheckResponseDto } from './dto/balance-check.response.dto';

/** Back office: one user's records against DOKU's balance and history. */
@ApiTags('back office')
@ApiBearerAuth()
@Controller('v1/admin/users/:userId/balance-check')
export class BalanceCheckController {
  constructor(private readonly checks: BalanceCheckService) {}

  @Get()
  @AllowUsers('admin', 'support', 'finance')
  @ApiOperation({
    summary: "A user's records against DOKU's balance and last 30 days of history",
    description:
      'Typed breaks per transaction (MISSING_AT_DOKU, MISSING_LOCALLY, STATUS_MISMATCH, AMOUNT_MISMATCH, UNRESOLVED); the balance difference is informational (a wallet can hold money that never went through this app). Reads only.',
  })
  @ApiOkResponse({ type: BalanceCheckResponseDto })
  check(@Param('userId') userId: string): Promise<BalanceCheckResponseDto> {
    return this.checks.check(userId);
  }
}
