/**
 * DOKU's timestamps (X-TIMESTAMP and the body's date fields): RFC 3339 date-times, with `T` and an
 * offset (`Z` or ±hh:mm), seconds required, a fraction optional. DOKU's examples use
 * `2024-05-21T10:15:30+07:00`; its own libraries also send `Z` and milliseconds. Anything else,
 * including a date that does not exist (2024-02-30), is not a timestamp: `Date.parse` alone would
 * roll it over to another day.
 */
const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?(?:([Zz])|([+-])(\d{2}):(\d{2}))$/;

/** Epoch milliseconds, or null when `value` is not an RFC 3339 date-time. */
export function parseDokuTimestamp(value: unknown): number | null {
  if (typeof value !== 'string') return null;
  const m = RFC3339.exec(value);
  if (!m) return null;
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  if (month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || second > 60) return null;
  // RFC 3339 allows a leap second (:60); it is read as the last second of that minute.
  const utc = Date.UTC(year, month - 1, day, hour, minute, Math.min(second, 59));
  const date = new Date(utc);
  if (date.getUTCFullYear() !== year || date.getUTCMonth() !== month - 1 || date.getUTCDate() !== day) return null;
  let offsetMinutes = 0;
  if (!m[8]) {
    const oh = Number(m[10]);
    const om = Number(m[11]);
    if (oh > 23 || om > 59) return null;
    offsetMinutes = (m[9] === '-' ? -1 : 1) * (oh * 60 + om);
  }
  const millis = m[7] ? Math.floor(Number(`0${m[7]}`) * 1000) : 0;
  return utc + millis - offsetMinutes * 60_000;
}
