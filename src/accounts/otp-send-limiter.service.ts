import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { AppError } from '../common/errors/app-error';
import { AppConfigService } from '../config/app-config.service';
import { OtpSendKey, OtpSendsRepository } from './otp-sends.repository';

/**
 * The cap on OTP floods (docs/reliability.md, R10): a user, and a phone number, may make DOKU send at
 * most OTP_SEND_LIMIT OTPs per purpose within OTP_SEND_WINDOW_SECONDS. The per-address rate limit
 * cannot do this: one account retries from many addresses, and many accounts can name the same phone.
 * Used inside the caller's transaction, before DOKU is called; a send whose answer is lost still
 * counts.
 */
@Injectable()
export class OtpSendLimiter {
  constructor(
    private readonly sends: OtpSendsRepository,
    private readonly config: AppConfigService,
  ) {}

  /** Refuses with OTP.TOO_MANY_REQUESTS (429, Retry-After) when the window is full; locks the key until the transaction ends. */
  async admit(tx: EntityManager, key: OtpSendKey): Promise<void> {
    const { otpSendLimit: limit, otpSendWindowSeconds: windowSeconds } = this.config.app;
    await this.sends.lock(tx, key);
    const recent = await this.sends.inWindow(tx, key, windowSeconds);
    // Newest first: once the limit-th newest send leaves the window, a slot is free again.
    const wait = (sends: typeof recent) => (sends.length >= limit ? sends[limit - 1].secondsLeft : 0);
    const seconds = Math.max(wait(recent.filter((s) => s.byUser)), wait(recent.filter((s) => s.byPhone)));
    if (seconds > 0) {
      const retryAfter = Math.min(windowSeconds, Math.max(1, Math.ceil(seconds)));
      throw new AppError(
        'OTP.TOO_MANY_REQUESTS',
        'Too many OTPs were requested: wait before asking for another',
        { retryAfterSeconds: retryAfter },
        { 'Retry-After': String(retryAfter) },
      );
    }
  }

  /** Counts one send admitted by {@link admit} in the same transaction. */
  record(tx: EntityManager, key: OtpSendKey): Promise<void> {
    return this.sends.record(tx, key, this.config.app.otpSendWindowSeconds);
  }

  /** {@link admit} then {@link record}. */
  async take(tx: EntityManager, key: OtpSendKey): Promise<void> {
    await this.admit(tx, key);
    await this.record(tx, key);
  }
}
