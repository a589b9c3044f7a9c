import { Controller, Get } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { AllowUsers, CurrentPrincipal } from '../common/auth/auth.decorators';
import { UserPrincipal } from '../common/auth/principal';
import { BalanceService } from './balance.service';
import { BalanceResponseDto } from './dto/balance.response.dto';

@ApiTags('wallet')
@ApiBearerAuth()
@Controller()
export class BalanceController {
  constructor(private readonly balance: BalanceService) {}

  @Get('v1/wallet/balance')
  @AllowUsers('user')
  @ApiOperation({ summary: 'The DOKU Wallet balance, read from DOKU' })
  @ApiOkResponse({ type: BalanceResponseDto })
  getBalance(@CurrentPrincipal() principal: UserPrincipal): Promise<BalanceResponseDto> {
    return this.balance.getBalance(principal.userId);
  }
}
