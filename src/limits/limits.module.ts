import { Module } from '@nestjs/common';
import { BalanceModule } from '../balance/balance.module';
import { EmoneyLimits } from './emoney-limits.service';
import { LimitsController } from './limits.controller';

/** E-money limits, checked before DOKU is called (docs/limits.md). */
@Module({
  imports: [BalanceModule],
  controllers: [LimitsController],
  providers: [EmoneyLimits],
  exports: [EmoneyLimits],
})
export class LimitsModule {}
