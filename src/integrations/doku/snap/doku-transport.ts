import { performance } from 'node:perf_hooks';
import { Pool } from 'undici';
import type { DokuErrorContext } from './doku.errors';
import { DokuTimeoutError, DokuTransportError } from './doku.errors';

export interface DokuTransportConfig {
  /** Scheme and host only, e.g. `https://api-sandbox.doku.com` (docs/doku-integration.md#base-url-and-paths). */
  baseUrl: string;
  /** Whole-exchange budget: time to response headers, and between body chunks, and overall. */
  timeoutMs: number;
  connectTimeoutMs: number;
  /** Responses larger than this are aborted: DOKU's answers are a few kilobytes. */
  maxResponseBytes: number;
  poolConnections: number;
}

export interface DokuHttpRequest {
  path: string;
  headers: Record<string, string>;
  /** Sent byte for byte: it is the string the signature was computed over. */
  body: string;
  context?: DokuErrorContext;
}

export interface DokuHttpResult {
  httpStatus: number;
  /** The SNAP responseCode as a string, when the body had one (numbers are stringified). */
  responseCode: string | undefined;
  /** The parsed JSON object, or undefined when the body was not a JSON object. */
  body: Record<string, unknown> | undefined;
  durationMs: number;
}

// Errors raised before any byte of the request could reach DOKU.
const NOT_SENT_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'UND_ERR_CONNECT_TIMEOUT']);

function errorCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/**
 * The one HTTP transport to DOKU: an undici keep-alive `Pool` (5-7x faster than axios here,
 * docs/reliability.md#measured-costs). POST only, no redirects (undici's `request` never follows them; a 3xx comes back as an
 * answer without a SNAP code and is read as outcome unknown), a timeout on every phase and a cap
 * on response size. A timeout or broken connection is thrown as `DokuTimeoutError` /
 * `DokuTransportError`, distinct from any answer DOKU gives.
 */
export class DokuTransport {
  private readonly pool: Pool;

  constructor(private readonly config: DokuTransportConfig) {
    const url = new URL(config.baseUrl);
    if (!['http:', 'https:'].includes(url.protocol)) throw new RangeError('DOKU base URL must be http(s)');
    // Signed paths are the request paths: a base path prefix would make them disagree.
    if (url.pathname !== '/' || url.search || url.hash || url.username || url.password) {
      throw new RangeError('DOKU base URL must be scheme and host only; put paths in the endpoint overrides');
    }
    for (const [name, value] of Object.entries({
      timeoutMs: config.timeoutMs,
      connectTimeoutMs: config.connectTimeoutMs,
      maxResponseBytes: config.maxResponseBytes,
      poolConnections: config.poolConnections,
    })) {
      if (!Number.isSafeInteger(value) || value <= 0) throw new RangeError(`DOKU ${name} must be a positive integer`);
    }
    this.pool = new Pool(url.origin, {
      connections: config.poolConnections,
      pipelining: 1,
      keepAliveTimeout: 30_000,
      connect: { timeout: config.connectTimeoutMs },
      headersTimeout: config.timeoutMs,
      bodyTimeout: config.timeoutMs,
      maxResponseSize: config.maxResponseBytes,
    });
  }

  async post(request: DokuHttpRequest): Promise<DokuHttpResult> {
    const started = performance.now();
    const deadline = new AbortController();
    const timer = setTimeout(() => deadline.abort(), this.config.timeoutMs);
    try {
      const response = await this.pool.request({
        method: 'POST',
        path: request.path,
        headers: request.headers,
        body: request.body,
        headersTimeout: this.config.timeoutMs,
        bodyTimeout: this.config.timeoutMs,
        signal: deadline.signal,
      });
      const declared = Number(response.headers['content-length']);
      if (Number.isFinite(declared) && declared > this.config.maxResponseBytes) {
        response.body.destroy();
        throw new DokuTransportError(request.context, 'RESPONSE_TOO_LARGE', true);
      }
      // The pool's maxResponseSize aborts a body that grows past the cap while it streams in
      // (UND_ERR_RES_EXCEEDED_MAX_SIZE, translated below), so the body can be read in one go.
      const body = parseJsonObject(await response.body.text());
      const rawCode = body?.responseCode;
      return {
        httpStatus: response.statusCode,
        responseCode: typeof rawCode === 'string' ? rawCode : typeof rawCode === 'number' ? String(rawCode) : undefined,
        body,
        durationMs: Math.round((performance.now() - started) * 1000) / 1000,
      };
    } catch (error) {
      throw this.translate(error, request.context, deadline.signal.aborted);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Closes the pool's sockets; in-flight requests finish first. */
  async close(): Promise<void> {
    await this.pool.close();
  }

  private translate(error: unknown, context: DokuErrorContext | undefined, deadlinePassed: boolean): Error {
    if (error instanceof DokuTransportError || error instanceof DokuTimeoutError) return error;
    const code = errorCode(error);
    if (code === 'UND_ERR_HEADERS_TIMEOUT') return new DokuTimeoutError(context, 'headers', error);
    if (code === 'UND_ERR_BODY_TIMEOUT') return new DokuTimeoutError(context, 'body', error);
    if (deadlinePassed) return new DokuTimeoutError(context, 'deadline', error);
    if (code === 'UND_ERR_RES_EXCEEDED_MAX_SIZE') {
      return new DokuTransportError(context, 'RESPONSE_TOO_LARGE', true, error);
    }
    if (code !== undefined && NOT_SENT_CODES.has(code)) {
      return new DokuTransportError(context, 'CONNECT_FAILED', false, error);
    }
    if (code?.startsWith('HPE_')) return new DokuTransportError(context, 'PROTOCOL', true, error);
    return new DokuTransportError(context, 'CONNECTION_LOST', true, error);
  }
}

function parseJsonObject(text: string): Record<string, unknown> | undefined {
  if (text.length === 0) return undefined;
  try {
    const parsed: unknown = JSON.parse(text);
    return parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}
