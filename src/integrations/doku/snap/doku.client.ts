import { Logger } from '@nestjs/common';
import type { KeyObject } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { DokuEndpoint, DokuEndpointMap, DokuEndpointName, ResponseCodeOverrides } from './doku-endpoints';
import { resolveEndpoints } from './doku-endpoints';
import type { DokuClassification } from './doku-response-codes';
import { classifyResponse } from './doku-response-codes';
import { redactForRecord } from './doku-redaction';
import { jakartaTimestamp, parsePrivateKey, symmetricSignature, tokenSignature } from './doku-signature';
import type { DokuHttpResult } from './doku-transport';
import { DokuTransport } from './doku-transport';
import type { DokuWireMap } from '../doku-wire-map';
import type { DokuErrorContext } from './doku.errors';
import { DokuResponseError, DokuTimeoutError, DokuTransportError } from './doku.errors';
import type { B2bTokenSource, DokuExchange, ExchangeRecorder, ExternalIdGenerator } from './doku.ports';

/** Everything the client needs from the `doku` config namespace (src/config/config.types.ts). */
export interface DokuClientConfig {
  baseUrl: string;
  clientId: string;
  clientSecret: string;
  privateKeyPem: string;
  timeoutMs: number;
  connectTimeoutMs: number;
  maxResponseBytes: number;
  poolConnections: number;
  pathOverrides: Record<string, string>;
  /** Configured meanings of response codes per endpoint (DOKU_RESPONSE_CODES). */
  responseCodes?: ResponseCodeOverrides;
}

export interface DokuClientPorts {
  tokens: B2bTokenSource;
  externalIds: ExternalIdGenerator;
  recorder: ExchangeRecorder;
}

export interface DokuClientOptions {
  /** Clock for X-TIMESTAMP; tests pin it. */
  now?: () => Date;
}

/** A successful answer: only the endpoint's own `200xx00` (or DOKU's 409 replay of it) gets here. */
export interface DokuResult<T> {
  body: T;
  responseCode: string;
  httpStatus: number;
  /** True when DOKU replayed the answer to an earlier identical request with HTTP 409 (docs/doku-integration.md#x-external-id). */
  replayed: boolean;
  /** X-EXTERNAL-ID of the attempt that succeeded; undefined on token calls. */
  externalId: string | undefined;
  durationMs: number;
}

/**
 * The same result with its body read into our own type: how the product facades (`*.facade.ts`)
 * hand DOKU's answers to the features, through the mappers (`*.mapper.ts`).
 */
export function mapResult<T, U>(result: DokuResult<T>, read: (body: T) => U): DokuResult<U> {
  return { ...result, body: read(result.body) };
}

/** Options of a call that creates a money operation at DOKU. */
export interface MoneyCallOptions {
  /** X-EXTERNAL-ID of the first attempt, from `newExternalId()` and stored before the call. */
  externalId?: string;
}

/**
 * The customer's device, as some channels ask for it per request (docs/channels.md#headers):
 * `X-DEVICE-ID` (letters and digits only) and, when known, `X-IP-ADDRESS` (IPv4). Not signed.
 */
export interface DeviceHeaders {
  deviceId: string;
  ipAddress?: string;
}

const DEVICE_ID = /^[A-Za-z0-9]{1,64}$/;
const IPV4 = /^(?:(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])\.){3}(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])$/;

/** The two headers, checked: a symbol in the device id or a malformed address never reaches DOKU. */
export function deviceHeaderFields(device: DeviceHeaders): Record<string, string> {
  if (!DEVICE_ID.test(device.deviceId)) throw new RangeError('X-DEVICE-ID must be 1 to 64 letters and digits');
  if (device.ipAddress !== undefined && !IPV4.test(device.ipAddress)) throw new RangeError('X-IP-ADDRESS must be an IPv4 address');
  return { 'X-DEVICE-ID': device.deviceId, ...(device.ipAddress !== undefined ? { 'X-IP-ADDRESS': device.ipAddress } : {}) };
}

