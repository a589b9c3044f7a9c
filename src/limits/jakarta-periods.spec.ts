import { jakartaPeriods } from './jakarta-periods';

describe('jakartaPeriods', () => {
  it('a month ends at midnight in Jakarta, 17:00 UTC of its last day', () => {
    expect(jakartaPeriods(new Date('2026-11-30T16:59:59.999Z'))).toEqual({ day: '2026-11-30', hour: '2026-11-30T23', month: '2026-11' });
    expect(jakartaPeriods(new Date('2026-11-30T17:00:00.000Z'))).toEqual({ day: '2026-12-01', hour: '2026-12-01T00', month: '2026-12' });
  });

  it('a year ends the same way', () => {
    expect(jakartaPeriods(new Date('2026-12-31T16:59:59Z')).month).toBe('2026-12');
    expect(jakartaPeriods(new Date('2026-12-31T17:00:00Z')).month).toBe('2027-01');
  });

  it('an afternoon in UTC is the same Jakarta day until 17:00', () => {
    expect(jakartaPeriods(new Date('2026-12-04T00:00:00Z')).day).toBe('2026-12-04');
    expect(jakartaPeriods(new Date('2026-12-03T23:59:00Z')).day).toBe('2026-12-04');
  });
});
