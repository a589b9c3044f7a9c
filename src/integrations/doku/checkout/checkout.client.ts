import { Logger } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { Pool } from 'undici';
import { redactForRecord } from '../snap/doku-redaction';
import type { DokuExchange, ExchangeRecorder } from '../snap/doku.ports';
import { parseUtcTimestamp, utcTimestamp, nonSnapSignature, verifyNonSnapSignature } from './checkout-signature';
import type { CheckoutPaymentResponse, CheckoutResultEnvelope } from './checkout-wire.types';
import type { CheckoutCallName, CheckoutFailureKind } from './checkout.errors';
import { CheckoutCallError } from './checkout.errors';
import type { CheckoutOrder, CheckoutOutcome, CheckoutStarted } from './checkout.mapper';
import { toCheckoutOutcome, toCheckoutPaymentRequest, toCheckoutStarted } from './checkout.mapper';

export const CHECKOUT_PAYMENT_PATH = '/dokuwallet-emoney/v1/payment';
export const CHECKOUT_STATUS_PATH = '/orders/v1/status';

export interface CheckoutClientConfig {
  /** Scheme and host only. */
  baseUrl: string;
  /** Client-Id from DOKU's back office. */
  clientId: string;
  /** The non-SNAP secret key: signs our requests, checks DOKU's answers and notifications. */
  secretKey: string;
  timeoutMs: number;
  connectTimeoutMs: number;
  maxResponseBytes: number;
  poolConnections: number;
  /** Path overrides, like the SNAP endpoint map's. */
  paymentPath?: string;
  statusPath?: string;
}

export interface CheckoutClientPorts {
  /** Stores each exchange, redacted; optional. */
  recorder?: ExchangeRecorder;
  now?: () => Date;
}

export interface CheckoutResult<T> {
  body: T;
  httpStatus: number;
  /** DOKU's 409 replay of the first answer to the same Request-Id and body. */
  replayed: boolean;
  requestId: string;
  durationMs: number;
}

interface RawAnswer {
  httpStatus: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  durationMs: number;
}

const logger = new Logger('DokuCheckoutClient');
const SAFE_PATH = /^\/(?:[A-Za-z0-9\-_~.]+\/)*[A-Za-z0-9\-_~.]+$/;
const REQUEST_ID = /^[\x21-\x7e]{1,128}$/;
const NOT_SENT = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'UND_ERR_CONNECT_TIMEOUT']);

/**
 * The DOKU e-Wallet checkout, DOKU's non-SNAP API (docs/channels.md#doku-e-wallet-checkout), apart
 * from the SNAP client on purpose: other headers, another signature, no tokens, no response codes.
 *
 * Every request is signed with the non-SNAP scheme over the exact bytes sent, and every answer is
 * believed only when its `Signature` (over `Response-Timestamp` and the answer's bytes), `Client-Id`
 * and `Request-Id` check out. A retry must reuse the Request-Id and the order: DOKU then answers
 * 409 with the first answer, read here as that answer.
 */
export class DokuCheckoutClient {
  private readonly pool: Pool;
  private readonly now: () => Date;
  private readonly paymentPath: string;
  private readonly statusPath: string;

  constructor(
    private readonly config: CheckoutClientConfig,
    private readonly ports: CheckoutClientPorts = {},
  ) {
    if (!config.clientId || !config.secretKey) throw new RangeError('DOKU checkout client id and secret key are required');
    const url = new URL(config.baseUrl);
    if (!['http:', 'https:'].includes(url.protocol) || url.pathname !== '/' || url.search || url.username) {
      throw new RangeError('DOKU checkout base URL must be scheme and host only');
    }
    this.paymentPath = config.paymentPath ?? CHECKOUT_PAYMENT_PATH;
    this.statusPath = config.statusPath ?? CHECKOUT_STATUS_PATH;
    for (const path of [this.paymentPath, this.statusPath]) if (!SAFE_PATH.test(path)) throw new RangeError(`unsafe checkout path ${path}`);
    this.pool = new Pool(url.origin, {
      connections: config.poolConnections,
      connect: { timeout: config.connectTimeoutMs },
      headersTimeout: config.timeoutMs,
      bodyTimeout: config.timeoutMs,
      maxResponseSize: config.maxResponseBytes,
    });
    this.now = ports.now ?? (() => new Date());
  }

  /** A fresh Request-Id (UUID v4): store it with the order before `createPayment`, reuse it on retry. */
  newRequestId(): string {
    return randomUUID();
  }

  async close(): Promise<void> {
    await this.pool.close();
  }

  /** Creates the order; the answer's page URL is where the customer pays. */
  async createPayment(order: CheckoutOrder, requestId: string): Promise<CheckoutResult<CheckoutStarted>> {
    const request = toCheckoutPaymentRequest(order);
    const body = JSON.stringify(request);
    const answer = await this.send('checkoutPayment', 'POST', this.paymentPath, requestId, body, request, order.invoiceNumber);
    const started =
      answer.httpStatus === 200 || answer.httpStatus === 409 ? toCheckoutStarted(parse<CheckoutPaymentResponse>(answer.text)) : undefined;
    if (started)
      return {
        body: started,
        httpStatus: answer.httpStatus,
        replayed: answer.httpStatus === 409,
        requestId,
        durationMs: answer.durationMs,
      };
    throw new CheckoutCallError('checkoutPayment', failureKind('checkoutPayment', answer.httpStatus), answer.httpStatus, requestId);
  }