type Req<N extends DokuEndpointName> = DokuWireMap[N]['request'];
type Res<N extends DokuEndpointName> = DokuResult<DokuWireMap[N]['response']>;

const logger = new Logger('DokuClient');

// Numeric, at most 32 digits (docs/doku-integration.md#x-external-id).
const EXTERNAL_ID = /^[0-9]{1,32}$/;
// A token goes into a header and into the string to sign: refuse anything that could split either.
const TOKEN_TEXT = /^[\x21-\x7e]+$/;

/**
 * The one way to reach DOKU Wallet SNAP (docs/ARCHITECTURE.md#conventions): one typed method per
 * endpoint of docs/doku-integration.md#endpoint-map.
 *
 * Every method signs and sends exactly one JSON string, records each HTTP attempt through the
 * `ExchangeRecorder` (redacted), and either returns the endpoint's success or throws:
 * - `DokuResponseError`: DOKU answered something else; `kind` and `code` (`DOKU.*`) say what;
 * - `DokuTimeoutError` / `DokuTransportError`: no usable answer.
 * Check `outcomeUnknown` on any of them before deciding a money operation failed
 * (docs/doku-integration.md#uncertain-outcomes).
 *
 * On `401xx01`/`401xx03` (invalid B2B token) the call is retried once with a fresh token, a new
 * X-EXTERNAL-ID and a new X-TIMESTAMP (docs/doku-integration.md#refused-tokens); the body, and so the
 * business reference, is unchanged.
 * Amounts in requests are built with `toSnapMoney` from `doku-mapper.ts`.
 */
export class DokuClient {
  private readonly endpoints: DokuEndpointMap;
  private readonly privateKey: KeyObject;
  private readonly transport: DokuTransport;
  private readonly now: () => Date;

  constructor(
    private readonly config: DokuClientConfig,
    private readonly ports: DokuClientPorts,
    options: DokuClientOptions = {},
  ) {
    if (!config.clientId || !config.clientSecret) throw new RangeError('DOKU client id and secret are required');
    this.endpoints = resolveEndpoints(config.pathOverrides, config.responseCodes);
    // Parsed once: re-parsing the PEM per token call triples its cost (docs/reliability.md#measured-costs).
    this.privateKey = parsePrivateKey(config.privateKeyPem);
    // Only what the transport needs: the secret and the key stay in this class.
    this.transport = new DokuTransport({
      baseUrl: config.baseUrl,
      timeoutMs: config.timeoutMs,
      connectTimeoutMs: config.connectTimeoutMs,
      maxResponseBytes: config.maxResponseBytes,
      poolConnections: config.poolConnections,
    });
    this.now = options.now ?? (() => new Date());
  }

  /** Closes the HTTP pool (call from `onModuleDestroy`). */
  async close(): Promise<void> {
    await this.transport.close();
  }

  /**
   * A fresh X-EXTERNAL-ID, for a money operation to store in its commit 1 and pass as
   * `MoneyCallOptions.externalId`: DOKU's later requests name the operation by it.
   */
  newExternalId(): Promise<string> {
    return this.ports.externalIds.next();
  }

  // ---- Tokens: RSA-signed, no B2B token, no X-EXTERNAL-ID (docs/doku-integration.md#b2b-token) ----

  /** A new B2B token. DOKU revokes the previous one ("latest token wins"): call it from the token provider only. */
  b2bToken(): Promise<Res<'b2bToken'>> {
    return this.callTokenEndpoint('b2bToken', { grantType: 'client_credentials' });
  }

  /** A customer token from an authCode (binding redirect or decrypted Query Account Binding) or a refresh token. */
  b2b2cToken(request: Req<'b2b2cToken'>): Promise<Res<'b2b2cToken'>> {
    return this.callTokenEndpoint('b2b2cToken', request);
  }

