import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AuthTokenModule } from '../auth-token/auth-token.module';
import { ClientsModule } from '../clients/clients.module';
import { UsersModule } from '../users/users.module';
import { AccountsController } from './accounts.controller';
import { AccountsService } from './accounts.service';
import { CustomerDokuCalls } from './customer-doku-calls.service';
import { DokuCallbacksController } from './doku-callbacks.controller';
import { WalletBinding } from './entities/wallet-binding.entity';
import { WalletRegistration } from './entities/wallet-registration.entity';
import { Wallet } from './entities/wallet.entity';
import { OtpSendLimiter } from './otp-send-limiter.service';
import { OtpSendsRepository } from './otp-sends.repository';
import { WalletAccessService } from './wallet-access.service';
import { WalletBindingService } from './wallet-binding.service';
import { WalletBindingsRepository } from './wallet-bindings.repository';
import { WalletRegistrationService } from './wallet-registration.service';
import { WalletRegistrationsRepository } from './wallet-registrations.repository';
import { WalletsRepository } from './wallets.repository';
import { OutboxModule } from '../outbox/outbox.module';

@Module({
  imports: [
    TypeOrmModule.forFeature([Wallet, WalletRegistration, WalletBinding]),
    AuthTokenModule,
    UsersModule,
    OutboxModule,
    ClientsModule,
  ],
  controllers: [AccountsController, DokuCallbacksController],
  providers: [
    WalletsRepository,
    WalletAccessService,
    WalletRegistrationsRepository,
    WalletBindingsRepository,
    OtpSendsRepository,
    OtpSendLimiter,
    AccountsService,
    WalletRegistrationService,
    WalletBindingService,
    CustomerDokuCalls,
  ],
  exports: [WalletsRepository, WalletAccessService, CustomerDokuCalls, WalletBindingService],
})
export class AccountsModule {}
