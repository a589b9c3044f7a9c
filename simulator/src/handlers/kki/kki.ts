import { createHash, randomBytes } from 'node:crypto';
import { errors, SnapError } from '../../codes';
import { formatMoneyValue, money, MONEY_VALUE, parseMoneyValue } from '../../money';
import type { Sim } from '../../sim';
import { toJakartaIso } from '../../time';
import { isObject, str, type Json } from '../../validate';

/**
 * KKI card payments, host to host (docs/channels.md#kki-card-host-to-host), as DOKU's page
 * describes them: a payment with DOKU's card token or the card's CPAN and the customer's 8-digit
 * OTP (answer `2005400`), online refunds, full or partial, with a `partnerRefundNo` of at most 12
 * characters (answer `2000700`, or `2005800` in SNAP code mode), and the direct-debit status query.
 *
 * Cards are test cards held here; the control API adds them. A card in `in-app` mode answers the
 * payment with a confirmation link and stays `01` until the customer approves on the simulator's
 * issuer page or the control API approves it; otherwise the payment is final at once.
 */

export interface KkiCard {
  cpan: string;
  bankCardToken: string;
  otp: string;
  /** Minor units (hundredths of a rupiah) still available on the card. */
  available: bigint;
  status: 'ACTIVE' | 'BLOCKED';
  confirm: 'direct' | 'in-app';
  wrongOtps: number;
}

export interface KkiRefund {
  refundNo: string;
  partnerRefundNo: string;
  amount: bigint;
  reason?: string;
  at: number;
  fingerprint: string;
}

export interface KkiPayment {
  clientId: string;
  partnerReferenceNo: string;
  referenceNo: string;
  externalId: string;
  cpan: string;
  amount: bigint;
  /** `00` paid, `01` waiting for the customer in the issuer app, `04` fully refunded, `06` failed. */
  status: '00' | '01' | '04' | '06';
  fingerprint: string;
  createdAt: number;
  paidAt?: number;
  refunds: KkiRefund[];
  confirmToken?: string;
}

export interface KkiSettings {
  /** Payments need `Authorization-Customer` with a live customer token of the partner (the page's header is mandatory). */
  requireCustomerToken: boolean;
  /** Payments need the OTP (otherwise it is checked only when sent). */
  requireOtp: boolean;
  /** `doc`: refunds answer `2000700` and refund errors use service 07; `snap`: `2005800` and 58. */
  codeMode: 'doc' | 'snap';
  /** Wrong OTPs before the card's OTP is blocked. */
  otpMaxAttempts: number;
}

/** The test card DOKU's page samples, with the sample token and OTP. */
export const SAMPLE_CARD = { cpan: '9360001609987000000', bankCardToken: 'de52e5820f4c381db88a1cf91d57b73e', otp: '12345678' } as const;

const REF_PAYMENT = /^[A-Za-z0-9-]{1,32}$/;
const REF_ORIGINAL = /^[A-Za-z0-9-]{1,64}$/;
const REF_REFUND = /^[A-Za-z0-9-]{1,12}$/;

export const KKI_SERVICE = { payment: '54', status: '55' } as const;

function fp(value: unknown): string {
  return createHash('sha256').update(JSON.stringify(value)).digest('hex');
}

function readMoney(svc: string, body: Json, field: string): bigint {
  const value = str(body, `${field}.value`);
  const currency = str(body, `${field}.currency`);
  if (value === undefined || currency === undefined) throw errors.missingField(svc, field);
  if (!MONEY_VALUE.test(value)) throw errors.invalidFormat(svc, `${field}.value`);
  if (currency !== 'IDR') throw errors.invalidFormat(svc, `${field}.currency`);
  return parseMoneyValue(value);
}

export class KkiCards {
  readonly cards = new Map<string, KkiCard>();
  /** `clientId|partnerReferenceNo` → payment. */
  readonly payments = new Map<string, KkiPayment>();
  settings: KkiSettings;

