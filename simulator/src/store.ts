import type { KeyObject } from 'node:crypto';
import type { NotificationSettings } from './options';

/**
 * The simulator's in-memory state: partners, customers, tokens, transactions and the ledger. Balance
 * invariants live here: available = ledger − holds, never negative, never above the account maximum on a
 * credit that is capped.
 */

export type TxnStatus = '00' | '01' | '02' | '03' | '04' | '05' | '06' | '07';

export const STATUS_DESC: Record<TxnStatus, string> = {
  '00': 'Success',
  '01': 'Initiated',
  '02': 'Paying',
  '03': 'Pending',
  '04': 'Refunded',
  '05': 'Canceled',
  '06': 'Failed',
  '07': 'Not Found',
};

/** One of a partner's registered public keys, with the token requests it verified (a rotation shows which key signs). */
export interface PartnerKey {
  key: KeyObject;
  /** `keyFingerprint` of the key. */
  fingerprint: string;
  /** Token requests (B2B and B2B2C) whose signature this key verified. */
  tokenRequests: number;
}

export interface Partner {
  clientId: string;
  clientSecret: string;
  /** Older secrets still accepted on requests (a rotation's overlap). */
  previousClientSecrets: string[];
  /** Every registered public key of the partner; a token request signed by any of them is the partner's. */
  publicKeys: PartnerKey[];
  authCodeKey: string;
  corporateBalance: bigint;
  notification: Required<Omit<NotificationSettings, 'baseUrl'>> & { baseUrl?: string };
}

export interface Registration {
  clientId: string;
  partnerReferenceNo: string;
  referenceNo: string;
  name: string;
  email: string;
  phoneNo: string;
  redirectUrl: string;
  otp: string;
  otpExpiresAt: number;
  otpAttempts: number;
  otpResends: number;
  status: 'OTP_SENT' | 'OTP_VERIFIED' | 'PIN_CREATED' | 'SUPERSEDED';
  pinToken?: string;
  accountId?: string;
  createdAt: number;
  fingerprint: string;
}

export interface OtpRecord {
  phoneNo: string;
  otp: string;
  purpose: 'ACCOUNT_CREATION' | 'REQUEST_OTP' | 'ACCOUNT_UNBINDING';
  referenceNo: string;
  partnerReferenceNo: string;
  sentAt: number;
  expiresAt: number;
}

/**
 * An Account Unbinding waiting for its OTP (DOKU: "completed by sending the OTP to Verify OTP").
 * The binding stays ACTIVE until Verify OTP confirms it.
 */
export interface Unbinding {
  clientId: string;
  accountId: string;
  linkId: string;
  /** The unbinding request's partnerReferenceNo (`''` when the request had none). */
  partnerReferenceNo: string;
  referenceNo: string;
  phoneNo: string;
  otp: string;
  otpExpiresAt: number;
  otpAttempts: number;
  otpResends: number;
  status: 'OTP_SENT' | 'CONFIRMED' | 'SUPERSEDED';
  createdAt: number;
  confirmedAt?: number;
}

export interface Account {
  accountId: string;
  publicUserId: string;
  name: string;
  email: string;
  phoneNo: string;
  pin: string;
  status: 'ACTIVE' | 'BLOCKED';
  /** Ledger balance in minor units. */
  balance: bigint;
  /** Sum of open auth holds. */
  held: bigint;
  maxBalance: bigint;
  createdAt: number;
}

export interface Binding {
  clientId: string;
  accountId: string;
  linkId: string;
  partnerReferenceNo: string;
  referenceNo: string;
  redirectUrl: string;
  status: 'PENDING' | 'ACTIVE' | 'FAILED' | 'UNBOUND';
  consentToken?: string;
  pinAttempts: number;
  createdAt: number;
  fingerprint: string;
}

export interface AuthCode {
  code: string;
  clientId: string;
  accountId: string;
  expiresAt: number;
  used: boolean;
}

export interface B2bToken {
  token: string;
  clientId: string;
  expiresAt: number;
  revoked: boolean;
}

