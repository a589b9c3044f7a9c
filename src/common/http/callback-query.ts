/** A browser redirect's query as Fastify parsed it. */
export type RawCallbackQuery = Record<string, string | string[] | undefined>;

/**
 * The parameters of a browser redirect from DOKU, with a query DOKU appended to ours merged in.
 *
 * The redirect URLs we give DOKU carry our own reference (`?ref=…`). DOKU appends its parameters
 * (`authCode`, `status`, …); should it append them with a second `?` rather than `&`, the parser
 * reads `ref=BIND-1?authCode=abc` as one value. Each value is cut at its first `?` and what follows
 * is read as further parameters, never overriding one already present. A repeated parameter is
 * ambiguous and left out.
 */
export function callbackParams(query: RawCallbackQuery): Record<string, string> {
  const params: Record<string, string> = {};
  const appended: [string, string][] = [];
  for (const [key, raw] of Object.entries(query)) {
    if (typeof raw !== 'string') continue;
    const value = raw;
    const cut = value.indexOf('?');
    params[key] = cut < 0 ? value : value.slice(0, cut);
    if (cut >= 0) appended.push(...new URLSearchParams(value.slice(cut + 1)).entries());
  }
  for (const [key, value] of appended) {
    if (!Object.prototype.hasOwnProperty.call(params, key)) params[key] = value;
  }
  return params;
}
