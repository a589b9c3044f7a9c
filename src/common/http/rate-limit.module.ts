import { Module } from '@nestjs/common';
import { RateLimitCounters } from './rate-limit-counters';

/** The rate limiter's counters, for RateLimitGuard (a global guard of the app module). */
@Module({ providers: [RateLimitCounters], exports: [RateLimitCounters] })
export class RateLimitModule {}
