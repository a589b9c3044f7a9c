import { errors } from '../../codes';
import { money } from '../../money';
import type { Notifier } from '../../notifier';
import { PAGE_PATHS } from '../../paths';
import type { Sim } from '../../sim';
import type { Purchase, RefundRecord } from '../../store';
import { STATUS_DESC } from '../../store';
import { jakartaDay, parseRfc3339, toJakartaIso } from '../../time';
import type { FieldSpec } from '../../validate';
import { additionalInfoOf, amountOf, isObject, LEN, str, validate } from '../../validate';
import {
  assertAmount,
  assertNewReference,
  fingerprint,
  recordReference,
  originalRefsOf,
  requireAccount,
  answerStatusQuery,
  openRefund,
} from '../snap/common';
import type { Handler, RequestContext } from '../types';

const PURCHASE_SVC = '54';
const REFUND_SVC = '58';

export interface PaymentDeps {
  sim: Sim;
  notifier: Notifier;
}

/** Notification body (docs/doku-integration.md#notifications) for a purchase state change. */
export function purchaseNotification(
  p: Purchase,
  eventType: string,
  now: number,
  extra: Record<string, unknown> = {},
): Record<string, unknown> {
  const finished = p.status === '01' || p.status === '03' ? undefined : now;
  return {
    originalPartnerReferenceNo: p.partnerReferenceNo,
    originalReferenceNo: p.referenceNo,
    originalExternalId: p.originalExternalId,
    merchantId: p.merchantId ?? p.clientId,
    amount: money(p.amount),
    latestTransactionStatus: p.status,
    transactionStatusDesc: STATUS_DESC[p.status],
    createdTime: toJakartaIso(p.createdAt),
    ...(finished !== undefined ? { finishedTime: toJakartaIso(finished) } : {}),
    additionalInfo: { serviceCode: PURCHASE_SVC, eventType, ...extra },
  };
}

function notify(deps: PaymentDeps, p: Purchase, eventType: 'PURCHASE' | 'REFUND', extra: Record<string, unknown> = {}): void {
  const partner = deps.sim.store.partners.get(p.clientId);
  if (partner) deps.notifier.emit(partner, eventType, purchaseNotification(p, eventType, deps.sim.now(), extra));
}

function fail(deps: PaymentDeps, p: Purchase, reason: string): void {
  p.status = '06';
  p.failedReason = reason;
  notify(deps, p, 'PURCHASE');
}

/**
 * `01` → `06` once `validUpTo` has passed. Returns true when it expired now or before. Under the
 * `no-expiry` profile the purchase keeps waiting until it is paid or canceled.
 */
export function expireIfDue(deps: PaymentDeps, p: Purchase, now: number): boolean {
  if (deps.sim.has('no-expiry')) return p.failedReason === 'EXPIRED';
  if ((p.status === '01' || p.status === '03') && p.validUpTo !== undefined && now >= p.validUpTo) {
    fail(deps, p, 'EXPIRED');
    return true;
  }
  return p.failedReason === 'EXPIRED';
}

export type PaymentOutcome =
  | { result: 'SUCCESS' }
  | { result: 'FAILED'; reason: string }
  | { result: 'WRONG_PIN'; attemptsLeft: number }
  | { result: 'PENDING' }
  | { result: 'INVALID_STATE'; status: string };

/**
 * The customer confirms a purchase (the PIN page, or the control API's "user enters PIN"). A wrong PIN
 * counts towards the limit; then `06`. Success debits the wallet once and notifies.
 */