  constructor(
    private readonly sim: Sim,
    settings: Partial<KkiSettings> = {},
  ) {
    this.settings = { requireCustomerToken: true, requireOtp: true, codeMode: 'doc', otpMaxAttempts: 3, ...settings };
    this.reset();
  }

  reset(): void {
    this.cards.clear();
    this.payments.clear();
    this.addCard({ ...SAMPLE_CARD, available: '50000000.00' });
  }

  refundService(): string {
    return this.settings.codeMode === 'doc' ? '07' : '58';
  }

  addCard(input: {
    cpan?: string;
    bankCardToken?: string;
    otp?: string;
    available?: string;
    status?: 'ACTIVE' | 'BLOCKED';
    confirm?: 'direct' | 'in-app';
  }): KkiCard {
    const cpan = input.cpan ?? `936000${String(this.sim.rng.digits(13))}`;
    if (!/^\d{12,20}$/.test(cpan)) throw new Error('cpan must be 12 to 20 digits');
    const otp = input.otp ?? this.sim.rng.digits(8);
    if (!/^\d{8}$/.test(otp)) throw new Error('otp must be 8 digits');
    const available = input.available ?? '10000000.00';
    if (!MONEY_VALUE.test(available)) throw new Error('available must be a money value like 100000.00');
    const card: KkiCard = {
      cpan,
      bankCardToken: input.bankCardToken ?? randomBytes(16).toString('hex'),
      otp,
      available: parseMoneyValue(available),
      status: input.status ?? 'ACTIVE',
      confirm: input.confirm ?? 'direct',
      wrongOtps: 0,
    };
    this.cards.set(cpan, card);
    return card;
  }

  cardView(card: KkiCard): Json {
    return {
      cpan: card.cpan,
      bankCardToken: card.bankCardToken,
      otp: card.otp,
      available: formatMoneyValue(card.available),
      status: card.status,
      confirm: card.confirm,
    };
  }

  paymentView(p: KkiPayment): Json {
    return {
      partnerReferenceNo: p.partnerReferenceNo,
      referenceNo: p.referenceNo,
      status: p.status,
      amount: formatMoneyValue(p.amount),
      refunded: formatMoneyValue(p.refunds.reduce((s, r) => s + r.amount, 0n)),
      refunds: p.refunds.map((r) => ({ partnerRefundNo: r.partnerRefundNo, refundNo: r.refundNo, amount: formatMoneyValue(r.amount) })),
    };
  }

  /** Does this payment request belong to the KKI channel (rather than another direct-debit one on the same path)? */
  static isCardPayment(body: Json): boolean {
    return body.bankCardToken !== undefined || getCpan(body) !== undefined || body.otp !== undefined;
  }

  knows(clientId: string, body: Json): boolean {
    const ref = str(body, 'originalPartnerReferenceNo');
    return ref !== undefined && this.payments.has(`${clientId}|${ref}`);
  }