export interface CustomerToken {
  token: string;
  kind: 'access' | 'refresh';
  clientId: string;
  accountId: string;
  expiresAt: number;
  /** Access tokens slide on use (900 s, sliding, latest wins). */
  sliding: boolean;
  revoked: boolean;
}

export interface RefundRecord {
  refundNo: string;
  partnerRefundNo: string;
  amount: bigint;
  status: '00' | '03' | '06';
  refundTime: number;
  reason?: string;
  fingerprint: string;
}

export interface Purchase {
  kind: 'PURCHASE';
  clientId: string;
  accountId: string;
  partnerReferenceNo: string;
  referenceNo: string;
  originalExternalId: string;
  /** Response code of the original Purchase call, for Query Purchase's `originalResponseCode`. */
  originalResponseCode: string;
  amount: bigint;
  status: TxnStatus;
  createdAt: number;
  paidTime?: number;
  cancelTime?: number;
  failedReason?: string;
  validUpTo?: number;
  returnUrl?: string;
  notifyUrl?: string;
  merchantId?: string;
  payToken: string;
  pinAttempts: number;
  approvalCode?: string;
  refunds: RefundRecord[];
  refunded: bigint;
  remark?: string;
  fingerprint: string;
}

export interface Transfer {
  kind: 'TRANSFER';
  clientId: string;
  accountId: string;
  partnerReferenceNo: string;
  referenceNo: string;
  referenceNumber: string;
  originalExternalId: string;
  amount: bigint;
  bankCode: string;
  beneficiaryAccountNumber: string;
  beneficiaryAccountName: string;
  status: TxnStatus;
  createdAt: number;
  fingerprint: string;
}

export interface TopUp {
  kind: 'TOP_UP';
  clientId: string;
  accountId: string;
  partnerReferenceNo: string;
  referenceNo: string;
  originalExternalId: string;
  sessionId?: string;
  amount: bigint;
  status: TxnStatus;
  createdAt: number;
  failedReason?: string;
  fingerprint: string;
}

export interface CaptureRecord {
  captureNo: string;
  partnerCaptureNo: string;
  amount: bigint;
  captureTime: number;
  fingerprint: string;
}

export interface VoidRecord {
  voidNo: string;
  partnerVoidNo: string;
  amount: bigint;
  voidTime: number;
  fingerprint: string;
}

export interface AuthHold {
  kind: 'AUTH';
  clientId: string;
  accountId: string;
  partnerReferenceNo: string;
  referenceNo: string;
  merchantId: string;
  title: string;
  amount: bigint;
  /** Amount still held. */
  remaining: bigint;
  captured: bigint;
  voided: bigint;
  closed: boolean;
  paidTime: number;
  captures: CaptureRecord[];
  voids: VoidRecord[];
  fingerprint: string;
}

export interface BankInquiry {
  clientId: string;
  referenceNo: string;
  sessionId: string;
  partnerReferenceNo: string;
  accountId: string;
  bankCode: string;
  beneficiaryAccountNumber: string;
  amount: bigint;
  createdAt: number;
}

export interface TopUpInquiry {
  clientId: string;
  referenceNo: string;
  sessionId: string;
  accountId: string;
  amount: bigint;
  createdAt: number;
}

export type LedgerKind =
  | 'PURCHASE_DEBIT'
  | 'PURCHASE_CANCEL_CREDIT'
  | 'REFUND_CREDIT'
  | 'TRANSFER_DEBIT'
  | 'TOPUP_CREDIT'
  | 'CAPTURE_DEBIT'
  | 'ADMIN_SET'
  | 'DANA_DEBIT'
  | 'DANA_REFUND_CREDIT';

/**
 * A DANA one-time payment (docs/channels.md): no DOKU Wallet account behind it. The customer's DANA
 * balance is outside DOKU, so its ledger rows name the device (`DANA:<X-DEVICE-ID>`) and carry no balance.
 */
