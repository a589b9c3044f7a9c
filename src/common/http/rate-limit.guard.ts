import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { normalizeIp } from '@nestjs/throttler';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AppConfigService } from '../../config/app-config.service';
import { NO_RATE_LIMIT, SENSITIVE_RATE_LIMIT } from '../auth/auth.decorators';
import { AppError } from '../errors/app-error';
import { PerRoute } from './per-route';
import { RateLimitCounters, SHARED_KEY_PREFIX } from './rate-limit-counters';

const WINDOW_MS = 60_000;

/** A route's rate limit, worked out from its decorators the first time it is called. */
interface RoutePlan {
  /** @NoRateLimit(): DOKU's notifications, health, metrics, the JWKS. */
  exempt: boolean;
  limit: number;
  /** The counter's key without the client address: shared or local, then the route. */
  keyPrefix: string;
}

/**
 * The global guard that runs first: one limit per route and client address per minute, so guessing
 * is throttled before authentication. Routes marked @SensitiveRateLimit() (sign-in, registration,
 * tokens, OTP) get the stricter limit, counted in PostgreSQL so it holds across instances
 * (RateLimitCounters). A refusal is 429 REQUEST.RATE_LIMITED with Retry-After; every counted
 * answer carries X-RateLimit-Limit, X-RateLimit-Remaining and X-RateLimit-Reset. The client address
 * is Fastify's `request.ip` (behind a proxy, as trustProxy says), an IPv6 address counted by its /64.
 */
@Injectable()
export class RateLimitGuard implements CanActivate {
  private readonly plans: PerRoute<RoutePlan>;

  constructor(
    reflector: Reflector,
    config: AppConfigService,
    private readonly counters: RateLimitCounters,
  ) {
    this.plans = new PerRoute((handler, controller) => {
      const targets = [handler, controller];
      const sensitive = reflector.getAllAndOverride<boolean>(SENSITIVE_RATE_LIMIT, targets) === true;
      return {
        exempt: reflector.getAllAndOverride<boolean>(NO_RATE_LIMIT, targets) === true,
        limit: sensitive ? config.app.rateLimitSensitivePerMinute : config.app.rateLimitPerMinute,
        keyPrefix: `${sensitive ? SHARED_KEY_PREFIX : 'local:'}${controller.name}.${handler.name}:`,
      };
    });
  }

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const plan = this.plans.of(context);
    if (plan.exempt) return true;
    const http = context.switchToHttp();
    const { hits, secondsLeft } = await this.counters.count(plan.keyPrefix + normalizeIp(http.getRequest<FastifyRequest>().ip), WINDOW_MS);
    if (hits > plan.limit) {
      throw new AppError('REQUEST.RATE_LIMITED', 'Too many requests; retry later', undefined, { 'Retry-After': String(secondsLeft) });
    }
    http
      .getResponse<FastifyReply>()
      .header('X-RateLimit-Limit', plan.limit)
      .header('X-RateLimit-Remaining', plan.limit - hits)
      .header('X-RateLimit-Reset', secondsLeft);
    return true;
  }
}
