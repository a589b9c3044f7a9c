import { ConfigError, loadConfig } from './load-config';
import { channelLimitsFor } from './limits-config';

const load = (env: Record<string, string>) => loadConfig({ NODE_ENV: 'test', ...env });
const problemsOf = (env: Record<string, string>): string[] => {
  try {
    load(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
};

describe('e-money limits configuration', () => {
  it("defaults to Bank Indonesia's figures: 2,000,000 and 20,000,000 balance, 40,000,000 a month, unregistered", () => {
    const { limits } = load({});
    expect(limits).toEqual({
      enabled: true,
      maxBalance: { UNREGISTERED: 2_000_000, REGISTERED: 20_000_000 },
      monthlyIncoming: 40_000_000,
      defaultAccountLevel: 'UNREGISTERED',
      channels: {},
    });
  });

  it('takes the partner’s figures, "none" for no limit, and per-channel rules', () => {
    const { limits } = load({
      EMONEY_MAX_BALANCE_UNREGISTERED: '1000000',
      EMONEY_MAX_BALANCE_REGISTERED: 'none',
      EMONEY_MONTHLY_INCOMING_LIMIT: '30000000',
      EMONEY_DEFAULT_ACCOUNT_LEVEL: 'REGISTERED',
      EMONEY_CHANNEL_LIMITS: JSON.stringify({ 'DOKU_WALLET:user': { perDay: 500_000, perHour: 3 }, '*:*': { perTransaction: 2_000_000 } }),
    });
    expect(limits.maxBalance).toEqual({ UNREGISTERED: 1_000_000, REGISTERED: null });
    expect(limits.monthlyIncoming).toBe(30_000_000);
    expect(limits.defaultAccountLevel).toBe('REGISTERED');
    expect(channelLimitsFor(limits, 'DOKU_WALLET', 'user')).toEqual({ perDay: 500_000, perHour: 3 });
    expect(channelLimitsFor(limits, 'DOKU_WALLET', 'service')).toEqual({ perTransaction: 2_000_000 });
    expect(channelLimitsFor(limits, 'TOP_UP', 'service')).toEqual({ perTransaction: 2_000_000 });
  });

  it('the most specific key wins: channel and caller, channel, caller, then any', () => {
    const { limits } = load({
      EMONEY_CHANNEL_LIMITS: JSON.stringify({
        '*:*': { perDay: 1 },
        '*:service': { perDay: 2 },
        'DANA:*': { perDay: 3 },
        'DANA:service': { perDay: 4 },
      }),
    });
    expect(channelLimitsFor(limits, 'DANA', 'service').perDay).toBe(4);
    expect(channelLimitsFor(limits, 'DANA', 'user').perDay).toBe(3);
    expect(channelLimitsFor(limits, 'TOP_UP', 'service').perDay).toBe(2);
    expect(channelLimitsFor(limits, 'TOP_UP', 'user').perDay).toBe(1);
  });

  it('refuses to start on a wrong figure, naming every problem at once', () => {
    const problems = problemsOf({
      EMONEY_LIMITS_ENABLED: 'maybe',
      EMONEY_MAX_BALANCE_UNREGISTERED: '-5',
      EMONEY_MAX_BALANCE_REGISTERED: '2.5',
      EMONEY_MONTHLY_INCOMING_LIMIT: '0',
      EMONEY_DEFAULT_ACCOUNT_LEVEL: 'PREMIUM',
      EMONEY_CHANNEL_LIMITS: JSON.stringify({
        'DOKU_WALLET:robot': { perDay: 1 },
        'DANA:user': { perDay: 0, perWeek: 5 },
        'TOP_UP:service': [1],
      }),
    });
    expect(problems).toEqual(
      expect.arrayContaining([
        'EMONEY_LIMITS_ENABLED must be true or false (got "maybe")',
        expect.stringContaining('EMONEY_MAX_BALANCE_UNREGISTERED must be a whole number'),
        expect.stringContaining('EMONEY_MAX_BALANCE_REGISTERED must be a whole number'),
        expect.stringContaining('EMONEY_MONTHLY_INCOMING_LIMIT must be a whole number'),
        'EMONEY_DEFAULT_ACCOUNT_LEVEL must be UNREGISTERED or REGISTERED (got "PREMIUM")',
        expect.stringContaining('"DOKU_WALLET:robot" must be <channel>:<caller>'),
        'EMONEY_CHANNEL_LIMITS: "DANA:user".perDay must be a whole number of at least 1',
        expect.stringContaining('"DANA:user" has an unknown field "perWeek"'),
        expect.stringContaining('"TOP_UP:service" must be an object'),
      ]),
    );
    expect(problems).toHaveLength(9);
    expect(problemsOf({ EMONEY_CHANNEL_LIMITS: '{not json' })).toEqual([expect.stringContaining('EMONEY_CHANNEL_LIMITS must be JSON')]);
  });

  it('can be switched off', () => {
    expect(load({ EMONEY_LIMITS_ENABLED: 'false' }).limits.enabled).toBe(false);
  });
});
