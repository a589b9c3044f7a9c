import { graceStartsAt, longestCallMs } from './not-found-grace';

describe('graceStartsAt: when "not found" starts to count', () => {
  const created = new Date('2026-12-07T10:00:00.000Z');
  const at = (iso: string) => new Date(iso).getTime();
  const bound = longestCallMs(2_000);

  it('bounds one request by four DOKU timeouts', () => {
    expect(longestCallMs(2_000)).toBe(8_000);
    expect(longestCallMs(10_000)).toBe(40_000);
  });

  it("runs from the commit that recorded the call's outcome, however long after the creation", () => {
    const outcome = new Date('2026-12-07T10:05:00.000Z');
    expect(graceStartsAt({ createdAt: created }, outcome, bound)).toBe(outcome.getTime());
  });

  it('without a recorded outcome (the process died during the call): the creation plus the longest call', () => {
    expect(graceStartsAt({ createdAt: created, details: {} }, undefined, bound)).toBe(at('2026-12-07T10:00:08.000Z'));
    expect(graceStartsAt({ createdAt: created, details: null }, undefined, bound)).toBe(at('2026-12-07T10:00:08.000Z'));
  });

  it('never before the last send again started, even when an older outcome is recorded', () => {
    const outcome = new Date('2026-12-07T10:00:03.000Z');
    const details = { lastSentAt: '2026-12-07T10:03:00.123456+00:00', sends: 2 };
    expect(graceStartsAt({ createdAt: created, details }, outcome, bound)).toBe(at('2026-12-07T10:03:00.123Z'));
    // An outcome recorded after the send again (its answer) counts from the outcome.
    const later = new Date('2026-12-07T10:04:00.000Z');
    expect(graceStartsAt({ createdAt: created, details }, later, bound)).toBe(later.getTime());
  });

  it('never before the creation, and an unreadable lastSentAt is ignored', () => {
    const before = new Date('2026-12-07T09:59:00.000Z');
    expect(graceStartsAt({ createdAt: created }, before, bound)).toBe(created.getTime());
    expect(graceStartsAt({ createdAt: created, details: { lastSentAt: 'soon' } }, undefined, bound)).toBe(at('2026-12-07T10:00:08.000Z'));
    expect(graceStartsAt({ createdAt: created, details: { lastSentAt: 42 } }, undefined, bound)).toBe(at('2026-12-07T10:00:08.000Z'));
  });
});
