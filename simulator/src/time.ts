/** Time helpers. DOKU's wire format is ISO-8601 in Asia/Jakarta (UTC+7, no DST), docs/doku-integration.md#timestamp-format. */

const JAKARTA_OFFSET_MS = 7 * 3600 * 1000;
const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?([Zz]|[+-]\d{2}:\d{2})$/;

/** Parses any RFC 3339 timestamp (with or without fraction, `Z` or `±hh:mm`); null when invalid. */
export function parseRfc3339(value: string): number | null {
  const m = RFC3339.exec(value);
  if (!m) return null;
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60) return null;
  const utc = Date.UTC(year, month - 1, day, hour, minute, Math.min(second, 59));
  const check = new Date(utc);
  if (check.getUTCDate() !== day || check.getUTCMonth() !== month - 1) return null;
  const fraction = m[7] ? Math.floor(Number(`0${m[7]}`) * 1000) : 0;
  const zone = m[8];
  let offset = 0;
  if (zone !== 'Z' && zone !== 'z') {
    const sign = zone.startsWith('-') ? -1 : 1;
    const oh = Number(zone.slice(1, 3));
    const om = Number(zone.slice(4, 6));
    if (oh > 23 || om > 59) return null;
    offset = sign * (oh * 60 + om) * 60_000;
  }
  return utc + fraction - offset;
}

const pad = (n: number, w = 2): string => String(n).padStart(w, '0');

/** `YYYY-MM-DDTHH:mm:ss+07:00`. */
export function toJakartaIso(ms: number): string {
  const d = new Date(Math.floor(ms / 1000) * 1000 + JAKARTA_OFFSET_MS);
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}T${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}+07:00`;
}

/** The Jakarta calendar day, `YYYY-MM-DD`: the scope of X-EXTERNAL-ID uniqueness. */
export function jakartaDay(ms: number): string {
  return toJakartaIso(ms).slice(0, 10);
}

/** `YYYYMMDD` of the Jakarta day, used inside reference numbers. */
export function jakartaCompactDate(ms: number): string {
  return jakartaDay(ms).replace(/-/g, '');
}
