import { Logger } from '@nestjs/common';
import type { ErrorCode } from '../../../common/errors/error-codes';
import type { ResponseCodeTable } from './doku-endpoints';

/**
 * The one table that turns a SNAP `responseCode` and a `latestTransactionStatus` into our outcome
 * kinds, `DOKU.*` error codes and statuses (docs/doku-integration.md#response-codes,
 * docs/doku-response-codes.md). Nothing else in the
 * code base branches on raw SNAP codes.
 */

const logger = new Logger('DokuResponseCodes');

/** `responseCode` = HTTP status (3) + service code (2) + case code (2). */
export interface ParsedResponseCode {
  readonly raw: string;
  readonly httpStatus: number;
  readonly serviceCode: string;
  readonly caseCode: string;
}

/**
 * Parses a responseCode. Some SNAP samples send it as a bare JSON number, so integers are
 * accepted too. Returns undefined for anything that is not exactly seven digits.
 */
export function parseResponseCode(value: unknown): ParsedResponseCode | undefined {
  let raw: string;
  if (typeof value === 'string') raw = value;
  else if (typeof value === 'number' && Number.isSafeInteger(value)) raw = String(value);
  else return undefined;
  if (!/^[1-5][0-9]{6}$/.test(raw)) return undefined;
  return {
    raw,
    httpStatus: Number(raw.slice(0, 3)),
    serviceCode: raw.slice(3, 5),
    caseCode: raw.slice(5, 7),
  };
}

/**
 * What a DOKU answer means for the caller.
 * - SUCCESS: the endpoint's own `200xx00`.
 * - IN_PROGRESS: `202xx00`; accepted, still processing: query for the result.
 * - REJECTED: a definitive decline of this request; nothing was applied.
 * - NOT_FOUND: `404xx01`; for a query, the reference is unknown to DOKU.
 * - INVALID_B2B_TOKEN: `401xx01`/`401xx03`; drop the B2B token, retry once (docs/doku-integration.md#refused-tokens).
 * - INVALID_CUSTOMER_TOKEN: `401xx02`/`401xx04`; re-obtain the customer token.
 * - INVALID_SIGNATURE: `401xx00`; a key or clock problem, never retried.
 * - DUPLICATE_REFERENCE: `409xx01` (or `404xx18`); DOKU already has an operation with this
 *   reference: read its outcome with the status query, never send a new reference
 *   (docs/doku-integration.md#business-references).
 * - DUPLICATE_EXTERNAL_ID: `409xx00`; X-EXTERNAL-ID reused today, this request was not processed.
 * - RATE_LIMITED: `429xx00`, `403xx04`.
 * - UNKNOWN: 5xx, `504xx00`, or an unreadable answer; the outcome is unknown (docs/doku-integration.md#uncertain-outcomes).
 */
export type DokuOutcomeKind =
  | 'SUCCESS'
  | 'IN_PROGRESS'
  | 'REJECTED'
  | 'NOT_FOUND'
  | 'INVALID_B2B_TOKEN'
  | 'INVALID_CUSTOMER_TOKEN'
  | 'INVALID_SIGNATURE'
  | 'DUPLICATE_REFERENCE'
  | 'DUPLICATE_EXTERNAL_ID'
  | 'RATE_LIMITED'
  | 'UNKNOWN';

interface CaseRule {
  readonly kind: DokuOutcomeKind;
  readonly errorCode: ErrorCode;
  readonly meaning: string;
}

const rule = (kind: DokuOutcomeKind, errorCode: ErrorCode, meaning: string): CaseRule => ({ kind, errorCode, meaning });

