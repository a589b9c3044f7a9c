import { Module } from '@nestjs/common';
import { ClientsModule } from '../clients/clients.module';
import { UsersModule } from '../users/users.module';
import { AuthSessionsRepository } from './auth-sessions.repository';
import { AuthController } from './auth.controller';
import { ConsoleSessionController } from './console-session.controller';
import { AuthService } from './auth.service';
import { PrincipalAuthenticator } from '../common/auth/principal-authenticator';
import { PrincipalCacheModule } from '../common/auth/principal-cache.module';
import { JwtAuthenticator } from './jwt-authenticator';
import { LoginLockoutService } from './login-lockout.service';
import { PrincipalResolver } from './principal-resolver';
import { TokensModule } from './tokens.module';
import { OutboxModule } from '../outbox/outbox.module';

@Module({
  imports: [TokensModule, UsersModule, ClientsModule, PrincipalCacheModule, OutboxModule],
  controllers: [AuthController, ConsoleSessionController],
  providers: [
    AuthService,
    AuthSessionsRepository,
    PrincipalResolver,
    JwtAuthenticator,
    { provide: PrincipalAuthenticator, useExisting: JwtAuthenticator },
    LoginLockoutService,
  ],
  exports: [AuthService, PrincipalAuthenticator, LoginLockoutService],
})
export class AuthModule {}
