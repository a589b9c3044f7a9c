import type { ExecutionContext } from '@nestjs/common';
import type { Reflector } from '@nestjs/core';
import type { ThrottlerModuleOptions } from '@nestjs/throttler';
import type { AppConfigService } from '../../config/app-config.service';
import { SENSITIVE_RATE_LIMIT } from '../auth/auth.decorators';
import type { SharedThrottlerStorage } from './shared-throttler.storage';
import { SHARED_KEY_PREFIX } from './shared-throttler.storage';

/**
 * One throttler, per route and client address, per minute. Routes marked @SensitiveRateLimit()
 * (sign-in, registration, tokens, OTP) get the stricter limit, counted in PostgreSQL so it holds
 * across instances (SharedThrottlerStorage). Refusals are 429 with Retry-After.
 */
export function rateLimitOptions(config: AppConfigService, reflector: Reflector, storage: SharedThrottlerStorage): ThrottlerModuleOptions {
  const sensitive = (ctx: ExecutionContext) =>
    reflector.getAllAndOverride<boolean>(SENSITIVE_RATE_LIMIT, [ctx.getHandler(), ctx.getClass()]) === true;
  return {
    storage,
    throttlers: [
      {
        name: 'default',
        ttl: 60_000,
        limit: (ctx) => (sensitive(ctx) ? config.app.rateLimitSensitivePerMinute : config.app.rateLimitPerMinute),
        generateKey: (ctx, tracker) =>
          `${sensitive(ctx) ? SHARED_KEY_PREFIX : 'local:'}${ctx.getClass().name}.${ctx.getHandler().name}:${tracker}`,
      },
    ],
  };
}