  // ---- Account: registration, binding, unbinding, balance (docs/doku-integration.md#flows) ----

  /** Account Creation (06). */
  accountCreation(request: Req<'accountCreation'>): Promise<Res<'accountCreation'>> {
    return this.call('accountCreation', request, undefined);
  }

  /** Verify OTP (04). */
  verifyOtp(request: Req<'verifyOtp'>): Promise<Res<'verifyOtp'>> {
    return this.call('verifyOtp', request, undefined);
  }

  /** Request OTP (81), path inferred. */
  requestOtp(request: Req<'requestOtp'>): Promise<Res<'requestOtp'>> {
    return this.call('requestOtp', request, undefined);
  }

  /** Account Binding (07). */
  accountBinding(request: Req<'accountBinding'>): Promise<Res<'accountBinding'>> {
    return this.call('accountBinding', request, undefined);
  }

  /** Query Account Binding (08); decrypt `additionalInfo.authCode` with `decryptAuthCode`. */
  queryAccountBinding(request: Req<'queryAccountBinding'>): Promise<Res<'queryAccountBinding'>> {
    return this.call('queryAccountBinding', request, undefined);
  }

  /** Account Unbinding (09), path inferred. */
  accountUnbinding(request: Req<'accountUnbinding'>): Promise<Res<'accountUnbinding'>> {
    return this.call('accountUnbinding', request, undefined);
  }

  /** Balance Inquiry (11), customer-scoped. */
  balanceInquiry(customerToken: string, request: Req<'balanceInquiry'>): Promise<Res<'balanceInquiry'>> {
    return this.call('balanceInquiry', request, customerToken);
  }

  // ---- Transfer to bank (docs/doku-integration.md#bank-transfer) ----

  /** Transfer Bank Account Inquiry (42). */
  transferBankInquiry(request: Req<'transferBankInquiry'>): Promise<Res<'transferBankInquiry'>> {
    return this.call('transferBankInquiry', request, undefined);
  }

  /** Transfer Bank Account Payment (43), moves money, customer-scoped. */
  transferBankPayment(
    customerToken: string,
    request: Req<'transferBankPayment'>,
    options?: MoneyCallOptions,
  ): Promise<Res<'transferBankPayment'>> {
    return this.call('transferBankPayment', request, customerToken, options?.externalId);
  }

  // ---- Top up (docs/doku-integration.md#top-up), paths inferred ----

  /** Account Inquiry Top Up (37). */
  topUpInquiry(request: Req<'topUpInquiry'>): Promise<Res<'topUpInquiry'>> {
    return this.call('topUpInquiry', request, undefined);
  }

  /** Account Top Up (38), moves money. */
  topUp(request: Req<'topUp'>, options?: MoneyCallOptions): Promise<Res<'topUp'>> {
    return this.call('topUp', request, undefined, options?.externalId);
  }

  /** Query Top Up (39); map `latestTransactionStatus` with `mapTransactionStatus`. */
  queryTopUp(request: Req<'queryTopUp'>): Promise<Res<'queryTopUp'>> {
    return this.call('queryTopUp', request, undefined);
  }

  // ---- Auth payment (docs/doku-integration.md#auth-capture-and-void), paths inferred ----

  /** Auth Payment (63), places a hold. */
  authPayment(customerToken: string, request: Req<'authPayment'>): Promise<Res<'authPayment'>> {
    return this.call('authPayment', request, customerToken);
  }

  /** Capture Payment (65). */
  capturePayment(customerToken: string, request: Req<'capturePayment'>): Promise<Res<'capturePayment'>> {
    return this.call('capturePayment', request, customerToken);
  }

  /** Void Auth Payment (67). */
  voidAuthPayment(customerToken: string, request: Req<'voidAuthPayment'>): Promise<Res<'voidAuthPayment'>> {
    return this.call('voidAuthPayment', request, customerToken);
  }

