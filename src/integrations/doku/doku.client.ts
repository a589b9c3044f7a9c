import { Logger } from '@nestjs/common';
import { KeyObject } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { DokuEndpoint, DokuEndpointMap, DokuEndpointName, resolveEndpoints, ResponseCodeOverrides } from './doku-endpoints';
import { classifyResponse, DokuClassification } from './doku-response-codes';
import { redactForRecord } from './doku-redaction';
import { jakartaTimestamp, parsePrivateKey, symmetricSignature, tokenSignature } from './doku-signature';
import { DokuHttpResult, DokuTransport } from './doku-transport';
import { DokuWireMap } from './doku-wire.types';
import { DokuErrorContext, DokuResponseError, DokuTimeoutError, DokuTransportError } from './doku.errors';
import { B2bTokenProvider, DokuExchange, ExchangeRecorder, ExternalIdGenerator } from './doku.ports';

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
  tokens: B2bTokenProvider;
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
  /** True when DOKU replayed the answer to an earlier identical request with HTTP 409 (§5.1). */
  replayed: boolean;
  /** X-EXTERNAL-ID of the attempt that succeeded; undefined on token calls. */
  externalId: string | undefined;
  durationMs: number;
}

/** Options of a call that creates a money operation at DOKU. */
export interface MoneyCallOptions {
  /** X-EXTERNAL-ID of the first attempt, from `newExternalId()` and stored before the call. */
  externalId?: string;
}

type Req<N extends DokuEndpointName> = DokuWireMap[N]['request'];
type Res<N extends DokuEndpointName> = DokuResult<DokuWireMap[N]['response']>;

const logger = new Logger('DokuClient');

// Numeric, at most 32 digits (§2.6, §5.1).
const EXTERNAL_ID = /^[0-9]{1,32}$/;
// A token goes into a header and into the string to sign: refuse anything that could split either.
const TOKEN_TEXT = /^[\x21-\x7e]+$/;

