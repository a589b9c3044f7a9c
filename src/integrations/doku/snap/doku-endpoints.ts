/**
 * The one map of DOKU Wallet SNAP endpoints (docs/doku-integration.md#endpoint-map). Paths tagged
 * INF are inferred, not confirmed by DOKU, so every path stays overridable from configuration
 * (docs/doku-integration.md#sources-and-confidence); `resolveEndpoints` applies those overrides.
 */

/** Where a path comes from: DOKU docs, DOKU's own SDKs, or our inference (docs/doku-integration.md#sources-and-confidence). */
export type SourceTag = 'DOC' | 'SDK' | 'INF';

/** How a call is authenticated: RSA token request, B2B only, or B2B plus customer token (docs/doku-integration.md#headers). */
export type EndpointAuth = 'RSA' | 'B2B' | 'B2B2C';

/** What one exact `responseCode` means for one operation. */
export const RESPONSE_CODE_OUTCOMES = ['success', 'pending', 'failed', 'unknown'] as const;
export type ResponseCodeOutcome = (typeof RESPONSE_CODE_OUTCOMES)[number];

/**
 * The exact codes of one operation, by meaning. `success` and `pending` settle a call; `failed`
 * declines it; `unknown` forces "we do not know" (e.g. a code DOKU's pages use for two things).
 * A code in none of them is read by the general case table (doku-response-codes.ts), where a 200
 * family code that is not listed here is never success.
 */
export type ResponseCodeTable = { readonly [O in ResponseCodeOutcome]: readonly string[] };

export interface DokuEndpoint {
  readonly name: DokuEndpointName;
  readonly path: string;
  /** Two-digit SNAP service code, the middle of every responseCode. */
  readonly serviceCode: string;
  readonly auth: EndpointAuth;
  /** True when `Authorization-Customer: Bearer <B2B2C>` is sent. */
  readonly customerToken: boolean;
  /** SNAP's own success code, `200` + service + `00`, the first of `codes.success`. */
  readonly successCode: string;
  /** Every code this operation may answer with, by meaning (docs/doku-response-codes.md). */
  readonly codes: ResponseCodeTable;
  readonly source: SourceTag;
  /**
   * Moves money: a timeout or 5xx leaves the operation UNKNOWN and is resolved by a status query,
   * never a new debit (docs/doku-integration.md#uncertain-outcomes).
   */
  readonly moneyMoving: boolean;
}

type EndpointRow = Omit<DokuEndpoint, 'name' | 'successCode' | 'customerToken' | 'codes'>;

function row(path: string, serviceCode: string, auth: EndpointAuth, source: SourceTag, moneyMoving = false): EndpointRow {
  return { path, serviceCode, auth, source, moneyMoving };
}

const B2B = '/snap-adapter/b2b/v1.0';
const B2B2C = '/snap-adapter/b2b2c/v1.0';
const DIRECT_DEBIT_CORE = '/direct-debit/core/v1';

