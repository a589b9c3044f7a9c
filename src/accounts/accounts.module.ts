import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { WalletBinding } from './entities/wallet-binding.entity';
import { WalletRegistration } from './entities/wallet-registration.entity';
import { Wallet } from './entities/wallet.entity';
import { WalletAccessService } from './wallet-access.service';
import { WalletsRepository } from './wallets.repository';

@Module({
  imports: [TypeOrmModule.forFeature([Wallet, WalletRegistration, WalletBinding])],
  providers: [WalletsRepository, WalletAccessService],
  exports: [WalletsRepository, WalletAccessService],
})
export class AccountsModule {}
