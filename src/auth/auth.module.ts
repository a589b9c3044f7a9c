import { Module } from '@nestjs/common';
import { ClientsModule } from '../clients/clients.module';
import { UsersModule } from '../users/users.module';
import { AuthSessionsRepository } from './auth-sessions.repository';
import { AuthController } from './auth.controller';
import { AuthService } from './auth.service';
import { PrincipalResolver } from './principal-resolver';
import { TokensModule } from './tokens.module';

@Module({
  imports: [TokensModule, UsersModule, ClientsModule],
  controllers: [AuthController],
  providers: [AuthService, AuthSessionsRepository, PrincipalResolver],
  exports: [AuthService, PrincipalResolver],
})
export class AuthModule {}
