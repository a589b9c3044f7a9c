/**
 * The DOKU Wallet SNAP endpoint map (docs/doku-integration.md#endpoint-map). One place for every path, service code and
 * token scope. Paths tagged INF are inferred, not confirmed by DOKU, and can be overridden through
 * `SimulatorOptions.paths`, the same way the partner backend keeps them in configuration.
 */
export type EndpointName =
  | 'b2bToken'
  | 'b2b2cToken'
  | 'accountCreation'
  | 'verifyOtp'
  | 'requestOtp'
  | 'accountBinding'
  | 'queryAccountBinding'
  | 'accountUnbinding'
  | 'balanceInquiry'
  | 'transferBankInquiry'
  | 'transferBankPayment'
  | 'topUpInquiry'
  | 'topUp'
  | 'queryTopUp'
  | 'authPayment'
  | 'capturePayment'
  | 'voidAuthPayment'
  | 'purchaseWeb'
  | 'queryPurchase'
  | 'cancelPurchase'
  | 'refundPurchase'
  | 'transactionHistoryList'
  | 'transactionHistoryDetail'
  | 'danaPayment'
  | 'danaRefund'
  | 'danaStatus';

/** token: RSA-signed token call; b2b: B2B token only; b2b2c: B2B token plus the customer token. */
export type EndpointScope = 'token' | 'b2b' | 'b2b2c';
export type PathSource = 'DOC' | 'SDK' | 'SDK-like' | 'INF';

export interface EndpointDef {
  name: EndpointName;
  title: string;
  path: string;
  /** Two-digit SNAP service code; the middle of every responseCode. */
  service: string;
  scope: EndpointScope;
  source: PathSource;
}

const DEFS: ReadonlyArray<EndpointDef> = [
  { name: 'b2bToken', title: 'B2B token', path: '/authorization/v1/access-token/b2b', service: '73', scope: 'token', source: 'DOC' },
  { name: 'b2b2cToken', title: 'B2B2C token', path: '/authorization/v1/access-token/b2b2c', service: '74', scope: 'token', source: 'DOC' },
  {
    name: 'accountCreation',
    title: 'Account Creation',
    path: '/snap-adapter/b2b/v1.0/registration-account-creation',
    service: '06',
    scope: 'b2b',
    source: 'DOC',
  },
  { name: 'verifyOtp', title: 'Verify OTP', path: '/snap-adapter/b2b/v1.0/otp-verification', service: '04', scope: 'b2b', source: 'SDK' },
  { name: 'requestOtp', title: 'Request OTP', path: '/snap-adapter/b2b/v1.0/otp', service: '81', scope: 'b2b', source: 'INF' },
  {
    name: 'accountBinding',
    title: 'Account Binding',
    path: '/snap-adapter/b2b/v1.0/registration-account-binding',
    service: '07',
    scope: 'b2b',
    source: 'SDK',
  },
  {
    name: 'queryAccountBinding',
    title: 'Query Account Binding',
    path: '/snap-adapter/b2b/v1.0/registration-account-inquiry',
    service: '08',
    scope: 'b2b',
    source: 'SDK',
  },
  {
    name: 'accountUnbinding',
    title: 'Account Unbinding',
    path: '/snap-adapter/b2b/v1.0/registration-account-unbinding',
    service: '09',
    scope: 'b2b',
    source: 'INF',
  },
  {
    name: 'balanceInquiry',
    title: 'Balance Inquiry',
    path: '/snap-adapter/b2b2c/v1.0/balance-inquiry',
    service: '11',
    scope: 'b2b2c',
    source: 'SDK-like',
  },
  {
    name: 'transferBankInquiry',
    title: 'Transfer Bank Account Inquiry',
    path: '/snap-adapter/b2b/v1.0/emoney/bank-account-inquiry',
    service: '42',
    scope: 'b2b',
    source: 'SDK',
  },
  {
    name: 'transferBankPayment',
    title: 'Transfer Bank Account Payment',
    path: '/snap-adapter/b2b2c/v1.0/emoney/transfer-bank',
    service: '43',
    scope: 'b2b2c',
    source: 'SDK',
  },
  {
    name: 'topUpInquiry',
    title: 'Account Inquiry Top Up',
    path: '/snap-adapter/b2b/v1.0/emoney/account-inquiry',
    service: '37',
    scope: 'b2b',
    source: 'INF',
  },
  { name: 'topUp', title: 'Account Top Up', path: '/snap-adapter/b2b/v1.0/emoney/topup', service: '38', scope: 'b2b', source: 'INF' },
  {
    name: 'queryTopUp',
    title: 'Query Top Up',
    path: '/snap-adapter/b2b/v1.0/emoney/topup-status',
    service: '39',
    scope: 'b2b',
    source: 'INF',
  },
  {
    name: 'authPayment',
    title: 'Auth Payment',
    path: '/snap-adapter/b2b2c/v1.0/auth/payment',
    service: '63',
    scope: 'b2b2c',
    source: 'INF',
  },
  {
    name: 'capturePayment',
    title: 'Capture Payment',
    path: '/snap-adapter/b2b2c/v1.0/auth/capture',
    service: '65',
    scope: 'b2b2c',
    source: 'INF',
  },
  {
    name: 'voidAuthPayment',
    title: 'Void Auth Payment',
    path: '/snap-adapter/b2b2c/v1.0/auth/void',
    service: '67',
    scope: 'b2b2c',
    source: 'INF',
  },
  {
    name: 'purchaseWeb',
    title: 'Purchase Web',
    path: '/snap-adapter/b2b2c/v1.0/debit/payment-host-to-host',
    service: '54',
    scope: 'b2b2c',
    source: 'INF',
  },
  {
    name: 'queryPurchase',
    title: 'Query Purchase',
    path: '/snap-adapter/b2b/v1.0/debit/status',
    service: '55',
    scope: 'b2b',
    source: 'INF',
  },
  {
    name: 'cancelPurchase',
    title: 'Cancel Purchase',
    path: '/snap-adapter/b2b/v1.0/debit/cancel',
    service: '57',
    scope: 'b2b',
    source: 'INF',
  },
  {
    name: 'refundPurchase',
    title: 'Refund Purchase',
    path: '/snap-adapter/b2b/v1.0/debit/refund',
    service: '58',
    scope: 'b2b',
    source: 'INF',
  },
  {
    name: 'transactionHistoryList',
    title: 'Transaction History List',
    path: '/snap-adapter/b2b2c/v1.0/transaction-history-list',
    service: '12',
    scope: 'b2b2c',
    source: 'INF',
  },
  {
    name: 'transactionHistoryDetail',
    title: 'Transaction History Detail',
    path: '/snap-adapter/b2b2c/v1.0/transaction-history-detail',
    service: '13',
    scope: 'b2b2c',
    source: 'INF',
  },
  // DANA one-time payment (docs/channels.md): B2B token only, the paths DOKU's SDKs call.
  {
    name: 'danaPayment',
    title: 'DANA payment',
    path: '/direct-debit/core/v1/debit/payment-host-to-host',
    service: '54',
    scope: 'b2b',
    source: 'SDK',
  },
  { name: 'danaRefund', title: 'DANA refund', path: '/direct-debit/core/v1/debit/refund', service: '58', scope: 'b2b', source: 'SDK' },
  { name: 'danaStatus', title: 'DANA status', path: '/orders/v1.0/debit/status', service: '55', scope: 'b2b', source: 'SDK' },
];

