import { Module } from '@nestjs/common';
import { AccountsModule } from '../accounts/accounts.module';
import { AuthTokenModule } from '../auth-token/auth-token.module';
import { AdminHistoryController } from './admin-history.controller';
import { HistoryController } from './history.controller';
import { HistoryRepository } from './history.repository';
import { HistoryService } from './history.service';
import { UserHistoryController } from './user-history.controller';

/** Transaction history: ours merged with DOKU's (docs/doku-integration.md#history). */
@Module({
  imports: [AccountsModule, AuthTokenModule],
  controllers: [HistoryController, UserHistoryController, AdminHistoryController],
  providers: [HistoryRepository, HistoryService],
})
export class HistoryModule {}