  /** What DOKU says of an order (`GET …/{invoice_number}`, signed without a Digest). */
  async status(invoiceNumber: string): Promise<CheckoutResult<CheckoutOutcome>> {
    const requestId = this.newRequestId();
    const path = `${this.statusPath}/${encodeURIComponent(invoiceNumber)}`;
    const answer = await this.send('checkoutStatus', 'GET', path, requestId, undefined, undefined, invoiceNumber);
    const envelope = answer.httpStatus === 200 ? parse<CheckoutResultEnvelope>(answer.text) : undefined;
    if (envelope) return { body: toCheckoutOutcome(envelope), httpStatus: 200, replayed: false, requestId, durationMs: answer.durationMs };
    throw new CheckoutCallError('checkoutStatus', failureKind('checkoutStatus', answer.httpStatus), answer.httpStatus, requestId);
  }

  private async send(
    call: CheckoutCallName,
    method: 'POST' | 'GET',
    path: string,
    requestId: string,
    body: string | undefined,
    request: unknown,
    invoiceNumber: string,
  ): Promise<RawAnswer> {
    if (!REQUEST_ID.test(requestId)) throw new RangeError('Request-Id must be 1 to 128 printable characters');
    const timestamp = utcTimestamp(this.now());
    const headers: Record<string, string> = {
      'Client-Id': this.config.clientId,
      'Request-Id': requestId,
      'Request-Timestamp': timestamp,
      Signature: nonSnapSignature({ clientId: this.config.clientId, requestId, timestamp, target: path, body }, this.config.secretKey),
    };
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    const startedAt = this.now();
    const started = performance.now();
    const record = (httpStatus: number | undefined, outcome: DokuExchange['outcome'], responseBody: unknown) =>
      this.record({
        endpoint: call,
        method,
        path: call === 'checkoutStatus' ? this.statusPath : path,
        externalId: undefined,
        partnerReference: invoiceNumber,
        attempt: 1,
        startedAt,
        durationMs: Math.round((performance.now() - started) * 1000) / 1000,
        httpStatus,
        responseCode: undefined,
        outcome,
        replayed: httpStatus === 409,
        requestBody: request === undefined ? undefined : redactForRecord(request),
        responseBody: redactForRecord(responseBody),
      });

    let answer: RawAnswer;
    const deadline = new AbortController();
    const timer = setTimeout(() => deadline.abort(), this.config.timeoutMs);
    try {
      const response = await this.pool.request({ method, path, headers, body, signal: deadline.signal });
      const text = await response.body.text();
      answer = {
        httpStatus: response.statusCode,
        headers: response.headers,
        text,
        durationMs: Math.round((performance.now() - started) * 1000) / 1000,
      };
    } catch (error) {
      const code = (error as { code?: unknown } | null)?.code;
      const sent = !(typeof code === 'string' && NOT_SENT.has(code));
      await record(
        undefined,
        deadline.signal.aborted || code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT' ? 'TIMEOUT' : 'TRANSPORT_ERROR',
        undefined,
      );
      throw new CheckoutCallError(call, 'UNKNOWN', undefined, requestId, sent);
    } finally {
      clearTimeout(timer);
    }

    // An answer is believed only with DOKU's signature over its exact bytes (docs/channels.md#doku-e-wallet-checkout).
    if (answer.httpStatus === 200 || answer.httpStatus === 409) {
      if (!this.answerSigned(answer, requestId, path)) {
        await record(answer.httpStatus, 'INVALID_SIGNATURE', undefined);
        throw new CheckoutCallError(call, 'RESPONSE_SIGNATURE_INVALID', answer.httpStatus, requestId);
      }
    }
    const parsed = parse<Record<string, unknown>>(answer.text);
    await record(answer.httpStatus, answer.httpStatus === 200 ? 'SUCCESS' : kindToOutcome(failureKind(call, answer.httpStatus)), parsed);
    return answer;
  }

  private answerSigned(answer: RawAnswer, requestId: string, path: string): boolean {
    const header = (name: string): string | undefined => {
      const v = answer.headers[name.toLowerCase()];
      return Array.isArray(v) ? v[0] : v;
    };
    const timestamp = header('Response-Timestamp');
    if (header('Client-Id') !== this.config.clientId || header('Request-Id') !== requestId) return false;
    if (timestamp === undefined || parseUtcTimestamp(timestamp) === undefined) return false;
    return verifyNonSnapSignature(
      { clientId: this.config.clientId, requestId, timestamp, timestampName: 'Response-Timestamp', target: path, body: answer.text },
      this.config.secretKey,
      header('Signature'),
    );
  }

  private async record(exchange: DokuExchange): Promise<void> {
    if (!this.ports.recorder) return;
    try {
      await this.ports.recorder.record(exchange);
    } catch (error) {
      logger.warn(`Could not record DOKU checkout exchange ${exchange.endpoint}: ${(error as Error).message}`);
    }
  }
}

function failureKind(call: CheckoutCallName, httpStatus: number): CheckoutFailureKind {
  if (httpStatus === 401) return 'REQUEST_SIGNATURE_REFUSED';
  if (httpStatus === 404 && call === 'checkoutStatus') return 'NOT_FOUND';
  if (httpStatus === 409) return 'DUPLICATE';
  if (httpStatus >= 400 && httpStatus < 500 && httpStatus !== 408 && httpStatus !== 429) return 'REJECTED';
  return 'UNKNOWN';
}

function kindToOutcome(kind: CheckoutFailureKind): DokuExchange['outcome'] {
  switch (kind) {
    case 'REJECTED':
      return 'REJECTED';
    case 'REQUEST_SIGNATURE_REFUSED':
    case 'RESPONSE_SIGNATURE_INVALID':
      return 'INVALID_SIGNATURE';
    case 'NOT_FOUND':
      return 'NOT_FOUND';
    case 'DUPLICATE':
      return 'DUPLICATE_REFERENCE';
    default:
      return 'UNKNOWN';
  }
}

function parse<T>(text: string): T | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as T) : undefined;
  } catch {
    return undefined;
  }
}