  pay(clientId: string, externalId: string, body: Json): Json {
    const svc = KKI_SERVICE.payment;
    const ref = str(body, 'partnerReferenceNo');
    if (ref === undefined) throw errors.missingField(svc, 'partnerReferenceNo');
    if (!REF_PAYMENT.test(ref)) throw errors.invalidFormat(svc, 'partnerReferenceNo');
    const amount = readMoney(svc, body, 'amount');
    const token = str(body, 'bankCardToken');
    const cpan = getCpan(body);
    if (token === undefined && cpan === undefined) throw errors.missingField(svc, 'bankCardToken');
    if (token !== undefined && token.length > 64) throw errors.invalidFormat(svc, 'bankCardToken');
    if (cpan !== undefined && !/^\d{1,20}$/.test(cpan)) throw errors.invalidFormat(svc, 'cpan');
    const otp = body.otp;
    if (otp !== undefined && (typeof otp !== 'string' || !/^\d{8}$/.test(otp))) throw errors.invalidFormat(svc, 'otp');
    if (amount <= 0n) throw errors.invalidAmount(svc);

    const fingerprint = fp({ ref, amount: String(amount), token, cpan });
    const existing = this.payments.get(`${clientId}|${ref}`);
    if (existing) throw existing.fingerprint === fingerprint ? errors.duplicateReference(svc) : errors.inconsistent(svc);

    const card = token !== undefined ? [...this.cards.values()].find((c) => c.bankCardToken === token) : this.cards.get(cpan as string);
    if (!card) throw errors.invalidAccount(svc, 'unknown card');
    if (card.status !== 'ACTIVE') throw new SnapError(`403${svc}07`, 'Card Blocked');
    if (otp === undefined) {
      if (this.settings.requireOtp) throw new SnapError(`403${svc}13`, 'OTP Sent To Cardholder');
    } else {
      if (card.wrongOtps >= this.settings.otpMaxAttempts) throw errors.otpBlocked(svc);
      if (otp !== card.otp) {
        card.wrongOtps += 1;
        throw card.wrongOtps >= this.settings.otpMaxAttempts ? errors.otpBlocked(svc) : errors.invalidOtp(svc);
      }
      card.wrongOtps = 0;
    }
    if (amount > card.available) throw errors.insufficientFunds(svc);

    const now = this.sim.now();
    const payment: KkiPayment = {
      clientId,
      partnerReferenceNo: ref,
      referenceNo: this.sim.newReferenceNo(),
      externalId,
      cpan: card.cpan,
      amount,
      status: card.confirm === 'in-app' ? '01' : '00',
      fingerprint,
      createdAt: now,
      refunds: [],
    };
    if (payment.status === '00') {
      card.available -= amount;
      payment.paidAt = now;
    } else {
      payment.confirmToken = randomBytes(16).toString('hex');
    }
    this.payments.set(`${clientId}|${ref}`, payment);
    const answer: Json = { referenceNo: payment.referenceNo, partnerReferenceNo: ref };
    if (payment.confirmToken) answer.webRedirectUrl = `${this.sim.publicUrl}${KKI_CONFIRM_PAGE}?token=${payment.confirmToken}`;
    return answer;
  }

  /** The customer's answer in the issuer app (the confirmation page or the control API). */
  confirm(payment: KkiPayment, approve: boolean): KkiPayment {
    if (payment.status !== '01') throw new Error(`payment is ${payment.status}, not waiting for confirmation`);
    const card = this.cards.get(payment.cpan);
    if (approve && card && card.status === 'ACTIVE' && card.available >= payment.amount) {
      card.available -= payment.amount;
      payment.status = '00';
      payment.paidAt = this.sim.now();
    } else {
      payment.status = '06';
    }
    payment.confirmToken = undefined;
    return payment;
  }

  byConfirmToken(token: string): KkiPayment | undefined {
    return token ? [...this.payments.values()].find((p) => p.confirmToken === token) : undefined;
  }

