import type { DokuEndpointName } from './doku-endpoints';
import type { DokuOutcomeKind } from './doku-response-codes';

/**
 * What `DokuClient` needs from the rest of the application. The client only sees these
 * interfaces; the B2B token source is implemented and provided by `src/auth-token/`
 * (`AuthTokenModule`, under `B2B_TOKEN_SOURCE`), the others inside this folder.
 */

/**
 * The process-wide, fleet-wide B2B token ("latest token wins": one token per client id, shared by
 * every instance, refreshed single-flight; docs/doku-integration.md#b2b-token).
 */
export interface B2bTokenSource {
  /** A valid B2B access token, without `Bearer `. */
  getToken(): Promise<string>;
  /**
   * Marks `token` as rejected by DOKU (`401xx01`/`401xx03`). Implementations drop it only if it is
   * still the current one, so concurrent callers do not throw away a token someone already renewed.
   */
  invalidate(token: string): Promise<void>;
}

/**
 * Supplies X-EXTERNAL-ID values: numeric strings of at most 32 digits, unique per partner per
 * Asia/Jakarta day across all instances (docs/doku-integration.md#x-external-id). A new one is taken
 * for every HTTP attempt.
 */
export interface ExternalIdGenerator {
  next(): Promise<string>;
}

/** The non-SNAP calls recorded beside the SNAP ones (src/integrations/doku-checkout). */
export type NonSnapEndpointName = 'checkoutPayment' | 'checkoutStatus';

/** One HTTP exchange with DOKU, bodies already redacted by `redactForRecord`. */
export interface DokuExchange {
  endpoint: DokuEndpointName | NonSnapEndpointName;
  method: 'POST' | 'GET';
  path: string;
  /** Absent on token calls, which carry no X-EXTERNAL-ID. */
  externalId: string | undefined;
  /** The business reference DOKU deduplicates on (partnerReferenceNo, partnerRefundNo, ...). */
  partnerReference: string | undefined;
  /** 1 for the first attempt, 2 for the one retry after an invalid B2B token. */
  attempt: number;
  startedAt: Date;
  durationMs: number;
  /** Absent when no HTTP answer arrived. */
  httpStatus: number | undefined;
  responseCode: string | undefined;
  outcome: DokuOutcomeKind | 'TIMEOUT' | 'TRANSPORT_ERROR';
  replayed: boolean;
  requestBody: unknown;
  responseBody: unknown;
}

/** Stores or logs each exchange, one record per HTTP attempt. Failures are logged, not thrown to callers. */
export interface ExchangeRecorder {
  record(exchange: DokuExchange): Promise<void>;
}

/** Injection tokens for wiring the ports in a Nest module. */
/** The B2B token source, provided by the module that owns the tokens (`AuthTokenModule`). */
export const B2B_TOKEN_SOURCE = Symbol('B2B_TOKEN_SOURCE');
export const DOKU_EXTERNAL_ID_GENERATOR = Symbol('DOKU_EXTERNAL_ID_GENERATOR');
export const DOKU_EXCHANGE_RECORDER = Symbol('DOKU_EXCHANGE_RECORDER');