// Rows in the order of docs/doku-integration.md#endpoint-map. Where a path has two sources (DOC and
// SDK) the stronger one is kept. Balance Inquiry's path comes from a third-party client, not DOKU's
// SDK, so it is tagged INF.
const ROWS = {
  b2bToken: row('/authorization/v1/access-token/b2b', '73', 'RSA', 'DOC'),
  b2b2cToken: row('/authorization/v1/access-token/b2b2c', '74', 'RSA', 'DOC'),
  accountCreation: row(`${B2B}/registration-account-creation`, '06', 'B2B', 'DOC'),
  verifyOtp: row(`${B2B}/otp-verification`, '04', 'B2B', 'SDK'),
  requestOtp: row(`${B2B}/otp`, '81', 'B2B', 'INF'),
  accountBinding: row(`${B2B}/registration-account-binding`, '07', 'B2B', 'SDK'),
  queryAccountBinding: row(`${B2B}/registration-account-inquiry`, '08', 'B2B', 'SDK'),
  accountUnbinding: row(`${B2B}/registration-account-unbinding`, '09', 'B2B', 'INF'),
  balanceInquiry: row(`${B2B2C}/balance-inquiry`, '11', 'B2B2C', 'INF'),
  transferBankInquiry: row(`${B2B}/emoney/bank-account-inquiry`, '42', 'B2B', 'SDK'),
  transferBankPayment: row(`${B2B2C}/emoney/transfer-bank`, '43', 'B2B2C', 'SDK', true),
  topUpInquiry: row(`${B2B}/emoney/account-inquiry`, '37', 'B2B', 'INF'),
  topUp: row(`${B2B}/emoney/topup`, '38', 'B2B', 'INF', true),
  queryTopUp: row(`${B2B}/emoney/topup-status`, '39', 'B2B', 'INF'),
  authPayment: row(`${B2B2C}/auth/payment`, '63', 'B2B2C', 'INF', true),
  capturePayment: row(`${B2B2C}/auth/capture`, '65', 'B2B2C', 'INF', true),
  voidAuthPayment: row(`${B2B2C}/auth/void`, '67', 'B2B2C', 'INF', true),
  purchaseWeb: row(`${B2B2C}/debit/payment-host-to-host`, '54', 'B2B2C', 'INF', true),
  queryPurchase: row(`${B2B}/debit/status`, '55', 'B2B', 'INF'),
  cancelPurchase: row(`${B2B}/debit/cancel`, '57', 'B2B', 'INF', true),
  refundPurchase: row(`${B2B}/debit/refund`, '58', 'B2B', 'INF', true),
  transactionHistoryList: row(`${B2B2C}/transaction-history-list`, '12', 'B2B2C', 'INF'),
  transactionHistoryDetail: row(`${B2B2C}/transaction-history-detail`, '13', 'B2B2C', 'INF'),
  // KKI card, host to host, on DOKU's "direct debit core" paths (docs/channels.md#kki-card-host-to-host).
  // The customer token header is mandatory on the page's payment; the refund and status rows are B2B.
  kkiPayment: row(`${DIRECT_DEBIT_CORE}/debit/payment-host-to-host`, '54', 'B2B2C', 'DOC', true),
  kkiRefund: row(`${DIRECT_DEBIT_CORE}/debit/refund`, '58', 'B2B', 'DOC', true),
  kkiStatus: row('/orders/v1.0/debit/status', '55', 'B2B', 'SDK'),
  // DANA one-time payment (docs/channels.md#operations): B2B token only, paths as DOKU's SDKs call them.
  danaPayment: row(`${DIRECT_DEBIT_CORE}/debit/payment-host-to-host`, '54', 'B2B', 'SDK', true),
  danaRefund: row(`${DIRECT_DEBIT_CORE}/debit/refund`, '58', 'B2B', 'SDK', true),
  danaStatus: row('/orders/v1.0/debit/status', '55', 'B2B', 'SDK'),
} as const satisfies Record<string, EndpointRow>;

export type DokuEndpointName = keyof typeof ROWS;

/**
 * Codes DOKU's own pages show besides SNAP's: the DANA and KKI pages answer a refund with
 * `2000700` (service digits 07 instead of 58) and the DANA page a payment with `2000500` (05
 * instead of 54), and DOKU's own libraries mix the two for refund errors. Either may be what DOKU
 * answers this partner, so both are known meanings rather than "unexpected success".
 */
const ALTERNATE_CODES: Partial<Record<DokuEndpointName, Partial<ResponseCodeTable>>> = {
  purchaseWeb: { success: ['2000500'], pending: ['2020500'] },
  refundPurchase: { success: ['2000700'], pending: ['2020700'] },
  // The KKI page answers a refund with 2000700; SNAP's own is 2005800.
  kkiRefund: { success: ['2000700'], pending: ['2020700'] },
  // DANA's page answers a payment 2000500 and a refund 2000700 (docs/channels.md#response-codes).
  danaPayment: { success: ['2000500'], pending: ['2020500'] },
  danaRefund: { success: ['2000700'], pending: ['2020700'] },
};

function defaultCodes(name: DokuEndpointName, serviceCode: string): ResponseCodeTable {
  const extra = ALTERNATE_CODES[name] ?? {};
  return Object.freeze({
    success: Object.freeze([`200${serviceCode}00`, ...(extra.success ?? [])]),
    pending: Object.freeze([`202${serviceCode}00`, ...(extra.pending ?? [])]),
    failed: Object.freeze([...(extra.failed ?? [])]),
    unknown: Object.freeze([...(extra.unknown ?? [])]),
  });
}

export type DokuEndpointMap = { readonly [N in DokuEndpointName]: DokuEndpoint };

/** Every endpoint with its default path. Success is `200` + service + `00`, plus the ALTERNATE_CODES. */
export const DOKU_ENDPOINTS: DokuEndpointMap = Object.freeze(
  Object.fromEntries(
    (Object.entries(ROWS) as [DokuEndpointName, EndpointRow][]).map(([name, r]) => [
      name,
      Object.freeze({
        ...r,
        name,
        successCode: `200${r.serviceCode}00`,
        codes: defaultCodes(name, r.serviceCode),
        customerToken: r.auth === 'B2B2C',
      }),
    ]),
  ) as DokuEndpointMap,
);

export const DOKU_ENDPOINT_NAMES = Object.freeze(Object.keys(ROWS) as DokuEndpointName[]);

