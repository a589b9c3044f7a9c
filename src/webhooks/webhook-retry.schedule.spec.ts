import { nextDeliveryDelaySeconds, WEBHOOK_RETRY_DELAYS_SECONDS } from './webhook-retry.schedule';

describe('webhook retry schedule', () => {
  it('backs off from seconds to hours, then gives up', () => {
    expect(WEBHOOK_RETRY_DELAYS_SECONDS).toEqual([5, 30, 120, 600, 1800, 3600, 10800, 21600]);
    const middle = WEBHOOK_RETRY_DELAYS_SECONDS.map((_, i) => nextDeliveryDelaySeconds(i + 1, 0.5));
    expect(middle).toEqual(WEBHOOK_RETRY_DELAYS_SECONDS);
    expect(nextDeliveryDelaySeconds(WEBHOOK_RETRY_DELAYS_SECONDS.length + 1, 0.5)).toBeNull();
    expect(nextDeliveryDelaySeconds(0, 0.5)).toBeNull();
  });

  it('spreads each delay by ±20 % jitter', () => {
    expect(nextDeliveryDelaySeconds(1, 0)).toBe(4);
    expect(nextDeliveryDelaySeconds(1, 0.999999)).toBeCloseTo(6, 2);
    expect(nextDeliveryDelaySeconds(8, 0)).toBe(21600 * 0.8);
    const samples = new Set(Array.from({ length: 20 }, () => nextDeliveryDelaySeconds(3)));
    expect(samples.size).toBeGreaterThan(1);
    for (const s of samples) {
      expect(s).toBeGreaterThanOrEqual(96);
      expect(s).toBeLessThanOrEqual(144);
    }
  });
});