export interface DanaPayment {
  kind: 'DANA';
  clientId: string;
  partnerReferenceNo: string;
  referenceNo: string;
  originalExternalId: string;
  originalResponseCode: string;
  amount: bigint;
  status: TxnStatus;
  createdAt: number;
  validUpTo?: number;
  paidTime?: number;
  failedReason?: string;
  returnUrl?: string;
  deviceId: string;
  ipAddress?: string;
  pointOfInitiation?: string;
  orderTitle?: string;
  pageToken: string;
  approvalCode?: string;
  refunds: RefundRecord[];
  refunded: bigint;
  fingerprint: string;
}

export interface LedgerEntry {
  seq: number;
  time: number;
  clientId: string;
  accountId: string;
  kind: LedgerKind;
  /** Signed change of the ledger balance (minor units). */
  delta: bigint;
  balanceAfter: bigint;
  partnerReferenceNo: string;
  referenceNo: string;
}

export interface BankAccount {
  bankCode: string;
  bankShortName: string;
  bankName: string;
  accountNumber: string;
  accountName: string;
}

/** Test bank accounts for Transfer Bank (README lists them). Anything else is `404xx11`. */
export const TEST_BANK_ACCOUNTS: ReadonlyArray<BankAccount> = [
  { bankCode: '014', bankShortName: 'BCA', bankName: 'BANK CENTRAL ASIA', accountNumber: '1234567890', accountName: 'BUDI SANTOSO' },
  { bankCode: '014', bankShortName: 'BCA', bankName: 'BANK CENTRAL ASIA', accountNumber: '8377388292', accountName: 'FHILEA HERMANUS' },
  { bankCode: '008', bankShortName: 'MANDIRI', bankName: 'BANK MANDIRI', accountNumber: '1122334455', accountName: 'SITI AMINAH' },
  { bankCode: '002', bankShortName: 'BRI', bankName: 'BANK RAKYAT INDONESIA', accountNumber: '0987654321', accountName: 'AGUS WIJAYA' },
  { bankCode: '009', bankShortName: 'BNI', bankName: 'BANK NEGARA INDONESIA', accountNumber: '5566778899', accountName: 'DEWI LESTARI' },
];

/** Key of a business operation's idempotency index: client, service code, reference. */
const refKey = (clientId: string, service: string, ref: string): string => `${clientId}\u0000${service}\u0000${ref}`;

export type BusinessRecord = Purchase | Transfer | TopUp | AuthHold;

export class Store {
  readonly partners = new Map<string, Partner>();
  registrations = new Map<string, Registration>(); // by referenceNo
  otps = new Map<string, OtpRecord>(); // by normalised phone
  accounts = new Map<string, Account>(); // by accountId
  accountsByPhone = new Map<string, string>();
  bindings = new Map<string, Binding>(); // by `${clientId}|${accountId}`
  bindingsByConsent = new Map<string, Binding>();
  unbindings = new Map<string, Unbinding>(); // by referenceNo
  authCodes = new Map<string, AuthCode>();
  b2bTokens = new Map<string, B2bToken>(); // by token
  latestB2b = new Map<string, string>(); // clientId → token
  customerTokens = new Map<string, CustomerToken>();
  latestCustomer = new Map<string, string>(); // `${kind}|${clientId}|${accountId}` → token
  purchases = new Map<string, Purchase>(); // by referenceNo
  purchasesByPayToken = new Map<string, Purchase>();
  danaPayments = new Map<string, DanaPayment>(); // by referenceNo
  danaByPageToken = new Map<string, DanaPayment>();
  transfers = new Map<string, Transfer>();
  topUps = new Map<string, TopUp>();
  auths = new Map<string, AuthHold>();
  bankInquiries = new Map<string, BankInquiry>();
  topUpInquiries = new Map<string, TopUpInquiry>();
  pinTokens = new Map<string, Registration>();
  /** (client, service, partner reference) → the record, for duplicate detection. */
  references = new Map<string, { fingerprint: string; referenceNo: string }>();
  ledger: LedgerEntry[] = [];
  private seq = 0;
  private counter = 0;

