import { Agent, request } from 'undici';
import { Tally } from './harness';

export interface RawResponse {
  status: number;
  headers: Record<string, string>;
  text: string;
  /**
   * The parsed body, or undefined when it is not JSON. Untyped on purpose: this is where the
   * server's answers enter the tests, which assert on their shape field by field.
   */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the untyped JSON boundary of the tests
  json: any;
}

export interface SendOptions {
  headers?: Record<string, string>;
  /** An object or array is sent as JSON; a string or Buffer is sent as is. */
  body?: unknown;
  /** Content-Type for a string/Buffer body (JSON bodies default to application/json). */
  contentType?: string;
  token?: string;
  idempotencyKey?: string;
}

/**
 * The battery's HTTP client: real HTTP to the app on 127.0.0.1 only, every request bounded in
 * time, every answer counted (requests, statuses, 5xx), and every answer offered to observers (R8
 * scans them for canaries).
 */
export class BatteryHttp {
  readonly statuses = new Tally();
  requests = 0;
  serverErrors = 0;
  private readonly observers: Array<(method: string, path: string, res: RawResponse) => void> = [];
  private readonly agent: Agent;

  constructor(
    readonly baseUrl: string,
    connections = 128,
  ) {
    const host = new URL(baseUrl).hostname;
    if (host !== '127.0.0.1') throw new Error(`battery traffic goes to 127.0.0.1 only, not ${host}`);
    this.agent = new Agent({ connections, headersTimeout: 60_000, bodyTimeout: 60_000, keepAliveTimeout: 4_000 });
  }

  observe(observer: (method: string, path: string, res: RawResponse) => void): void {
    this.observers.push(observer);
  }

  async send(method: string, path: string, options: SendOptions = {}): Promise<RawResponse> {
    if (!path.startsWith('/')) throw new Error(`path must start with /: ${path}`);
    const headers: Record<string, string> = { ...(options.headers ?? {}) };
    if (options.token) headers.authorization = `Bearer ${options.token}`;
    if (options.idempotencyKey !== undefined) headers['idempotency-key'] = options.idempotencyKey;
    let body: string | Buffer | undefined;
    if (options.body !== undefined) {
      if (typeof options.body === 'string' || Buffer.isBuffer(options.body)) {
        body = options.body;
        if (options.contentType !== undefined) headers['content-type'] = options.contentType;
      } else {
        body = JSON.stringify(options.body);
        headers['content-type'] = options.contentType ?? 'application/json';
      }
    }
    this.requests++;
    const res = await request(`${this.baseUrl}${path}`, {
      method: method as 'GET',
      headers,
      body,
      dispatcher: this.agent,
      signal: AbortSignal.timeout(60_000),
    });
    const text = await res.body.text();
    const flat: Record<string, string> = {};
    for (const [k, v] of Object.entries(res.headers)) if (v !== undefined) flat[k] = Array.isArray(v) ? v.join(', ') : v;
    let json: unknown;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      json = undefined;
    }
    const out: RawResponse = { status: res.statusCode, headers: flat, text, json };
    this.statuses.add(String(res.statusCode));
    if (res.statusCode >= 500) this.serverErrors++;
    for (const o of this.observers) o(method, path, out);
    return out;
  }

  get(path: string, token?: string): Promise<RawResponse> {
    return this.send('GET', path, { token });
  }

  post(path: string, body: unknown, token?: string, idempotencyKey?: string): Promise<RawResponse> {
    return this.send('POST', path, { body, token, idempotencyKey });
  }

  close(): Promise<void> {
    return this.agent.close();
  }
}

/** The stable error body of this API: `{"error":{"code","message","requestId"}}` (details optional). */
/**
 * The OAuth2 token endpoint's error body (RFC 6749 §5.2): `error` one of the RFC's codes (or
 * `temporarily_unavailable` / `server_error`), a description, and our request id.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function isOAuthErrorBody(json: any): boolean {
  const codes = [
    'invalid_request',
    'invalid_client',
    'invalid_grant',
    'unauthorized_client',
    'unsupported_grant_type',
    'invalid_scope',
    'temporarily_unavailable',
    'server_error',
  ];
  return (
    !!json &&
    typeof json === 'object' &&
    codes.includes(json.error) &&
    typeof json.error_description === 'string' &&
    json.error_description.length > 0 &&
    Object.keys(json).every((k) => ['error', 'error_description', 'error_uri', 'request_id'].includes(k))
  );
}

/** The routes that answer errors in RFC 6749's format instead of the API's. */
export const OAUTH_ROUTES = new Set(['POST /v1/oauth/token']);

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- takes RawResponse.json as it comes
export function isStableErrorBody(json: any): boolean {
  const e = json?.error;
  return (
    !!e &&
    typeof e === 'object' &&
    typeof e.code === 'string' &&
    /^[A-Z0-9_]+\.[A-Z0-9_]+$/.test(e.code) &&
    typeof e.message === 'string' &&
    e.message.length > 0 &&
    typeof e.requestId === 'string' &&
    e.requestId.length > 0 &&
    Object.keys(json).length === 1 &&
    Object.keys(e).every((k) => ['code', 'message', 'requestId', 'details'].includes(k))
  );
}
