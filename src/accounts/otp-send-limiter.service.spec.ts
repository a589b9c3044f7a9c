import type { EntityManager } from 'typeorm';
import type { AppError } from '../common/errors/app-error';
import type { AppConfigService } from '../config/app-config.service';
import { OtpSendLimiter } from './otp-send-limiter.service';
import type { OtpSendKey, OtpSendsRepository, SendInWindow } from './otp-sends.repository';

/** The cap's arithmetic over a stand-in repository; the locking and SQL are covered by R10 (e2e). */
describe('OtpSendLimiter', () => {
  const tx = {} as EntityManager;
  const key: OtpSendKey = { purpose: 'REGISTRATION', userId: 'u1', phone: '6281234567890' };
  const limiterWith = (recent: SendInWindow[], limit = 3, windowSeconds = 600) => {
    const recorded: OtpSendKey[] = [];
    const repo = {
      lock: async () => undefined,
      inWindow: async () => recent,
      record: async (_tx: EntityManager, k: OtpSendKey) => void recorded.push(k),
    } as unknown as OtpSendsRepository;
    const config = { app: { otpSendLimit: limit, otpSendWindowSeconds: windowSeconds } } as AppConfigService;
    return { limiter: new OtpSendLimiter(repo, config), recorded };
  };
  const refusal = async (p: Promise<unknown>) =>
    p.then(
      () => null,
      (e: AppError) => ({ code: e.code, details: e.details, headers: e.headers }),
    );

  it('admits and records while the user and the phone are under the limit', async () => {
    const { limiter, recorded } = limiterWith([
      { byUser: true, byPhone: true, secondsLeft: 500 },
      { byUser: false, byPhone: true, secondsLeft: 400 },
    ]);
    await limiter.take(tx, key);
    expect(recorded).toEqual([key]);
  });

  it('refuses the user at the limit with 429 OTP.TOO_MANY_REQUESTS and Retry-After when the oldest counted send leaves the window', async () => {
    const { limiter, recorded } = limiterWith([
      { byUser: true, byPhone: false, secondsLeft: 590.2 },
      { byUser: true, byPhone: false, secondsLeft: 300.5 },
      { byUser: true, byPhone: false, secondsLeft: 12.1 },
    ]);
    expect(await refusal(limiter.take(tx, key))).toEqual({
      code: 'OTP.TOO_MANY_REQUESTS',
      details: { retryAfterSeconds: 13 },
      headers: { 'Retry-After': '13' },
    });
    expect(recorded).toEqual([]);
  });

  it('refuses a phone named by many users, even when each user is under the limit', async () => {
    const { limiter } = limiterWith([
      { byUser: false, byPhone: true, secondsLeft: 100 },
      { byUser: false, byPhone: true, secondsLeft: 90 },
      { byUser: false, byPhone: true, secondsLeft: 80 },
      { byUser: false, byPhone: true, secondsLeft: 70 },
    ]);
    expect(await refusal(limiter.admit(tx, key))).toMatchObject({ code: 'OTP.TOO_MANY_REQUESTS', headers: { 'Retry-After': '80' } });
  });

  it('never asks to wait longer than the window', async () => {
    const { limiter } = limiterWith([{ byUser: true, byPhone: true, secondsLeft: 600.4 }], 1, 600);
    expect(await refusal(limiter.admit(tx, key))).toMatchObject({ headers: { 'Retry-After': '600' } });
  });
});
