import { isSensitiveKey } from '../common/logging/redaction';

/**
 * A notification's headers as stored: lower-case names, repeated values joined, and every header the
 * project's one list of sensitive names covers left out (common/logging/redaction.ts: DOKU's token,
 * its signatures in either channel's header, any cookie or API key). They are of no use once the
 * delivery is verified, and a stored record never holds a credential.
 */
export function storableHeaders(headers: Readonly<Record<string, string | string[] | undefined>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined || isSensitiveKey(name)) continue;
    out[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value;
  }
  return out;
}
