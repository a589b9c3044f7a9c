import { AuditModule } from '../audit/audit.module';
import { Module } from '@nestjs/common';
import { AccountsModule } from '../accounts/accounts.module';
import { DokuModule } from '../integrations/doku/doku.module';
import { AdminTopUpController } from './admin-top-up.controller';
import { TopUpController } from './top-up.controller';
import { TopUpRepository } from './top-up.repository';
import { TopUpService } from './top-up.service';
import { TransactionsModule } from '../transactions/transactions.module';
import { LimitsModule } from '../limits/limits.module';

/** Top-up from the partner's corporate balance (docs/doku-integration.md#top-up). */
@Module({
  imports: [AccountsModule, DokuModule, TransactionsModule, AuditModule, LimitsModule],
  controllers: [TopUpController, AdminTopUpController],
  providers: [TopUpRepository, TopUpService],
  exports: [TopUpService],
})
export class TopUpModule {}