/**
 * Older paths DOKU's archived DANA page shows: served as the same endpoints, never called by the
 * backend. An alias is not added when a configured path already takes it.
 */
export const LEGACY_ALIASES: Readonly<Record<string, EndpointName>> = {
  '/direct-debit/merchant/dana/v1.0/debit/payment-host-to-host': 'danaPayment',
  '/direct-debit/merchant/dana/v1.0/debit/refund': 'danaRefund',
};

/** The default endpoint map, keyed by name. */
export const DEFAULT_ENDPOINTS: Readonly<Record<EndpointName, EndpointDef>> = Object.freeze(
  Object.fromEntries(DEFS.map((d) => [d.name, Object.freeze({ ...d })])) as Record<EndpointName, EndpointDef>,
);

export const ENDPOINT_NAMES: ReadonlyArray<EndpointName> = DEFS.map((d) => d.name);

/**
 * Endpoints of DOKU's other channels, served by handlers/channels.ts rather than this map: the KKI
 * card calls share their paths with other direct-debit channels, and the checkout is not SNAP.
 * Fault rules name them like the wallet's.
 */
export type ChannelEndpointName = 'kkiPayment' | 'kkiRefund' | 'kkiStatus' | 'checkoutPayment' | 'checkoutStatus';
export const CHANNEL_ENDPOINT_NAMES: ReadonlyArray<ChannelEndpointName> = [
  'kkiPayment',
  'kkiRefund',
  'kkiStatus',
  'checkoutPayment',
  'checkoutStatus',
];

/** Default partner-side paths DOKU calls for notifications (docs/doku-integration.md#notifications). */
export const DEFAULT_NOTIFY_PATH = '/v1.0/debit/notify';
export const DEFAULT_PARTNER_TOKEN_PATH = '/authorization/v1/access-token/b2b';

/** Customer-facing pages the simulator hosts in DOKU's place (simulator-only paths). */
export const PAGE_PATHS = {
  createPin: '/wallet/create-pin',
  bindingConsent: '/wallet/binding/authorize',
  pay: '/wallet/pay',
  /** DANA's approval page (the "jump app" target), played by the simulator. */
  danaPay: '/dana/pay',
} as const;

export function buildEndpointMap(overrides: Partial<Record<EndpointName, string>> = {}): Record<EndpointName, EndpointDef> {
  const map = {} as Record<EndpointName, EndpointDef>;
  for (const name of ENDPOINT_NAMES) {
    const path = overrides[name];
    if (path !== undefined && !/^\/[\x21-\x7e]*$/.test(path)) throw new Error(`invalid path override for ${name}: ${path}`);
    map[name] = { ...DEFAULT_ENDPOINTS[name], path: path ?? DEFAULT_ENDPOINTS[name].path };
  }
  const seen = new Set<string>();
  for (const def of Object.values(map)) {
    if (seen.has(def.path)) throw new Error(`duplicate endpoint path ${def.path}`);
    seen.add(def.path);
  }
  return map;
}
