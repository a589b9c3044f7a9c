import { Module } from '@nestjs/common';
import { JwtModule } from '@nestjs/jwt';
import { MetricsModule } from '../metrics/metrics.module';
import { AccessTokenKeysService, ACCESS_TOKEN_ALGORITHM } from './access-token-keys.service';
import { JwksController } from './jwks.controller';
import { TokenService } from './token.service';

@Module({
  imports: [
    // The key is given per token by TokenService (the key ring's active key), never here.
    JwtModule.register({ signOptions: { algorithm: ACCESS_TOKEN_ALGORITHM }, verifyOptions: { algorithms: [ACCESS_TOKEN_ALGORITHM] } }),
    MetricsModule,
  ],
  controllers: [JwksController],
  providers: [TokenService, AccessTokenKeysService],
  exports: [TokenService, AccessTokenKeysService],
})
export class TokensModule {}
