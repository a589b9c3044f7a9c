import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { DokuModule } from '../integrations/doku/doku.module';
import { CustomerTokenVault } from './customer-token-vault.service';
import { CustomerTokensRepository } from './customer-tokens.repository';
import { DokuCustomerToken } from './entities/doku-customer-token.entity';

/**
 * DOKU access tokens. The shared B2B token (`B2bTokenService`) is built inside DokuModule because
 * the DOKU client itself depends on it; it is re-exported here with the per-user customer vault.
 */
@Module({
  imports: [TypeOrmModule.forFeature([DokuCustomerToken]), DokuModule],
  providers: [CustomerTokensRepository, CustomerTokenVault],
  exports: [CustomerTokenVault, DokuModule],
})
export class AuthTokenModule {}
