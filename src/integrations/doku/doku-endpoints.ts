/**
 * The one map of DOKU Wallet SNAP endpoints (wallet-snap-api.md §3.0). Paths tagged INF are the
 * reference's inference and must stay overridable from configuration (§0.2 "Keep these paths in
 * configuration, not in code"); `resolveEndpoints` applies those overrides.
 */

/** Where a path comes from (§0.1): DOKU docs, DOKU's own SDKs, or our inference. */
export type SourceTag = 'DOC' | 'SDK' | 'INF';

/** How a call is authenticated: RSA token request (§2.3/§2.4), B2B only, or B2B plus customer token (§2.7). */
export type EndpointAuth = 'RSA' | 'B2B' | 'B2B2C';

export interface DokuEndpoint {
  readonly name: DokuEndpointName;
  readonly path: string;
  /** Two-digit SNAP service code, the middle of every responseCode (§4.1). */
  readonly serviceCode: string;
  readonly auth: EndpointAuth;
  /** True when `Authorization-Customer: Bearer <B2B2C>` is sent (§2.6, §2.7). */
  readonly customerToken: boolean;
  readonly successCode: string;
  readonly source: SourceTag;
  /**
   * Moves money: a timeout or 5xx leaves the operation UNKNOWN and is resolved by a status query,
   * never a new debit (§5.6).
   */
  readonly moneyMoving: boolean;
}

type EndpointRow = Omit<DokuEndpoint, 'name' | 'successCode' | 'customerToken'>;

function row(
  path: string,
  serviceCode: string,
  auth: EndpointAuth,
  source: SourceTag,
  moneyMoving = false,
): EndpointRow {
  return { path, serviceCode, auth, source, moneyMoving };
}

const B2B = '/snap-adapter/b2b/v1.0';
const B2B2C = '/snap-adapter/b2b2c/v1.0';

// Rows in §3.0 order. Where §3.0 gives two tags ([DOC][SDK]) the stronger one is kept. Balance
// Inquiry is "[SDK-like]" (a third-party client, not DOKU's SDK), so it is tagged INF.
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
} as const satisfies Record<string, EndpointRow>;

export type DokuEndpointName = keyof typeof ROWS;

export type DokuEndpointMap = { readonly [N in DokuEndpointName]: DokuEndpoint };

/** All 23 endpoints with their default paths. Success is always `200` + service + `00` (§3.0, §4.3). */
export const DOKU_ENDPOINTS: DokuEndpointMap = Object.freeze(
  Object.fromEntries(
    (Object.entries(ROWS) as [DokuEndpointName, EndpointRow][]).map(([name, r]) => [
      name,
      Object.freeze({ ...r, name, successCode: `200${r.serviceCode}00`, customerToken: r.auth === 'B2B2C' }),
    ]),
  ) as DokuEndpointMap,
);

export const DOKU_ENDPOINT_NAMES = Object.freeze(Object.keys(ROWS) as DokuEndpointName[]);

export function isDokuEndpointName(name: string): name is DokuEndpointName {
  return Object.prototype.hasOwnProperty.call(ROWS, name);
}

// A path is signed verbatim (§2.5), so overrides are limited to plain absolute paths: no scheme or
// host (which would redirect signed calls elsewhere), no dot segments, no whitespace.
const SAFE_PATH = /^\/(?:[A-Za-z0-9\-_~]+(?:\.[A-Za-z0-9\-_~]+)*\/)*[A-Za-z0-9\-_~]+(?:\.[A-Za-z0-9\-_~]+)*$/;

/** Thrown at boot when `pathOverrides` names an unknown endpoint or gives an unsafe path. */
export class DokuEndpointConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid DOKU endpoint overrides: ${problems.join('; ')}`);
    this.name = 'DokuEndpointConfigError';
  }
}

/**
 * The endpoint map with configured path overrides applied. Everything but the path stays as in
 * §3.0; unknown names are rejected so a typo cannot silently leave the inferred default in force.
 */
export function resolveEndpoints(overrides: Readonly<Record<string, string>> = {}): DokuEndpointMap {
  const problems: string[] = [];
  for (const [name, path] of Object.entries(overrides)) {
    if (!isDokuEndpointName(name)) problems.push(`unknown endpoint "${name}"`);
    else if (typeof path !== 'string' || !SAFE_PATH.test(path)) problems.push(`unsafe path for ${name}`);
  }
  if (problems.length > 0) throw new DokuEndpointConfigError(problems);
  return Object.freeze(
    Object.fromEntries(
      DOKU_ENDPOINT_NAMES.map((name) => {
        const override = Object.prototype.hasOwnProperty.call(overrides, name) ? overrides[name] : undefined;
        const base = DOKU_ENDPOINTS[name];
        return [name, override === undefined ? base : Object.freeze({ ...base, path: override })];
      }),
    ) as DokuEndpointMap,
  );
}