/**
 * The one way to reach DOKU Wallet SNAP (STYLE.md shape 3): one typed method per endpoint of
 * wallet-snap-api.md §3.0.
 *
 * Every method signs and sends exactly one JSON string, records each HTTP attempt through the
 * `ExchangeRecorder` (redacted), and either returns the endpoint's success or throws:
 * - `DokuResponseError`: DOKU answered something else; `kind` and `code` (`DOKU.*`) say what;
 * - `DokuTimeoutError` / `DokuTransportError`: no usable answer.
 * Check `outcomeUnknown` on any of them before deciding a money operation failed (§5.6).
 *
 * On `401xx01`/`401xx03` (invalid B2B token) the call is retried once with a fresh token, a new
 * X-EXTERNAL-ID and a new X-TIMESTAMP (§5.7); the body, and so the business reference, is unchanged.
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
    // Parsed once: re-parsing the PEM per token call triples its cost (ECOSYSTEM.md).
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

  // ---- Tokens (§2.3, §2.4): RSA-signed, no B2B token, no X-EXTERNAL-ID ----

  /** §2.3: a new B2B token. DOKU revokes the previous one ("latest token wins"): call it from the token provider only. */
  b2bToken(): Promise<Res<'b2bToken'>> {
    return this.callTokenEndpoint('b2bToken', { grantType: 'client_credentials' });
  }

  /** §2.4: a customer token from an authCode (binding redirect or decrypted Query Account Binding) or a refresh token. */
  b2b2cToken(request: Req<'b2b2cToken'>): Promise<Res<'b2b2cToken'>> {
    return this.callTokenEndpoint('b2b2cToken', request);
  }

  // ---- Account (§3.3-§3.9) ----

  /** §3.3 Account Creation (06). */
  accountCreation(request: Req<'accountCreation'>): Promise<Res<'accountCreation'>> {
    return this.call('accountCreation', request, undefined);
  }

  /** §3.4 Verify OTP (04). */
  verifyOtp(request: Req<'verifyOtp'>): Promise<Res<'verifyOtp'>> {
    return this.call('verifyOtp', request, undefined);
  }

  /** §3.5 Request OTP (81), path inferred. */
  requestOtp(request: Req<'requestOtp'>): Promise<Res<'requestOtp'>> {
    return this.call('requestOtp', request, undefined);
  }

  /** §3.6 Account Binding (07). */
  accountBinding(request: Req<'accountBinding'>): Promise<Res<'accountBinding'>> {
    return this.call('accountBinding', request, undefined);
  }

  /** §3.7 Query Account Binding (08); decrypt `additionalInfo.authCode` with `decryptAuthCode`. */
  queryAccountBinding(request: Req<'queryAccountBinding'>): Promise<Res<'queryAccountBinding'>> {
    return this.call('queryAccountBinding', request, undefined);
  }

  /** §3.8 Account Unbinding (09), path inferred. */
  accountUnbinding(request: Req<'accountUnbinding'>): Promise<Res<'accountUnbinding'>> {
    return this.call('accountUnbinding', request, undefined);
  }

  /** §3.9 Balance Inquiry (11), customer-scoped. */
  balanceInquiry(customerToken: string, request: Req<'balanceInquiry'>): Promise<Res<'balanceInquiry'>> {
    return this.call('balanceInquiry', request, customerToken);
  }

  // ---- Transfer to bank (§3.10, §3.11) ----

  /** §3.10 Transfer Bank Account Inquiry (42). */
  transferBankInquiry(request: Req<'transferBankInquiry'>): Promise<Res<'transferBankInquiry'>> {
    return this.call('transferBankInquiry', request, undefined);
  }

  /** §3.11 Transfer Bank Account Payment (43), moves money, customer-scoped. */
  transferBankPayment(customerToken: string, request: Req<'transferBankPayment'>, options?: MoneyCallOptions): Promise<Res<'transferBankPayment'>> {
    return this.call('transferBankPayment', request, customerToken, options?.externalId);
  }

  // ---- Top up (§3.12-§3.14), paths inferred ----

  /** §3.12 Account Inquiry Top Up (37). */
  topUpInquiry(request: Req<'topUpInquiry'>): Promise<Res<'topUpInquiry'>> {
    return this.call('topUpInquiry', request, undefined);
  }

  /** §3.13 Account Top Up (38), moves money. */
  topUp(request: Req<'topUp'>, options?: MoneyCallOptions): Promise<Res<'topUp'>> {
    return this.call('topUp', request, undefined, options?.externalId);
  }

  /** §3.14 Query Top Up (39); map `latestTransactionStatus` with `mapTransactionStatus`. */
  queryTopUp(request: Req<'queryTopUp'>): Promise<Res<'queryTopUp'>> {
    return this.call('queryTopUp', request, undefined);
  }

  // ---- Auth payment (§3.15), paths inferred ----

  /** §3.15 Auth Payment (63), places a hold. */
  authPayment(customerToken: string, request: Req<'authPayment'>): Promise<Res<'authPayment'>> {
    return this.call('authPayment', request, customerToken);
  }

  /** §3.15 Capture Payment (65). */
  capturePayment(customerToken: string, request: Req<'capturePayment'>): Promise<Res<'capturePayment'>> {
    return this.call('capturePayment', request, customerToken);
  }

  /** §3.15 Void Auth Payment (67). */
  voidAuthPayment(customerToken: string, request: Req<'voidAuthPayment'>): Promise<Res<'voidAuthPayment'>> {
    return this.call('voidAuthPayment', request, customerToken);
  }

  // ---- Purchase (§3.16-§3.19), paths inferred ----

  /** §3.16 Purchase Web (54): returns `webRedirectUrl` for the PIN page. */
  purchaseWeb(customerToken: string, request: Req<'purchaseWeb'>, options?: MoneyCallOptions): Promise<Res<'purchaseWeb'>> {
    return this.call('purchaseWeb', request, customerToken, options?.externalId);
  }

  /** §3.17 Query Purchase (55). */
  queryPurchase(request: Req<'queryPurchase'>): Promise<Res<'queryPurchase'>> {
    return this.call('queryPurchase', request, undefined);
  }

  /** §3.18 Cancel Purchase (57). */
  cancelPurchase(request: Req<'cancelPurchase'>, options?: MoneyCallOptions): Promise<Res<'cancelPurchase'>> {
    return this.call('cancelPurchase', request, undefined, options?.externalId);
  }

  /** §3.19 Refund Purchase (58); `partnerRefundNo` is the idempotency key. */
  refundPurchase(request: Req<'refundPurchase'>, options?: MoneyCallOptions): Promise<Res<'refundPurchase'>> {
    return this.call('refundPurchase', request, undefined, options?.externalId);
  }

  // ---- Transaction history (§3.20, §3.21), paths inferred ----

  /** §3.20 Transaction History List (12), customer-scoped. */
  transactionHistoryList(customerToken: string, request: Req<'transactionHistoryList'>): Promise<Res<'transactionHistoryList'>> {
    return this.call('transactionHistoryList', request, customerToken);
  }

  /** §3.21 Transaction History Detail (13), customer-scoped. */
  transactionHistoryDetail(
    customerToken: string,
    request: Req<'transactionHistoryDetail'>,
  ): Promise<Res<'transactionHistoryDetail'>> {
    return this.call('transactionHistoryDetail', request, customerToken);
  }

  // ---- Internals ----

  private async call<N extends DokuEndpointName>(
    name: N,
    request: Req<N>,
    customerToken: string | undefined,
    firstExternalId?: string,
  ): Promise<Res<N>> {
    const endpoint = this.endpoints[name];
    if (endpoint.customerToken && (customerToken === undefined || !TOKEN_TEXT.test(customerToken))) {
      throw new RangeError(`${name} needs a customer (B2B2C) token`);
    }
    // Serialised once; this exact string is hashed, signed and sent (§2.10).
    const body = JSON.stringify(request);
    let token = await this.ports.tokens.getToken();
    for (let attempt = 1; ; attempt++) {
      if (!TOKEN_TEXT.test(token)) throw new RangeError('B2B token provider returned an unusable token');
      // The caller may have chosen (and stored) the first attempt's id; a retry always takes a new one.
      const externalId = attempt === 1 && firstExternalId !== undefined ? firstExternalId : await this.ports.externalIds.next();
      if (!EXTERNAL_ID.test(externalId)) throw new RangeError('X-EXTERNAL-ID must be 1 to 32 digits (§5.1)');
      const timestamp = jakartaTimestamp(this.now());
      const headers: Record<string, string> = {
        'Content-Type': 'application/json',
        Authorization: `Bearer ${token}`,
        'X-TIMESTAMP': timestamp,
        // Signed with the B2B token even on customer-scoped calls (§2.5, §2.9.2).
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
      };
      if (endpoint.customerToken) headers['Authorization-Customer'] = `Bearer ${customerToken}`;

      const result = await this.exchange(endpoint, request, body, headers, { endpoint: name, externalId }, attempt);
      const verdict = classifyResponse(endpoint, result.httpStatus, result.responseCode);
      await this.record(endpoint, request, { endpoint: name, externalId }, attempt, result, verdict);

      if (verdict.kind === 'SUCCESS') return this.success<N>(result, verdict, externalId);
      if (verdict.kind === 'INVALID_B2B_TOKEN' && attempt === 1) {
        // The request was refused at authentication, so nothing was applied: safe to resend (§5.7).
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
      logger.warn(
        `Could not record DOKU exchange ${exchange.endpoint} ${exchange.externalId ?? ''}: ${(error as Error).message}`,
      );
    }
  }

  private success<N extends DokuEndpointName>(
    result: DokuHttpResult,
    verdict: DokuClassification,
    externalId: string | undefined,
  ): Res<N> {
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

/** The business reference DOKU deduplicates the request on (§5.2), for the exchange record. */
function partnerReferenceOf(request: unknown): string | undefined {
  if (request === null || typeof request !== 'object') return undefined;
  const fields = request as Record<string, unknown>;
  for (const key of REFERENCE_FIELDS) {
    const value = fields[key];
    if (typeof value === 'string' && value.length > 0) return value;
  }
  return undefined;
}
