import { Module } from '@nestjs/common';
import { AccountsModule } from '../accounts/accounts.module';
import { AuthTokenModule } from '../auth-token/auth-token.module';
import { BankInquiryResealer } from './bank-inquiry-resealer';
import { BankTransferController } from './bank-transfer.controller';
import { BankTransferRepository } from './bank-transfer.repository';
import { BankTransferService } from './bank-transfer.service';
import { TransactionsModule } from '../transactions/transactions.module';
import { LimitsModule } from '../limits/limits.module';

/** Withdrawal from the wallet to a bank account (docs/doku-integration.md#bank-transfer). */
@Module({
  imports: [AccountsModule, AuthTokenModule, TransactionsModule, LimitsModule],
  controllers: [BankTransferController],
  providers: [BankTransferRepository, BankTransferService, BankInquiryResealer],
  exports: [BankTransferService],
})
export class BankTransferModule {}
