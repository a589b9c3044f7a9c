/**
 * Finding and removing one person's data inside stored JSON and text (docs/privacy.md#erasure).
 * Two rules, applied together: a field whose name says it holds personal data (a name, an email,
 * a phone number, a device id, an IP address, a bank account holder) loses its value whoever it
 * belongs to, and any text that contains one of the person's own values (their name, email or
 * phone number, wherever it was typed) has that value cut out. Replacements are a fixed marker, so
 * nothing of the original can be recovered from them.
 */

export const ERASED = '[erased]';

/** Field names whose values are personal data in any record we keep. */
const PERSONAL_KEY =
  /^(name|fullname|customername|beneficiaryname|beneficiaryaccountname|accountname|email|phone|phoneno|mobilenumber|customernumber|customernumbermasked|deviceid|x-device-id|ipaddress|x-ip-address|address)$/i;

/** Values shorter than this are not searched for inside text: too likely to match something else. */
const MIN_SEARCHED_LENGTH = 4;

/** The person's own values, searched for inside free text: distinct, long enough, longest first. */
export function searchableValues(values: ReadonlyArray<string | null | undefined>): string[] {
  const distinct = new Set<string>();
  for (const v of values) {
    const trimmed = v?.trim();
    if (trimmed && trimmed.length >= MIN_SEARCHED_LENGTH && trimmed !== ERASED) distinct.add(trimmed);
  }
  return [...distinct].sort((a, b) => b.length - a.length);
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** `text` with every occurrence of the person's values (case-insensitive) replaced by the marker. */
export function scrubText(text: string, values: readonly string[]): string {
  let out = text;
  for (const v of values) out = out.replace(new RegExp(escapeRegExp(v), 'gi'), ERASED);
  return out;
}

/** Whether `text` contains any of the person's values (case-insensitive). */
export function containsAny(text: string, values: readonly string[]): boolean {
  const lower = text.toLowerCase();
  return values.some((v) => lower.includes(v.toLowerCase()));
}

/**
 * A copy of a JSON value with personal fields and the person's values removed, and whether
 * anything changed. Structure, numbers, booleans and every other string stay as they were, so
 * amounts, references, dates and statuses inside a record are kept.
 */
export function scrubJson(value: unknown, values: readonly string[]): { value: unknown; changed: boolean } {
  let changed = false;
  const walk = (v: unknown, key: string, depth: number): unknown => {
    if (depth > 32) return v;
    if (typeof v === 'string') {
      if (PERSONAL_KEY.test(key) && v !== '' && v !== ERASED) {
        changed = true;
        return ERASED;
      }
      const scrubbed = scrubText(v, values);
      if (scrubbed !== v) changed = true;
      return scrubbed;
    }
    if (typeof v === 'number' && PERSONAL_KEY.test(key)) {
      changed = true;
      return ERASED;
    }
    if (Array.isArray(v)) return v.map((item) => walk(item, key, depth + 1));
    if (v !== null && typeof v === 'object') {
      return Object.fromEntries(Object.entries(v as Record<string, unknown>).map(([k, item]) => [k, walk(item, k, depth + 1)]));
    }
    return v;
  };
  const out = walk(value, '', 0);
  return { value: out, changed };
}
