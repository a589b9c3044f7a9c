import type { IncomingMessage, ServerResponse } from 'node:http';
import type { HelmetOptions } from 'helmet';
import helmet from 'helmet';

/**
 * The headers Helmet sets with these options, read once at start-up by running Helmet against a
 * response that only records them. With fixed directives Helmet sets the same values on every
 * response; run per request, its chain of a dozen middlewares set each header on Node's response
 * one by one, which also took the response off Node's fast path for writing the head (every header
 * of the reply is then set and checked one by one again). The values are sent as the reply's own
 * headers instead (bootstrap.ts). Helmet's removal of X-Powered-By is left out: nothing here sets it.
 *
 * A directive computed per request (a function, e.g. a nonce) cannot be read once: refused.
 */
export function securityHeaders(options: HelmetOptions): Record<string, string> {
  const csp = options.contentSecurityPolicy;
  const directives = typeof csp === 'object' && csp.directives ? Object.values(csp.directives) : [];
  if (directives.some((d) => typeof d === 'function' || (Array.isArray(d) && d.some((e) => typeof e === 'function')))) {
    throw new Error('securityHeaders: a Content-Security-Policy directive computed per request needs Helmet on every request');
  }
  const headers: Record<string, string> = {};
  const recorder = {
    setHeader(name: string, value: string | number | readonly string[]): void {
      headers[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : String(value);
    },
    removeHeader(): void {},
  };
  let failure: unknown;
  helmet(options)({} as IncomingMessage, recorder as unknown as ServerResponse, (error?: unknown) => {
    failure = error;
  });
  if (failure) throw failure instanceof Error ? failure : new Error('Helmet refused its options');
  return headers;
}
