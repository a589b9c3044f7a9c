import { Module } from '@nestjs/common';
import { AccountsModule } from '../accounts/accounts.module';
import { DokuModule } from '../integrations/doku/doku.module';
import { AdminTopUpController } from './admin-top-up.controller';
import { TopUpController } from './top-up.controller';
import { TopUpRepository } from './top-up.repository';
import { TopUpService } from './top-up.service';

/** Top-up from the partner's corporate balance (wallet-snap-api.md §3.2 E). */
@Module({
  imports: [AccountsModule, DokuModule],
  controllers: [TopUpController, AdminTopUpController],
  providers: [TopUpRepository, TopUpService],
  exports: [TopUpService],
})
export class TopUpModule {}