export function confirmPurchase(
  deps: PaymentDeps,
  p: Purchase,
  input: { pin?: string; outcome?: 'success' | 'fail' | 'pending' },
): PaymentOutcome {
  const sim = deps.sim;
  const now = sim.now();
  if (expireIfDue(deps, p, now)) return { result: 'FAILED', reason: 'EXPIRED' };
  if (p.status !== '01' && p.status !== '03') return { result: 'INVALID_STATE', status: p.status };
  const account = sim.store.accounts.get(p.accountId);
  if (!account) {
    fail(deps, p, 'ACCOUNT_NOT_FOUND');
    return { result: 'FAILED', reason: 'ACCOUNT_NOT_FOUND' };
  }
  if (input.pin !== undefined && input.pin !== account.pin) {
    p.pinAttempts += 1;
    const left = sim.settings.pinMaxAttempts - p.pinAttempts;
    if (left <= 0) {
      fail(deps, p, 'WRONG_PIN');
      return { result: 'FAILED', reason: 'WRONG_PIN' };
    }
    return { result: 'WRONG_PIN', attemptsLeft: left };
  }
  if (input.outcome === 'fail') {
    fail(deps, p, 'DECLINED');
    return { result: 'FAILED', reason: 'DECLINED' };
  }
  if (input.outcome === 'pending') {
    p.status = '03';
    return { result: 'PENDING' };
  }
  if (account.status !== 'ACTIVE') {
    fail(deps, p, 'ACCOUNT_BLOCKED');
    return { result: 'FAILED', reason: 'ACCOUNT_BLOCKED' };
  }
  if (sim.store.available(account) < p.amount) {
    fail(deps, p, 'INSUFFICIENT_FUNDS');
    return { result: 'FAILED', reason: 'INSUFFICIENT_FUNDS' };
  }
  sim.store.post(account, {
    time: now,
    clientId: p.clientId,
    kind: 'PURCHASE_DEBIT',
    delta: -p.amount,
    partnerReferenceNo: p.partnerReferenceNo,
    referenceNo: p.referenceNo,
  });
  p.status = '00';
  p.paidTime = now;
  p.approvalCode = sim.rng.digits(6);
  notify(deps, p, 'PURCHASE');
  return { result: 'SUCCESS' };
}

/** Finds a client's purchase by DOKU reference, partner reference or original external id. */
export function findPurchase(
  sim: Sim,
  clientId: string,
  refs: { referenceNo?: string; partnerReferenceNo?: string; externalId?: string },
): Purchase | undefined {
  let p: Purchase | undefined;
  if (refs.referenceNo) p = sim.store.purchases.get(refs.referenceNo);
  else if (refs.partnerReferenceNo) {
    const hit = sim.store.findReference(clientId, PURCHASE_SVC, refs.partnerReferenceNo);
    p = hit ? sim.store.purchases.get(hit.referenceNo) : undefined;
  } else if (refs.externalId) {
    p = [...sim.store.purchases.values()].find((x) => x.clientId === clientId && x.originalExternalId === refs.externalId);
  }
  if (!p || p.clientId !== clientId) return undefined;
  if (refs.partnerReferenceNo && p.partnerReferenceNo !== refs.partnerReferenceNo) return undefined;
  if (refs.externalId && p.originalExternalId !== refs.externalId) return undefined;
  return p;
}

function deps(ctx: RequestContext): PaymentDeps {
  return { sim: ctx.sim, notifier: ctx.notifier };
}

