import { Controller, ExecutionContext, Get } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { AppConfigService } from '../../config/app-config.service';
import { NoRateLimit, SensitiveRateLimit } from '../auth/auth.decorators';
import { AppError } from '../errors/app-error';
import { RateLimitGuard } from './rate-limit.guard';
import type { RateLimitCounters } from './rate-limit-counters';

@Controller('a')
class Ordinary {
  @Get('x') first(): void {}
  @Get('y') second(): void {}
  @SensitiveRateLimit() @Get('z') signIn(): void {}
  @NoRateLimit() @Get('w') notify(): void {}
}

@NoRateLimit()
@Controller('b')
class WhollyExempt {
  @Get('x') first(): void {}
}

/** Counters in memory: the counter's key decides everything a test looks at. */
class FakeCounters {
  readonly keys: string[] = [];
  private readonly hits = new Map<string, number>();
  count(key: string) {
    this.keys.push(key);
    const hits = (this.hits.get(key) ?? 0) + 1;
    this.hits.set(key, hits);
    return key.startsWith('sensitive:') ? Promise.resolve({ hits, secondsLeft: 42 }) : { hits, secondsLeft: 17 };
  }
}

function call(guard: RateLimitGuard, controller: object, handler: string, ip: string) {
  const headers: Record<string, unknown> = {};
  const reply = {
    header(name: string, value: unknown) {
      headers[name] = value;
      return reply;
    },
  };
  const context = {
    getClass: () => controller,
    getHandler: () => (controller as { prototype: Record<string, unknown> }).prototype[handler],
    switchToHttp: () => ({ getRequest: () => ({ ip }), getResponse: () => reply }),
  } as unknown as ExecutionContext;
  return { answer: guard.canActivate(context), headers };
}

describe('RateLimitGuard', () => {
  let counters: FakeCounters;
  let reflector: Reflector;
  let guard: RateLimitGuard;

  beforeEach(() => {
    counters = new FakeCounters();
    reflector = new Reflector();
    const config = { app: { rateLimitPerMinute: 3, rateLimitSensitivePerMinute: 1 } } as AppConfigService;
    guard = new RateLimitGuard(reflector, config, counters as unknown as RateLimitCounters);
  });

  it('counts each route and client address apart, and says the limit, what remains and the reset on the answer', async () => {
    const first = call(guard, Ordinary, 'first', '10.0.0.1');
    await expect(first.answer).resolves.toBe(true);
    expect(first.headers).toEqual({ 'X-RateLimit-Limit': 3, 'X-RateLimit-Remaining': 2, 'X-RateLimit-Reset': 17 });
    await call(guard, Ordinary, 'second', '10.0.0.1').answer;
    await call(guard, Ordinary, 'first', '10.0.0.2').answer;
    expect(counters.keys).toEqual(['local:Ordinary.first:10.0.0.1', 'local:Ordinary.second:10.0.0.1', 'local:Ordinary.first:10.0.0.2']);
  });

  it('refuses past the limit with 429 REQUEST.RATE_LIMITED and Retry-After, the sensitive routes at their own limit and shared', async () => {
    for (let i = 0; i < 3; i++) await call(guard, Ordinary, 'first', '10.0.0.1').answer;
    const refused = await call(guard, Ordinary, 'first', '10.0.0.1').answer.catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(AppError);
    expect(refused).toMatchObject({ code: 'REQUEST.RATE_LIMITED', headers: { 'Retry-After': '17' } });

    await expect(call(guard, Ordinary, 'signIn', '10.0.0.1').answer).resolves.toBe(true);
    await expect(call(guard, Ordinary, 'signIn', '10.0.0.1').answer).rejects.toMatchObject({
      code: 'REQUEST.RATE_LIMITED',
      headers: { 'Retry-After': '42' },
    });
    expect(counters.keys.at(-1)).toBe('sensitive:Ordinary.signIn:10.0.0.1');
  });

  it('counts nothing for an exempt route or controller', async () => {
    for (let i = 0; i < 5; i++) {
      await expect(call(guard, Ordinary, 'notify', '10.0.0.1').answer).resolves.toBe(true);
      await expect(call(guard, WhollyExempt, 'first', '10.0.0.1').answer).resolves.toBe(true);
    }
    expect(counters.keys).toEqual([]);
  });

  it('counts the IPv6 addresses of one /64 as one client', async () => {
    await call(guard, Ordinary, 'first', '2001:db8:1:2:aaaa::1').answer;
    await call(guard, Ordinary, 'first', '2001:db8:1:2:bbbb::9').answer;
    expect(new Set(counters.keys).size).toBe(1);
    expect(counters.keys[0]).not.toContain('aaaa');
  });

  it("reads a route's decorators once, however many requests it serves", async () => {
    const read = jest.spyOn(reflector, 'getAllAndOverride');
    for (let i = 0; i < 3; i++) await call(guard, Ordinary, 'first', `10.0.0.${i}`).answer;
    await call(guard, Ordinary, 'second', '10.0.0.1').answer;
    // Two keys (sensitive, exempt) for each of the two routes.
    expect(read).toHaveBeenCalledTimes(4);
  });
});