  // ---- Purchase, cancel, refund (docs/doku-integration.md#purchase), paths inferred ----

  /** Purchase Web (54): returns `webRedirectUrl` for the PIN page. */
  purchaseWeb(customerToken: string, request: Req<'purchaseWeb'>, options?: MoneyCallOptions): Promise<Res<'purchaseWeb'>> {
    return this.call('purchaseWeb', request, customerToken, options?.externalId);
  }

  /** Query Purchase (55). */
  queryPurchase(request: Req<'queryPurchase'>): Promise<Res<'queryPurchase'>> {
    return this.call('queryPurchase', request, undefined);
  }

  /** Cancel Purchase (57). */
  cancelPurchase(request: Req<'cancelPurchase'>, options?: MoneyCallOptions): Promise<Res<'cancelPurchase'>> {
    return this.call('cancelPurchase', request, undefined, options?.externalId);
  }

  /** Refund Purchase (58); `partnerRefundNo` is the idempotency key. */
  refundPurchase(request: Req<'refundPurchase'>, options?: MoneyCallOptions): Promise<Res<'refundPurchase'>> {
    return this.call('refundPurchase', request, undefined, options?.externalId);
  }

  // ---- Transaction history (docs/doku-integration.md#history), paths inferred ----

  /** Transaction History List (12), customer-scoped. */
  transactionHistoryList(customerToken: string, request: Req<'transactionHistoryList'>): Promise<Res<'transactionHistoryList'>> {
    return this.call('transactionHistoryList', request, customerToken);
  }

  /** Transaction History Detail (13), customer-scoped. */
  transactionHistoryDetail(customerToken: string, request: Req<'transactionHistoryDetail'>): Promise<Res<'transactionHistoryDetail'>> {
    return this.call('transactionHistoryDetail', request, customerToken);
  }

  // ---- KKI card, host to host (docs/channels.md#kki-card-host-to-host) ----

  /** KKI payment with the card's DOKU token or CPAN and the customer's OTP; customer-scoped. */
  kkiPayment(customerToken: string, request: Req<'kkiPayment'>, options?: MoneyCallOptions): Promise<Res<'kkiPayment'>> {
    return this.call('kkiPayment', request, customerToken, options?.externalId);
  }

  /** KKI online refund, full or partial; `partnerRefundNo` (at most 12 characters) is the idempotency key. */
  kkiRefund(request: Req<'kkiRefund'>, options?: MoneyCallOptions): Promise<Res<'kkiRefund'>> {
    return this.call('kkiRefund', request, undefined, options?.externalId);
  }

  /** Status of a KKI payment, with its refunds. */
  kkiStatus(request: Req<'kkiStatus'>): Promise<Res<'kkiStatus'>> {
    return this.call('kkiStatus', request, undefined);
  }

  // ---- DANA one-time payment (docs/channels.md#dana-one-time-payment-jump-app), B2B token only ----

  /** DANA payment (54): answers `webRedirectUrl`, where the customer approves in DANA. */
  async danaPayment(request: Req<'danaPayment'>, device: DeviceHeaders, options?: MoneyCallOptions): Promise<Res<'danaPayment'>> {
    return this.call('danaPayment', request, undefined, options?.externalId, deviceHeaderFields(device));
  }

  /** DANA refund (58); `partnerRefundNo` is the idempotency key. */
  async danaRefund(request: Req<'danaRefund'>, device: DeviceHeaders, options?: MoneyCallOptions): Promise<Res<'danaRefund'>> {
    return this.call('danaRefund', request, undefined, options?.externalId, deviceHeaderFields(device));
  }

  /** DANA status query (55); map `latestTransactionStatus` with `mapTransactionStatus`. */
  danaStatus(request: Req<'danaStatus'>): Promise<Res<'danaStatus'>> {
    return this.call('danaStatus', request, undefined);
  }

  // ---- Internals ----