/** Keyed by `<http status><case code>`: the service code (the "xx" of `400xx01`) is the endpoint's own. */
const CASE_TABLE: Readonly<Record<string, CaseRule>> = {
  '20200': rule('IN_PROGRESS', 'DOKU.OUTCOME_UNKNOWN', 'Request In Progress'),
  '40000': rule('REJECTED', 'DOKU.BAD_REQUEST', 'Bad Request'),
  '40001': rule('REJECTED', 'DOKU.BAD_REQUEST', 'Invalid Field Format'),
  '40002': rule('REJECTED', 'DOKU.BAD_REQUEST', 'Invalid Mandatory Field'),
  '40100': rule('INVALID_SIGNATURE', 'DOKU.INVALID_SIGNATURE', 'Unauthorized'),
  '40101': rule('INVALID_B2B_TOKEN', 'DOKU.INVALID_TOKEN', 'Invalid Token (B2B)'),
  '40102': rule('INVALID_CUSTOMER_TOKEN', 'DOKU.INVALID_CUSTOMER_TOKEN', 'Invalid Customer Token'),
  '40103': rule('INVALID_B2B_TOKEN', 'DOKU.INVALID_TOKEN', 'Token Not Found (B2B)'),
  '40104': rule('INVALID_CUSTOMER_TOKEN', 'DOKU.INVALID_CUSTOMER_TOKEN', 'Customer Token Not Found'),
  '40300': rule('REJECTED', 'DOKU.TRANSACTION_EXPIRED', 'Transaction Expired'),
  '40301': rule('REJECTED', 'DOKU.NOT_PERMITTED', 'Feature Not Allowed'),
  '40302': rule('REJECTED', 'DOKU.LIMIT_EXCEEDED', 'Exceeds Transaction Amount Limit'),
  '40303': rule('REJECTED', 'DOKU.ACCOUNT_RESTRICTED', 'Suspected Fraud'),
  '40304': rule('RATE_LIMITED', 'DOKU.RATE_LIMITED', 'Activity Count Limit Exceeded'),
  '40305': rule('REJECTED', 'DOKU.ACCOUNT_RESTRICTED', 'Do Not Honor'),
  '40306': rule('REJECTED', 'DOKU.NOT_PERMITTED', 'Feature Not Allowed At This Time'),
  '40307': rule('REJECTED', 'DOKU.ACCOUNT_RESTRICTED', 'Card Blocked'),
  '40308': rule('REJECTED', 'DOKU.ACCOUNT_RESTRICTED', 'Card Expired'),
  '40309': rule('REJECTED', 'DOKU.ACCOUNT_RESTRICTED', 'Dormant Account'),
  '40310': rule('REJECTED', 'DOKU.LIMIT_EXCEEDED', 'Need To Set Token Limit'),
  '40311': rule('REJECTED', 'DOKU.OTP_BLOCKED', 'OTP Blocked'),
  '40312': rule('REJECTED', 'DOKU.OTP_EXPIRED', 'OTP Lifetime Expired'),
  '40313': rule('REJECTED', 'DOKU.REJECTED', 'OTP Sent To Cardholder'),
  '40314': rule('REJECTED', 'DOKU.INSUFFICIENT_BALANCE', 'Insufficient Funds'),
  '40315': rule('REJECTED', 'DOKU.NOT_PERMITTED', 'Transaction Not Permitted'),
  '40316': rule('REJECTED', 'DOKU.NOT_PERMITTED', 'Suspend Transaction'),
  '40317': rule('REJECTED', 'DOKU.LIMIT_EXCEEDED', 'Token Limit Exceeded'),
  '40318': rule('REJECTED', 'DOKU.ACCOUNT_RESTRICTED', 'Inactive Card/Account/Customer'),
  '40319': rule('REJECTED', 'DOKU.NOT_PERMITTED', 'Merchant Blacklisted'),
  '40320': rule('REJECTED', 'DOKU.LIMIT_EXCEEDED', 'Merchant Limit Exceed'),
  '40321': rule('REJECTED', 'DOKU.LIMIT_EXCEEDED', 'Set Limit Not Allowed'),
  '40322': rule('REJECTED', 'DOKU.LIMIT_EXCEEDED', 'Token Limit Invalid'),
  '40323': rule('REJECTED', 'DOKU.LIMIT_EXCEEDED', 'Account Limit Exceed'),
  '40400': rule('REJECTED', 'DOKU.INVALID_TRANSACTION_STATUS', 'Invalid Transaction Status'),
  '40401': rule('NOT_FOUND', 'DOKU.NOT_FOUND', 'Transaction Not Found'),
  '40402': rule('REJECTED', 'DOKU.REJECTED', 'Invalid Routing'),
  '40403': rule('REJECTED', 'DOKU.REJECTED', 'Bank Not Supported By Switch'),
  '40404': rule('REJECTED', 'DOKU.INVALID_TRANSACTION_STATUS', 'Transaction Cancelled'),
  '40405': rule('REJECTED', 'DOKU.NOT_PERMITTED', 'Merchant Is Not Registered For Card Registration Services'),
  '40406': rule('REJECTED', 'DOKU.REJECTED', 'Need To Request OTP'),
  '40407': rule('REJECTED', 'DOKU.NOT_FOUND', 'Journey Not Found'),
  '40408': rule('REJECTED', 'DOKU.NOT_PERMITTED', 'Invalid Merchant'),
  '40409': rule('REJECTED', 'DOKU.REJECTED', 'No Issuer'),
  '40410': rule('REJECTED', 'DOKU.OPERATION_NOT_ALLOWED', 'Invalid API Transition'),
  '40411': rule('REJECTED', 'DOKU.INVALID_ACCOUNT', 'Invalid Card/Account/Customer'),
  '40412': rule('REJECTED', 'DOKU.REJECTED', 'Invalid Bill/Virtual Account'),
  '40413': rule('REJECTED', 'DOKU.INVALID_AMOUNT', 'Invalid Amount'),
  '40414': rule('REJECTED', 'DOKU.REJECTED', 'Paid Bill'),
  '40415': rule('REJECTED', 'DOKU.INVALID_OTP', 'Invalid OTP'),
  '40416': rule('REJECTED', 'DOKU.NOT_PERMITTED', 'Partner Not Found'),
  '40417': rule('REJECTED', 'DOKU.REJECTED', 'Invalid Terminal'),
  // Same reference, other parameters. SNAP reads it as success for some services and failure for
  // others; either way an operation with this reference exists at DOKU, so we resolve it with the
  // status query rather than trusting either reading (docs/reliability.md#principles).
  '40418': rule('DUPLICATE_REFERENCE', 'DOKU.INCONSISTENT_REQUEST', 'Inconsistent Request'),
  '40419': rule('REJECTED', 'DOKU.REJECTED', 'Invalid Bill/Virtual Account (expired)'),
  '40500': rule('REJECTED', 'DOKU.OPERATION_NOT_ALLOWED', 'Requested Function Is Not Supported'),
  '40501': rule('REJECTED', 'DOKU.OPERATION_NOT_ALLOWED', 'Requested Operation Is Not Allowed'),
  '40900': rule('DUPLICATE_EXTERNAL_ID', 'DOKU.DUPLICATE_EXTERNAL_ID', 'Conflict (X-EXTERNAL-ID already used today)'),
  '40901': rule('DUPLICATE_REFERENCE', 'DOKU.DUPLICATE_REFERENCE', 'Duplicate partnerReferenceNo'),
  '42900': rule('RATE_LIMITED', 'DOKU.RATE_LIMITED', 'Too Many Requests'),
  '50000': rule('UNKNOWN', 'DOKU.UNAVAILABLE', 'General Error'),
  '50001': rule('UNKNOWN', 'DOKU.UNAVAILABLE', 'Internal Server Error'),
  '50002': rule('UNKNOWN', 'DOKU.UNAVAILABLE', 'External Server Error'),
  '50400': rule('UNKNOWN', 'DOKU.TIMEOUT', 'Timeout'),
};

