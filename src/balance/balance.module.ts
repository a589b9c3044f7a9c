import { Module } from '@nestjs/common';
import { AccountsModule } from '../accounts/accounts.module';
import { AuthTokenModule } from '../auth-token/auth-token.module';
import { BalanceController } from './balance.controller';
import { BalanceService } from './balance.service';

@Module({
  imports: [AccountsModule, AuthTokenModule],
  controllers: [BalanceController],
  providers: [BalanceService],
  // The e-money limits read the balance before a top-up (docs/limits.md).
  exports: [BalanceService],
})
export class BalanceModule {}