  /** Clears everything except partner registrations; corporate balances go back to `initial`. */
  reset(initialCorporate: Map<string, bigint>): void {
    this.registrations = new Map();
    this.otps = new Map();
    this.accounts = new Map();
    this.accountsByPhone = new Map();
    this.bindings = new Map();
    this.bindingsByConsent = new Map();
    this.unbindings = new Map();
    this.authCodes = new Map();
    this.b2bTokens = new Map();
    this.latestB2b = new Map();
    this.customerTokens = new Map();
    this.latestCustomer = new Map();
    this.purchases = new Map();
    this.purchasesByPayToken = new Map();
    this.danaPayments = new Map();
    this.danaByPageToken = new Map();
    this.transfers = new Map();
    this.topUps = new Map();
    this.auths = new Map();
    this.bankInquiries = new Map();
    this.topUpInquiries = new Map();
    this.pinTokens = new Map();
    this.references = new Map();
    this.ledger = [];
    this.seq = 0;
    this.counter = 0;
    for (const [clientId, balance] of initialCorporate) {
      const p = this.partners.get(clientId);
      if (p) p.corporateBalance = balance;
    }
  }

  nextCounter(): number {
    this.counter += 1;
    return this.counter;
  }

  findReference(clientId: string, service: string, ref: string): { fingerprint: string; referenceNo: string } | undefined {
    return this.references.get(refKey(clientId, service, ref));
  }

  recordReference(clientId: string, service: string, ref: string, fingerprint: string, referenceNo: string): void {
    this.references.set(refKey(clientId, service, ref), { fingerprint, referenceNo });
  }

  accountByPhone(phone: string): Account | undefined {
    const id = this.accountsByPhone.get(normalisePhone(phone));
    return id ? this.accounts.get(id) : undefined;
  }

  addAccount(account: Account): void {
    this.accounts.set(account.accountId, account);
    this.accountsByPhone.set(normalisePhone(account.phoneNo), account.accountId);
  }

  activeBinding(clientId: string, accountId: string): Binding | undefined {
    const b = this.bindings.get(`${clientId}|${accountId}`);
    return b && b.status === 'ACTIVE' ? b : undefined;
  }

  available(account: Account): bigint {
    return account.balance - account.held;
  }

  /** Applies a signed change to the ledger balance and records it. Callers check funds and caps first. */
  post(account: Account, entry: Omit<LedgerEntry, 'seq' | 'balanceAfter' | 'accountId'>): LedgerEntry {
    const after = account.balance + entry.delta;
    if (after - account.held < 0n) throw new Error('invariant: available balance would become negative');
    account.balance = after;
    this.seq += 1;
    const row: LedgerEntry = { ...entry, seq: this.seq, accountId: account.accountId, balanceAfter: after };
    this.ledger.push(row);
    return row;
  }

  /** Records money moved outside any DOKU Wallet account (a DANA payment or its refund). */
  postExternal(entry: Omit<LedgerEntry, 'seq' | 'balanceAfter'>): LedgerEntry {
    this.seq += 1;
    const row: LedgerEntry = { ...entry, seq: this.seq, balanceAfter: 0n };
    this.ledger.push(row);
    return row;
  }

  /** Sets a balance directly (control API); recorded as an ADMIN_SET ledger row. */
  adminSet(account: Account, balance: bigint, time: number): void {
    const delta = balance - account.balance;
    account.balance = balance;
    this.seq += 1;
    this.ledger.push({
      seq: this.seq,
      time,
      clientId: '',
      accountId: account.accountId,
      kind: 'ADMIN_SET',
      delta,
      balanceAfter: balance,
      partnerReferenceNo: '',
      referenceNo: '',
    });
  }

  /** Every business record of one client, for history and the control API. */
  records(): BusinessRecord[] {
    return [...this.purchases.values(), ...this.transfers.values(), ...this.topUps.values(), ...this.auths.values()];
  }
}

/** `08…` and `62…` name the same phone; compare on the `62…` form. */
export function normalisePhone(phone: string): string {
  const digits = phone.replace(/[^0-9]/g, '');
  if (digits.startsWith('0')) return `62${digits.slice(1)}`;
  return digits;
}