/** Purchase Web: creates an `01` purchase and returns the PIN page as `webRedirectUrl`. */
export const purchase: Handler = (ctx) => {
  const { body, svc, sim, partner } = ctx;
  const specs: FieldSpec[] = [
    { path: 'partnerReferenceNo', kind: 'string', required: true, max: LEN.ref },
    { path: 'merchantId', kind: 'string', max: LEN.ref },
    { path: 'subMerchantId', kind: 'string', max: LEN.subMerchantId },
    { path: 'externalStoreId', kind: 'string', max: LEN.ref },
    { path: 'amount', kind: 'money', required: true },
    { path: 'urlParams', kind: 'array' },
    { path: 'validUpTo', kind: 'datetime' },
    { path: 'pointOfInitiation', kind: 'string', max: 20 },
    { path: 'feeType', kind: 'string', max: 25 },
    { path: 'payOptionDetails', kind: 'array' },
    { path: 'additionalInfo', kind: 'object' },
  ];
  validate(svc, body, specs);
  const urlParams = (body.urlParams as unknown[] | undefined) ?? [];
  let returnUrl: string | undefined;
  let notifyUrl: string | undefined;
  urlParams.forEach((item, i) => {
    if (!isObject(item)) throw errors.invalidFormat(svc, `urlParams[${i}]`);
    validate(svc, item, [
      { path: 'url', kind: 'string', required: true, max: LEN.urlParam, pattern: /^[a-z][a-z0-9+.-]*:\/\/\S+$/i },
      { path: 'type', kind: 'string', required: true, max: 32, oneOf: ['PAY_RETURN', 'PAY_NOTIFY'] },
      { path: 'isDeeplink', kind: 'string', max: 1, oneOf: ['Y', 'N'] },
    ]);
    if (item.type === 'PAY_RETURN') returnUrl ??= item.url as string;
    if (item.type === 'PAY_NOTIFY') notifyUrl ??= item.url as string;
  });
  returnUrl ??= str(body, 'additionalInfo.successPaymentUrl');

  const account = requireAccount(ctx);
  const partnerReferenceNo = body.partnerReferenceNo as string;
  const amount = amountOf(body, 'amount') as bigint;
  const fp = fingerprint({ amount, accountId: account.accountId });
  assertNewReference(ctx, svc, partnerReferenceNo, fp);
  assertAmount(ctx, amount);
  const validUpTo = str(body, 'validUpTo') ? (parseRfc3339(body.validUpTo as string) as number) : undefined;
  if (validUpTo !== undefined && validUpTo <= ctx.now) throw errors.expired(svc);

  const referenceNo = sim.newReferenceNo();
  const p: Purchase = {
    kind: 'PURCHASE',
    clientId: partner.clientId,
    accountId: account.accountId,
    partnerReferenceNo,
    referenceNo,
    originalExternalId: ctx.externalId,
    originalResponseCode: `200${svc}00`,
    amount,
    status: '01',
    createdAt: ctx.now,
    validUpTo,
    returnUrl,
    notifyUrl,
    merchantId: str(body, 'merchantId'),
    payToken: sim.newSecretToken(),
    pinAttempts: 0,
    refunds: [],
    refunded: 0n,
    remark: str(body, 'additionalInfo.remarks'),
    fingerprint: fp,
  };
  sim.store.purchases.set(referenceNo, p);
  recordReference(ctx, svc, partnerReferenceNo, fp, referenceNo);
  if (account.status !== 'ACTIVE' || sim.store.available(account) < amount) {
    const err = account.status !== 'ACTIVE' ? errors.doNotHonor(svc) : errors.insufficientFunds(svc);
    p.status = '06';
    p.failedReason = account.status !== 'ACTIVE' ? 'ACCOUNT_BLOCKED' : 'INSUFFICIENT_FUNDS';
    p.originalResponseCode = err.responseCode;
    throw err;
  }
  sim.store.purchasesByPayToken.set(p.payToken, p);
  return {
    body: {
      referenceNo,
      partnerReferenceNo,
      webRedirectUrl: sim.pageUrl(PAGE_PATHS.pay, p.payToken),
      additionalInfo: additionalInfoOf(body),
    },
  };
};

const ORIGINAL_REFS: FieldSpec[] = [
  { path: 'originalPartnerReferenceNo', kind: 'string', max: LEN.ref },
  { path: 'originalReferenceNo', kind: 'string', max: LEN.ref },
  { path: 'originalExternalId', kind: 'string', max: LEN.externalId },
  { path: 'merchantId', kind: 'string', max: LEN.ref },
  { path: 'subMerchantId', kind: 'string', max: LEN.subMerchantId },
  { path: 'externalStoreId', kind: 'string', max: LEN.ref },
  { path: 'amount', kind: 'money' },
  { path: 'additionalInfo', kind: 'object' },
];

/** Query Purchase. */
export const purchaseStatus: Handler = (ctx) =>
  answerStatusQuery(ctx, {
    refFields: ORIGINAL_REFS,
    find: (refs) => findPurchase(ctx.sim, ctx.partner.clientId, refs),
    expire: (p) => expireIfDue(deps(ctx), p, ctx.now),
    options: (p) => ({
      originalResponseMessage: p.originalResponseCode.startsWith('200') ? 'Successful' : 'Failed',
      additionalInfo: additionalInfoOf(ctx.body),
    }),
  });