  refund(clientId: string, body: Json): Json {
    const svc = this.refundService();
    const original = str(body, 'originalPartnerReferenceNo');
    const refundNo = str(body, 'partnerRefundNo');
    if (original === undefined) throw errors.missingField(svc, 'originalPartnerReferenceNo');
    if (refundNo === undefined) throw errors.missingField(svc, 'partnerRefundNo');
    if (!REF_ORIGINAL.test(original)) throw errors.invalidFormat(svc, 'originalPartnerReferenceNo');
    if (!REF_REFUND.test(refundNo)) throw errors.invalidFormat(svc, 'partnerRefundNo');
    const amount = readMoney(svc, body, 'refundAmount');
    const reason = str(body, 'reason');
    if (reason !== undefined && reason.length > 255) throw errors.invalidFormat(svc, 'reason');
    const payment = this.payments.get(`${clientId}|${original}`);
    if (!payment) throw errors.notFound(svc);
    const originalRef = str(body, 'originalReferenceNo');
    if (originalRef !== undefined && originalRef !== payment.referenceNo) throw errors.notFound(svc);
    const fingerprint = fp({ original, amount: String(amount) });
    const again = [...this.payments.values()]
      .flatMap((p) => (p.clientId === clientId ? p.refunds : []))
      .find((r) => r.partnerRefundNo === refundNo);
    if (again) throw again.fingerprint === fingerprint ? errors.duplicateReference(svc) : errors.inconsistent(svc);
    if (payment.status !== '00') throw errors.invalidStatus(svc);
    const refunded = payment.refunds.reduce((s, r) => s + r.amount, 0n);
    if (amount <= 0n || refunded + amount > payment.amount) throw errors.invalidAmount(svc);

    const now = this.sim.now();
    const refund: KkiRefund = { refundNo: this.sim.newReferenceNo(), partnerRefundNo: refundNo, amount, reason, at: now, fingerprint };
    payment.refunds.push(refund);
    if (refunded + amount === payment.amount) payment.status = '04';
    const card = this.cards.get(payment.cpan);
    if (card) card.available += amount;
    return {
      originalPartnerReferenceNo: payment.partnerReferenceNo,
      originalReferenceNo: payment.referenceNo,
      refundNo: refund.refundNo,
      partnerRefundNo: refundNo,
      refundAmount: money(amount),
      refundTime: toJakartaIso(now),
    };
  }

  status(clientId: string, body: Json): Json {
    const svc = KKI_SERVICE.status;
    const original = str(body, 'originalPartnerReferenceNo');
    const serviceCode = str(body, 'serviceCode');
    if (original === undefined) throw errors.missingField(svc, 'originalPartnerReferenceNo');
    if (serviceCode === undefined) throw errors.missingField(svc, 'serviceCode');
    if (serviceCode !== '55' && serviceCode !== '54') throw errors.invalidFormat(svc, 'serviceCode');
    const found = this.payments.get(`${clientId}|${original}`);
    // late-status: DOKU's status does not know a payment it has yet.
    const payment = found && !this.sim.statusLagging(found.createdAt) ? found : undefined;
    const originalRef = str(body, 'originalReferenceNo');
    if (!payment || (originalRef !== undefined && originalRef !== payment.referenceNo)) throw errors.notFound(svc);
    return {
      originalPartnerReferenceNo: payment.partnerReferenceNo,
      originalReferenceNo: payment.referenceNo,
      originalExternalId: payment.externalId,
      serviceCode,
      latestTransactionStatus: payment.status,
      transactionStatusDesc: { '00': 'Success', '01': 'Initiated', '04': 'Refunded', '06': 'Failed' }[payment.status],
      transAmount: money(payment.amount),
      ...(payment.paidAt !== undefined ? { paidTime: toJakartaIso(payment.paidAt) } : {}),
      // no-refund-history: the field is optional in DOKU's samples.
      ...(this.sim.has('no-refund-history')
        ? {}
        : {
            refundHistory: payment.refunds.map((r) => ({
              refundNo: r.refundNo,
              partnerRefundNo: r.partnerRefundNo,
              // DOKU's libraries read the refund's own reference under this name.
              partnerReferenceNo: r.partnerRefundNo,
              refundAmount: money(r.amount),
              refundStatus: '00',
              refundDate: toJakartaIso(r.at),
              ...(r.reason !== undefined ? { reason: r.reason } : {}),
            })),
          }),
    };
  }
}

/** The issuer-app confirmation page the simulator hosts for cards in `in-app` mode. */
export const KKI_CONFIRM_PAGE = '/kki/confirm';

function getCpan(body: Json): string | undefined {
  const info = body.additionalInfo;
  if (isObject(info) && typeof info.cpan === 'string') return info.cpan;
  return typeof body.cpan === 'string' ? body.cpan : undefined;
}