export function isDokuEndpointName(name: string): name is DokuEndpointName {
  return Object.prototype.hasOwnProperty.call(ROWS, name);
}

// A path is signed verbatim (docs/doku-integration.md#symmetric-signature), so overrides are limited
// to plain absolute paths: no scheme or host (which would redirect signed calls elsewhere), no dot
// segments, no whitespace.
const SAFE_PATH = /^\/(?:[A-Za-z0-9\-_~]+(?:\.[A-Za-z0-9\-_~]+)*\/)*[A-Za-z0-9\-_~]+(?:\.[A-Za-z0-9\-_~]+)*$/;

/** Thrown at boot when `pathOverrides` names an unknown endpoint or gives an unsafe path. */
export class DokuEndpointConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid DOKU endpoint overrides: ${problems.join('; ')}`);
    this.name = 'DokuEndpointConfigError';
  }
}

/** Configured meanings of codes, per endpoint: `{"refundPurchase":{"success":["2000700"]}}`. */
export type ResponseCodeOverrides = Readonly<Record<string, Partial<Record<string, readonly string[]>>>>;

const SEVEN_DIGITS = /^[1-5][0-9]{6}$/;

/**
 * An endpoint's table with configured codes applied: a configured code takes the configured
 * meaning and leaves whatever list it was in, so configuration can both add and correct.
 */
function withCodeOverrides(base: ResponseCodeTable, configured: Partial<Record<string, readonly string[]>>): ResponseCodeTable {
  const moved = new Set(Object.values(configured).flatMap((codes) => [...(codes ?? [])]));
  return Object.freeze(
    Object.fromEntries(
      RESPONSE_CODE_OUTCOMES.map((outcome) => [
        outcome,
        Object.freeze([...base[outcome].filter((c) => !moved.has(c)), ...(configured[outcome] ?? [])]),
      ]),
    ) as ResponseCodeTable,
  );
}

function codeOverrideProblems(overrides: ResponseCodeOverrides): string[] {
  const problems: string[] = [];
  const seen = new Map<string, string>();
  for (const [name, table] of Object.entries(overrides)) {
    if (!isDokuEndpointName(name)) {
      problems.push(`unknown endpoint "${name}" in response codes`);
      continue;
    }
    if (table === null || typeof table !== 'object' || Array.isArray(table)) {
      problems.push(`response codes for ${name} must be an object of outcome to codes`);
      continue;
    }
    for (const [outcome, codes] of Object.entries(table)) {
      if (!(RESPONSE_CODE_OUTCOMES as readonly string[]).includes(outcome)) problems.push(`unknown outcome "${outcome}" for ${name}`);
      else if (!Array.isArray(codes) || !codes.every((c) => typeof c === 'string' && SEVEN_DIGITS.test(c))) {
        problems.push(`${name}.${outcome} must be a list of seven-digit codes`);
      } else {
        for (const code of codes as string[]) {
          const earlier = seen.get(`${name}:${code}`);
          if (earlier && earlier !== outcome) problems.push(`${name}: ${code} is both ${earlier} and ${outcome}`);
          seen.set(`${name}:${code}`, outcome);
        }
      }
    }
  }
  return problems;
}

/**
 * The endpoint map with configured path and response-code overrides applied. Everything else stays
 * at its default; unknown names, outcomes or malformed codes are rejected at boot so a typo cannot
 * silently leave the default in force.
 */
export function resolveEndpoints(
  overrides: Readonly<Record<string, string>> = {},
  codeOverrides: ResponseCodeOverrides = {},
): DokuEndpointMap {
  const problems: string[] = [];
  for (const [name, path] of Object.entries(overrides)) {
    if (!isDokuEndpointName(name)) problems.push(`unknown endpoint "${name}"`);
    else if (typeof path !== 'string' || !SAFE_PATH.test(path)) problems.push(`unsafe path for ${name}`);
  }
  problems.push(...codeOverrideProblems(codeOverrides));
  if (problems.length > 0) throw new DokuEndpointConfigError(problems);
  const has = (o: object, name: string) => Object.prototype.hasOwnProperty.call(o, name);
  return Object.freeze(
    Object.fromEntries(
      DOKU_ENDPOINT_NAMES.map((name) => {
        const base = DOKU_ENDPOINTS[name];
        if (!has(overrides, name) && !has(codeOverrides, name)) return [name, base];
        return [
          name,
          Object.freeze({
            ...base,
            path: has(overrides, name) ? overrides[name] : base.path,
            codes: has(codeOverrides, name) ? withCodeOverrides(base.codes, codeOverrides[name]) : base.codes,
          }),
        ];
      }),
    ) as DokuEndpointMap,
  );
}