  private async call<N extends DokuEndpointName>(
    name: N,
    request: Req<N>,
    customerToken: string | undefined,
    firstExternalId?: string,
    extraHeaders: Record<string, string> = {},
  ): Promise<Res<N>> {
    const endpoint = this.endpoints[name];
    if (endpoint.customerToken && (customerToken === undefined || !TOKEN_TEXT.test(customerToken))) {
      throw new RangeError(`${name} needs a customer (B2B2C) token`);
    }
    // Serialised once; this exact string is hashed, signed and sent (docs/doku-integration.md#symmetric-signature).
    const body = JSON.stringify(request);
    let token = await this.ports.tokens.getToken();
    for (let attempt = 1; ; attempt++) {
      if (!TOKEN_TEXT.test(token)) throw new RangeError('B2B token provider returned an unusable token');
      // The caller may have chosen (and stored) the first attempt's id; a retry always takes a new one.
      const externalId = attempt === 1 && firstExternalId !== undefined ? firstExternalId : await this.ports.externalIds.next();
      if (!EXTERNAL_ID.test(externalId)) throw new RangeError('X-EXTERNAL-ID must be 1 to 32 digits');
      const timestamp = jakartaTimestamp(this.now());
      const headers: Record<string, string> = {
        'Content-Type': 'application/json',
        Authorization: `Bearer ${token}`,
        'X-TIMESTAMP': timestamp,
        // Signed with the B2B token even on customer-scoped calls (docs/doku-integration.md#symmetric-signature).
        'X-SIGNATURE': symmetricSignature({
          method: 'POST',
          path: endpoint.path,
          accessToken: token,
          body,
          timestamp,
          clientSecret: this.config.clientSecret,
        }),
        'X-PARTNER-ID': this.config.clientId,
        'X-EXTERNAL-ID': externalId,
        ...extraHeaders,
      };
      if (endpoint.customerToken) headers['Authorization-Customer'] = `Bearer ${customerToken}`;

      const result = await this.exchange(endpoint, request, body, headers, { endpoint: name, externalId }, attempt);
      const verdict = classifyResponse(endpoint, result.httpStatus, result.responseCode);
      await this.record(endpoint, request, { endpoint: name, externalId }, attempt, result, verdict);

      if (verdict.kind === 'SUCCESS') return this.success<N>(result, verdict, externalId);
      if (verdict.kind === 'INVALID_B2B_TOKEN' && attempt === 1) {
        // The request was refused at authentication, so nothing was applied: safe to resend
        // (docs/doku-integration.md#refused-tokens).
        await this.ports.tokens.invalidate(token);
        token = await this.ports.tokens.getToken();
        continue;
      }
      throw this.failure(result, verdict, { endpoint: name, externalId });
    }
  }

  private async callTokenEndpoint<N extends 'b2bToken' | 'b2b2cToken'>(name: N, request: Req<N>): Promise<Res<N>> {
    const endpoint = this.endpoints[name];
    const timestamp = jakartaTimestamp(this.now());
    const headers = {
      'Content-Type': 'application/json',
      'X-CLIENT-KEY': this.config.clientId,
      'X-TIMESTAMP': timestamp,
      'X-SIGNATURE': tokenSignature(this.config.clientId, timestamp, this.privateKey),
    };
    const body = JSON.stringify(request);
    const context: DokuErrorContext = { endpoint: name };
    const result = await this.exchange(endpoint, request, body, headers, context, 1);
    const verdict = classifyResponse(endpoint, result.httpStatus, result.responseCode);
    await this.record(endpoint, request, context, 1, result, verdict);
    if (verdict.kind === 'SUCCESS') return this.success<N>(result, verdict, undefined);
    throw this.failure(result, verdict, context);
  }

