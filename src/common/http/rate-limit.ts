import { ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { ThrottlerModuleOptions } from '@nestjs/throttler';
import { AppConfigService } from '../../config/app-config.service';
import { SENSITIVE_RATE_LIMIT } from '../auth/auth.decorators';

/**
 * One throttler, per client address, per minute. Routes marked @SensitiveRateLimit() (sign-in,
 * registration, tokens, OTP) get the stricter limit. Refusals are 429 with Retry-After.
 */
export function rateLimitOptions(config: AppConfigService, reflector: Reflector): ThrottlerModuleOptions {
  const sensitive = (ctx: ExecutionContext) =>
    reflector.getAllAndOverride<boolean>(SENSITIVE_RATE_LIMIT, [ctx.getHandler(), ctx.getClass()]) === true;
  return {
    throttlers: [
      {
        name: 'default',
        ttl: 60_000,
        limit: (ctx) => (sensitive(ctx) ? config.app.rateLimitSensitivePerMinute : config.app.rateLimitPerMinute),
      },
    ],
  };
}
