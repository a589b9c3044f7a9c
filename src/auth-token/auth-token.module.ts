import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { DokuModule } from '../integrations/doku/doku.module';
import { B2B_TOKEN_SOURCE } from '../integrations/doku/snap/doku.ports';
import { B2bTokenService } from './b2b-token.service';
import { B2bTokensRepository } from './b2b-tokens.repository';
import { CustomerTokenVault } from './customer-token-vault.service';
import { CustomerTokenReencryptionService } from './customer-token-reencryption.service';
import { CustomerTokensRepository } from './customer-tokens.repository';
import { DokuB2bToken } from './entities/doku-b2b-token.entity';
import { DokuCustomerToken } from './entities/doku-customer-token.entity';

/**
 * DOKU access tokens: the fleet's shared B2B token (`B2bTokenService`), which this module provides
 * to the DOKU client as its `B2bTokenSource` (`B2B_TOKEN_SOURCE`), and the per-user customer vault.
 * The dependency runs one way: this module uses the DOKU client to fetch tokens; the integration
 * knows only the interface.
 */
@Module({
  imports: [TypeOrmModule.forFeature([DokuCustomerToken, DokuB2bToken]), DokuModule],
  providers: [
    CustomerTokensRepository,
    CustomerTokenVault,
    CustomerTokenReencryptionService,
    B2bTokensRepository,
    B2bTokenService,
    { provide: B2B_TOKEN_SOURCE, useExisting: B2bTokenService },
  ],
  exports: [CustomerTokenVault, CustomerTokensRepository, CustomerTokenReencryptionService, DokuModule, B2B_TOKEN_SOURCE],
})
export class AuthTokenModule {}
