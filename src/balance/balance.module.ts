import { Module } from '@nestjs/common';
import { AccountsModule } from '../accounts/accounts.module';
import { AuthTokenModule } from '../auth-token/auth-token.module';
import { BalanceController } from './balance.controller';
import { BalanceService } from './balance.service';

@Module({
  imports: [AccountsModule, AuthTokenModule],
  controllers: [BalanceController],
  providers: [BalanceService],
})
export class BalanceModule {}
