/**
 * Headers that authenticate a delivery (DOKU's token, its signatures in either channel's header,
 * any cookie): never stored with a notification, since they are of no use once it is verified.
 */
const SECRET_HEADERS = new Set(['authorization', 'authorization-customer', 'x-signature', 'signature', 'cookie']);

/** A notification's headers as stored: lower-case names, repeated values joined, the secret ones left out. */
export function storableHeaders(headers: Readonly<Record<string, string | string[] | undefined>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    const lower = name.toLowerCase();
    if (SECRET_HEADERS.has(lower) || value === undefined) continue;
    out[lower] = Array.isArray(value) ? value.join(', ') : value;
  }
  return out;
}
