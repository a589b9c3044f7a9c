/**
 * The periods limits are counted in, on the calendar of Asia/Jakarta (WIB, UTC+7 all year:
 * Indonesia keeps no daylight saving time), as the text keys of `limit_counters`.
 */
export interface LimitPeriods {
  /** `2026-12-04`: the calendar day. */
  day: string;
  /** `2026-12-04T18`: the clock hour. */
  hour: string;
  /** `2026-12`: the calendar month. */
  month: string;
}

const JAKARTA_OFFSET_MS = 7 * 3_600_000;

export function jakartaPeriods(at: Date): LimitPeriods {
  const local = new Date(at.getTime() + JAKARTA_OFFSET_MS).toISOString();
  return { day: local.slice(0, 10), hour: local.slice(0, 13), month: local.slice(0, 7) };
}