/** The verdict on one DOKU answer. */
export interface DokuClassification {
  readonly kind: DokuOutcomeKind;
  /** Undefined on SUCCESS; otherwise the `DOKU.*` code the client throws. */
  readonly errorCode: ErrorCode | undefined;
  /**
   * True when DOKU may have applied the operation and we do not know the result: resolve with a
   * status query, never by sending a new reference (docs/doku-integration.md#uncertain-outcomes).
   */
  readonly outcomeUnknown: boolean;
  /** HTTP 409 carrying another code: DOKU's replay of an earlier request's answer (docs/doku-integration.md#x-external-id). */
  readonly replayed: boolean;
  readonly parsed: ParsedResponseCode | undefined;
  readonly meaning: string;
}

export interface ClassifiedEndpoint {
  /** The operation's own table of exact codes (doku-endpoints.ts); it is read before the case table. */
  readonly codes: ResponseCodeTable;
}

const OUTCOME_UNKNOWN_KINDS: ReadonlySet<DokuOutcomeKind> = new Set(['IN_PROGRESS', 'DUPLICATE_REFERENCE', 'UNKNOWN']);

/**
 * Classifies one answer. Branches on the full responseCode and uses the HTTP status only as a
 * fallback, with one exception: HTTP 409 whose body holds a non-409 code is DOKU replaying the
 * answer to an earlier identical request (docs/doku-integration.md#x-external-id), read as that answer.
 */