  /** Sends one attempt; records and rethrows a timeout or transport failure. */
  private async exchange(
    endpoint: DokuEndpoint,
    request: unknown,
    body: string,
    headers: Record<string, string>,
    context: DokuErrorContext,
    attempt: number,
  ): Promise<DokuHttpResult> {
    const startedAt = this.now();
    const started = performance.now();
    try {
      return await this.transport.post({ path: endpoint.path, headers, body, context });
    } catch (error) {
      const outcome = error instanceof DokuTimeoutError ? 'TIMEOUT' : 'TRANSPORT_ERROR';
      await this.save({
        endpoint: endpoint.name,
        method: 'POST',
        path: endpoint.path,
        externalId: context.externalId,
        partnerReference: partnerReferenceOf(request),
        attempt,
        startedAt,
        durationMs: Math.round((performance.now() - started) * 1000) / 1000,
        httpStatus: undefined,
        responseCode: undefined,
        outcome,
        replayed: false,
        requestBody: redactForRecord(request),
        responseBody: undefined,
      });
      if (error instanceof DokuTimeoutError || error instanceof DokuTransportError) throw error;
      throw new DokuTransportError(context, 'CONNECTION_LOST', true, error);
    }
  }

  private async record(
    endpoint: DokuEndpoint,
    request: unknown,
    context: DokuErrorContext,
    attempt: number,
    result: DokuHttpResult,
    verdict: DokuClassification,
  ): Promise<void> {
    await this.save({
      endpoint: endpoint.name,
      method: 'POST',
      path: endpoint.path,
      externalId: context.externalId,
      partnerReference: partnerReferenceOf(request),
      attempt,
      startedAt: new Date(this.now().getTime() - result.durationMs),
      durationMs: result.durationMs,
      httpStatus: result.httpStatus,
      responseCode: result.responseCode,
      outcome: verdict.kind,
      replayed: verdict.replayed,
      requestBody: redactForRecord(request),
      responseBody: redactForRecord(result.body),
    });
  }

  private async save(exchange: DokuExchange): Promise<void> {
    try {
      await this.ports.recorder.record(exchange);
    } catch (error) {
      // Losing a record must not lose DOKU's answer: a debit that happened has to reach the caller.
      logger.warn(`Could not record DOKU exchange ${exchange.endpoint} ${exchange.externalId ?? ''}: ${(error as Error).message}`);
    }
  }

  private success<N extends DokuEndpointName>(result: DokuHttpResult, verdict: DokuClassification, externalId: string | undefined): Res<N> {
    return {
      body: result.body as unknown as DokuWireMap[N]['response'],
      responseCode: verdict.parsed?.raw ?? '',
      httpStatus: result.httpStatus,
      replayed: verdict.replayed,
      externalId,
      durationMs: result.durationMs,
    };
  }

  private failure(result: DokuHttpResult, verdict: DokuClassification, context: DokuErrorContext): DokuResponseError {
    const message = result.body?.responseMessage;
    return new DokuResponseError(
      verdict.errorCode ?? 'DOKU.OUTCOME_UNKNOWN',
      verdict.kind,
      verdict.outcomeUnknown,
      verdict.parsed?.raw ?? result.responseCode?.slice(0, 16),
      result.httpStatus,
      verdict.replayed,
      context,
      typeof message === 'string' ? message.slice(0, 150) : undefined,
    );
  }
}

const REFERENCE_FIELDS = [
  'partnerReferenceNo',
  'partnerRefundNo',
  'partnerCaptureNo',
  'partnerVoidNo',
  'originalPartnerReferenceNo',
] as const;

/** The business reference DOKU deduplicates the request on (docs/doku-integration.md#business-references), for the exchange record. */
function partnerReferenceOf(request: unknown): string | undefined {
  if (request === null || typeof request !== 'object') return undefined;
  const fields = request as Record<string, unknown>;
  for (const key of REFERENCE_FIELDS) {
    const value = fields[key];
    if (typeof value === 'string' && value.length > 0) return value;
  }
  return undefined;
}
