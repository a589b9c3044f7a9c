import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { TokensModule } from '../auth/tokens.module';
import { PrincipalCacheModule } from '../common/auth/principal-cache.module';
import { AppReturnLinks } from './app-return-links.service';
import { ServiceClient } from './entities/service-client.entity';
import { OAuthController } from './oauth.controller';
import { ServiceClientsRepository } from './service-clients.repository';
import { ServiceClientsService } from './service-clients.service';

@Module({
  imports: [TypeOrmModule.forFeature([ServiceClient]), TokensModule, PrincipalCacheModule],
  controllers: [OAuthController],
  providers: [ServiceClientsRepository, ServiceClientsService, AppReturnLinks],
  exports: [ServiceClientsRepository, ServiceClientsService, AppReturnLinks],
})
export class ClientsModule {}