export function classifyResponse(endpoint: ClassifiedEndpoint, httpStatus: number, responseCode: unknown): DokuClassification {
  const parsed = parseResponseCode(responseCode);
  const replayed = httpStatus === 409 && parsed !== undefined && parsed.httpStatus !== 409;
  const verdict = (kind: DokuOutcomeKind, errorCode: ErrorCode | undefined, meaning: string): DokuClassification => ({
    kind,
    errorCode,
    outcomeUnknown: OUTCOME_UNKNOWN_KINDS.has(kind),
    replayed,
    parsed,
    meaning,
  });

  if (parsed === undefined) {
    // A proxy error page, a redirect, an empty body: DOKU's decision is unknown.
    return verdict('UNKNOWN', httpStatus >= 500 ? 'DOKU.UNAVAILABLE' : 'DOKU.OUTCOME_UNKNOWN', 'No SNAP responseCode');
  }

  const { codes } = endpoint;
  if (codes.success.includes(parsed.raw)) {
    // A success code only counts on a 200, or on a 409 replay of a success.
    if (httpStatus === 200 || replayed) return verdict('SUCCESS', undefined, 'Successful');
    return verdict('UNKNOWN', 'DOKU.OUTCOME_UNKNOWN', `Success code on HTTP ${httpStatus}`);
  }
  if (codes.unknown.includes(parsed.raw)) return verdict('UNKNOWN', 'DOKU.OUTCOME_UNKNOWN', `Code ${parsed.raw} is configured as unknown`);
  if (codes.pending.includes(parsed.raw)) {
    if (httpStatus < 300 || replayed) return verdict('IN_PROGRESS', 'DOKU.OUTCOME_UNKNOWN', 'Request In Progress');
    return verdict('UNKNOWN', 'DOKU.OUTCOME_UNKNOWN', `Pending code on HTTP ${httpStatus}`);
  }
  if (codes.failed.includes(parsed.raw)) {
    const listed = CASE_TABLE[`${parsed.httpStatus}${parsed.caseCode}`];
    const rejected = listed?.kind === 'REJECTED' ? listed : rule('REJECTED', 'DOKU.REJECTED', 'Rejected');
    return verdict('REJECTED', rejected.errorCode, rejected.meaning);
  }
  if (parsed.httpStatus === 200) {
    // 200 for another service or another case: never guess success (docs/ARCHITECTURE.md#conventions).
    return verdict('UNKNOWN', 'DOKU.OUTCOME_UNKNOWN', `Unexpected success code ${parsed.raw}`);
  }
  if (httpStatus >= 500 && parsed.httpStatus < 500) {
    return verdict('UNKNOWN', 'DOKU.UNAVAILABLE', `HTTP ${httpStatus} with code ${parsed.raw}`);
  }

  const known = CASE_TABLE[`${parsed.httpStatus}${parsed.caseCode}`];
  if (known) return verdict(known.kind, known.errorCode, known.meaning);
  if (parsed.httpStatus >= 500) return verdict('UNKNOWN', 'DOKU.UNAVAILABLE', 'Server error');
  if (parsed.httpStatus === 202) return verdict('IN_PROGRESS', 'DOKU.OUTCOME_UNKNOWN', 'Accepted');
  if (parsed.httpStatus >= 400) return verdict('REJECTED', 'DOKU.REJECTED', 'Rejected');
  return verdict('UNKNOWN', 'DOKU.OUTCOME_UNKNOWN', `Unexpected code ${parsed.raw}`);
}

/** Our normalised status of a DOKU transaction. */
export type DokuTransactionStatus = 'SUCCESS' | 'PENDING' | 'FAILED' | 'CANCELED' | 'REFUNDED' | 'NOT_FOUND';

/** `latestTransactionStatus` (docs/doku-integration.md#transaction-statuses); also `refundHistory[].refundStatus` (00/03/06). */
const TRANSACTION_STATUS: Readonly<Record<string, DokuTransactionStatus>> = {
  '00': 'SUCCESS',
  '01': 'PENDING', // Initiated
  '02': 'PENDING', // Paying
  '03': 'PENDING',
  '04': 'REFUNDED',
  '05': 'CANCELED',
  '06': 'FAILED',
  '07': 'NOT_FOUND',
};

/** Word statuses: history list/detail (INIT/SUCCESS/CLOSED/CANCELLED), capture and void (INIT/SUCCESS/FAILED). */
const WORD_STATUS: Readonly<Record<string, DokuTransactionStatus>> = {
  INIT: 'PENDING',
  SUCCESS: 'SUCCESS',
  FAILED: 'FAILED',
  CLOSED: 'FAILED',
  CANCELLED: 'CANCELED',
};

export type UnknownStatusWarning = (message: string) => void;

const warnWithLogger: UnknownStatusWarning = (message) => logger.warn(message);

/**
 * Maps `latestTransactionStatus`. An unknown or missing value is PENDING with a warning, never
 * success: a status query or notification will settle it later.
 */
export function mapTransactionStatus(value: unknown, warn: UnknownStatusWarning = warnWithLogger): DokuTransactionStatus {
  if (typeof value === 'string' && Object.prototype.hasOwnProperty.call(TRANSACTION_STATUS, value)) {
    return TRANSACTION_STATUS[value];
  }
  warn(`Unknown DOKU latestTransactionStatus ${JSON.stringify(value ?? null).slice(0, 20)}; treated as PENDING`);
  return 'PENDING';
}

/** Maps the word statuses of history, capture and void. Unknown: PENDING. */
export function mapWordStatus(value: unknown, warn: UnknownStatusWarning = warnWithLogger): DokuTransactionStatus {
  const key = typeof value === 'string' ? value.toUpperCase() : undefined;
  if (key !== undefined && Object.prototype.hasOwnProperty.call(WORD_STATUS, key)) return WORD_STATUS[key];
  warn(`Unknown DOKU status ${JSON.stringify(value ?? null).slice(0, 20)}; treated as PENDING`);
  return 'PENDING';
}
