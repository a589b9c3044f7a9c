import { Module } from '@nestjs/common';
import { AccountsModule } from '../accounts/accounts.module';
import { AuthTokenModule } from '../auth-token/auth-token.module';
import { BankTransferController } from './bank-transfer.controller';
import { BankTransferRepository } from './bank-transfer.repository';
import { BankTransferService } from './bank-transfer.service';

/** Withdrawal from the wallet to a bank account (wallet-snap-api.md §3.2 D). */
@Module({
  imports: [AccountsModule, AuthTokenModule],
  controllers: [BankTransferController],
  providers: [BankTransferRepository, BankTransferService],
  exports: [BankTransferService],
})
export class BankTransferModule {}