/** Cancel Purchase: `01`/`03` → `05`; `00` → `05` with the money back, same Jakarta day only. */
export const purchaseCancel: Handler = (ctx) => {
  const { body, svc, sim, partner } = ctx;
  validate(svc, body, [
    ...ORIGINAL_REFS.map((s) => (s.path === 'originalPartnerReferenceNo' ? { ...s, required: true } : s)),
    { path: 'approvalCode', kind: 'string', max: LEN.approvalCode },
    { path: 'reason', kind: 'string', max: LEN.reason },
  ]);
  const p = findPurchase(sim, partner.clientId, originalRefsOf(body));
  if (!p) throw errors.notFound(svc);
  const requested = amountOf(body, 'amount');
  if (requested !== undefined && requested !== p.amount) throw errors.invalidAmount(svc);
  expireIfDue(deps(ctx), p, ctx.now);
  if (p.status === '05') {
    // Cancel is idempotent: a retried cancel gets the original outcome.
  } else if (p.status === '01' || p.status === '03') {
    p.status = '05';
    p.cancelTime = ctx.now;
    sim.store.purchasesByPayToken.delete(p.payToken);
    notify(deps(ctx), p, 'PURCHASE');
  } else if (p.status === '00') {
    if (p.refunded > 0n || p.paidTime === undefined || jakartaDay(p.paidTime) !== jakartaDay(ctx.now)) throw errors.notAllowed(svc);
    const account = sim.store.accounts.get(p.accountId);
    if (!account) throw errors.general(svc);
    sim.store.post(account, {
      time: ctx.now,
      clientId: p.clientId,
      kind: 'PURCHASE_CANCEL_CREDIT',
      delta: p.amount,
      partnerReferenceNo: p.partnerReferenceNo,
      referenceNo: p.referenceNo,
    });
    p.status = '05';
    p.cancelTime = ctx.now;
    notify(deps(ctx), p, 'PURCHASE');
  } else {
    throw errors.invalidStatus(svc);
  }
  return {
    body: {
      originalPartnerReferenceNo: p.partnerReferenceNo,
      originalReferenceNo: p.referenceNo,
      cancelTime: toJakartaIso(p.cancelTime as number),
      transactionDate: toJakartaIso(p.paidTime ?? p.createdAt),
      additionalInfo: additionalInfoOf(body),
    },
  };
};

/** Refund Purchase: partial or full; cumulative refunds never exceed the amount paid. */
export const purchaseRefund: Handler = (ctx) => {
  const { body, svc, sim, partner } = ctx;
  validate(svc, body, [
    ...ORIGINAL_REFS.map((s) => (s.path === 'originalPartnerReferenceNo' ? { ...s, required: true } : s)),
    { path: 'partnerRefundNo', kind: 'string', required: true, max: LEN.ref },
    { path: 'refundAmount', kind: 'money' },
    { path: 'reason', kind: 'string', max: LEN.reason },
  ]);
  const partnerRefundNo = body.partnerRefundNo as string;
  const requested = amountOf(body, 'refundAmount');
  const refs = originalRefsOf(body);
  const fp = fingerprint({ purchase: refs.partnerReferenceNo, amount: requested ?? 'FULL' });
  assertNewReference(ctx, REFUND_SVC, partnerRefundNo, fp);
  const { payment: p, amount } = openRefund(ctx, refs, requested, {
    find: (r) => findPurchase(sim, partner.clientId, r),
    expire: (payment) => expireIfDue(deps(ctx), payment, ctx.now),
  });
  const account = sim.store.accounts.get(p.accountId);
  if (!account) throw errors.general(svc);
  const refundNo = sim.newReferenceNo();
  sim.store.post(account, {
    time: ctx.now,
    clientId: p.clientId,
    kind: 'REFUND_CREDIT',
    delta: amount,
    partnerReferenceNo: partnerRefundNo,
    referenceNo: refundNo,
  });
  const record: RefundRecord = {
    refundNo,
    partnerRefundNo,
    amount,
    status: '00',
    refundTime: ctx.now,
    reason: str(body, 'reason'),
    fingerprint: fp,
  };
  p.refunds.push(record);
  p.refunded += amount;
  if (p.refunded === p.amount) p.status = '04';
  recordReference(ctx, REFUND_SVC, partnerRefundNo, fp, p.referenceNo);
  notify(deps(ctx), p, 'REFUND', { partnerRefundNo, refundNo, refundAmount: money(amount), refundedTotal: money(p.refunded) });
  return {
    body: {
      originalPartnerReferenceNo: p.partnerReferenceNo,
      originalReferenceNo: p.referenceNo,
      refundNo,
      partnerRefundNo,
      refundAmount: money(amount),
      refundTime: toJakartaIso(ctx.now),
      additionalInfo: additionalInfoOf(body),
    },
  };
};
