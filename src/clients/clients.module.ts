import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { TokensModule } from '../auth/tokens.module';
import { ServiceClient } from './entities/service-client.entity';
import { OAuthController } from './oauth.controller';
import { ServiceClientsRepository } from './service-clients.repository';
import { ServiceClientsService } from './service-clients.service';

@Module({
  imports: [TypeOrmModule.forFeature([ServiceClient]), TokensModule],
  controllers: [OAuthController],
  providers: [ServiceClientsRepository, ServiceClientsService],
  exports: [ServiceClientsRepository, ServiceClientsService],
})
export class ClientsModule {}
