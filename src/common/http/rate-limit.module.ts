import { Module } from '@nestjs/common';
import { SharedThrottlerStorage } from './shared-throttler.storage';

/** The rate limiter's counter store, for ThrottlerModule's options factory. */
@Module({ providers: [SharedThrottlerStorage], exports: [SharedThrottlerStorage] })
export class RateLimitModule {}
