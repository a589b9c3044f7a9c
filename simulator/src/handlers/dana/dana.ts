import { errors } from '../../codes';
import { money } from '../../money';
import type { Notifier } from '../../notifier';
import { PAGE_PATHS } from '../../paths';
import type { Sim } from '../../sim';
import type { DanaPayment, RefundRecord } from '../../store';
import { STATUS_DESC } from '../../store';
import { parseRfc3339, toJakartaIso } from '../../time';
import type { FieldSpec } from '../../validate';
import { additionalInfoOf, amountOf, isObject, LEN, str, validate } from '../../validate';
import {
  assertAmount,
  assertNewReference,
  fingerprint,
  recordReference,
  originalRefsOf,
  answerStatusQuery,
  openRefund,
} from '../snap/common';
import type { Handler, RequestContext } from '../types';

/**
 * DANA one-time payment through DOKU (docs/channels.md#dana-one-time-payment-jump-app): a payment
 * without binding, approved by the customer on DANA's page (here the simulator's `/dana/pay`), then
 * notified, queried and refunded. B2B token only; the payment and the refund require `X-DEVICE-ID`.
 */

const PAYMENT_SVC = '54';
const REFUND_SVC = '58';
const CHANNEL = 'EMONEY_DANA_SNAP';

const DEVICE_ID = /^[A-Za-z0-9]{1,64}$/;
const IPV4 = /^(?:(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])\.){3}(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])$/;

export interface DanaDeps {
  sim: Sim;
  notifier: Notifier;
}

/** `X-DEVICE-ID` is mandatory and has no symbols; `X-IP-ADDRESS` is conditional and IPv4. */
function checkDevice(ctx: RequestContext): { deviceId: string; ipAddress?: string } {
  const { deviceId, ipAddress } = ctx.device;
  if (deviceId === undefined) throw errors.missingField(ctx.svc, 'X-DEVICE-ID');
  if (!DEVICE_ID.test(deviceId)) throw errors.invalidFormat(ctx.svc, 'X-DEVICE-ID');
  if (ipAddress !== undefined && !IPV4.test(ipAddress)) throw errors.invalidFormat(ctx.svc, 'X-IP-ADDRESS');
  return { deviceId, ...(ipAddress !== undefined ? { ipAddress } : {}) };
}

/** The SNAP debit notification of a DANA payment (docs/channels.md#notification). */
export function danaNotification(p: DanaPayment, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    originalPartnerReferenceNo: p.partnerReferenceNo,
    originalReferenceNo: p.referenceNo,
    originalExternalId: p.originalExternalId,
    latestTransactionStatus: p.status,
    transactionStatusDesc: STATUS_DESC[p.status],
    amount: money(p.amount),
    additionalInfo: { channelId: CHANNEL, accountType: 'EMONEY', ...extra },
  };
}

function notify(deps: DanaDeps, p: DanaPayment, eventType: 'PURCHASE' | 'REFUND', extra: Record<string, unknown> = {}): void {
  const partner = deps.sim.store.partners.get(p.clientId);
  if (partner) deps.notifier.emit(partner, eventType, danaNotification(p, extra));
}

function fail(deps: DanaDeps, p: DanaPayment, reason: string): void {
  p.status = '06';
  p.failedReason = reason;
  deps.sim.store.danaByPageToken.delete(p.pageToken);
  notify(deps, p, 'PURCHASE');
}

/** `01` → `06` once `validUpTo` has passed (DOKU's reading for an expired DANA payment). */
export function expireDanaIfDue(deps: DanaDeps, p: DanaPayment, now: number): boolean {
  if (p.status === '01' && p.validUpTo !== undefined && now >= p.validUpTo) {
    fail(deps, p, 'EXPIRED');
    return true;
  }
  return p.failedReason === 'EXPIRED';
}

export type DanaOutcome = { result: 'SUCCESS' } | { result: 'FAILED'; reason: string } | { result: 'INVALID_STATE'; status: string };

/**
 * The customer approves or declines in DANA (the page, or the control API). Approval debits the
 * customer's DANA balance once (a ledger row) and notifies; a decline fails the payment and notifies.
 */
export function settleDana(deps: DanaDeps, p: DanaPayment, decision: 'approve' | 'decline'): DanaOutcome {
  const now = deps.sim.now();
  if (expireDanaIfDue(deps, p, now)) return { result: 'FAILED', reason: 'EXPIRED' };
  if (p.status !== '01') return { result: 'INVALID_STATE', status: p.status };
  if (decision === 'decline') {
    fail(deps, p, 'DECLINED');
    return { result: 'FAILED', reason: 'DECLINED' };
  }
  deps.sim.store.postExternal({
    time: now,
    clientId: p.clientId,
    accountId: `DANA:${p.deviceId}`,
    kind: 'DANA_DEBIT',
    delta: -p.amount,
    partnerReferenceNo: p.partnerReferenceNo,
    referenceNo: p.referenceNo,
  });
  p.status = '00';
  p.paidTime = now;
  p.approvalCode = deps.sim.rng.digits(6);
  deps.sim.store.danaByPageToken.delete(p.pageToken);
  notify(deps, p, 'PURCHASE');
  return { result: 'SUCCESS' };
}

/** A client's DANA payment by DOKU reference, our reference or the original X-EXTERNAL-ID; each given one must match. */
export function findDana(
  sim: Sim,
  clientId: string,
  refs: { referenceNo?: string; partnerReferenceNo?: string; externalId?: string },
): DanaPayment | undefined {
  let p: DanaPayment | undefined;
  if (refs.referenceNo) p = sim.store.danaPayments.get(refs.referenceNo);
  else if (refs.partnerReferenceNo) {
    const hit = sim.store.findReference(clientId, `DANA${PAYMENT_SVC}`, refs.partnerReferenceNo);
    p = hit ? sim.store.danaPayments.get(hit.referenceNo) : undefined;
  } else if (refs.externalId) {
    p = [...sim.store.danaPayments.values()].find((x) => x.clientId === clientId && x.originalExternalId === refs.externalId);
  }
  if (!p || p.clientId !== clientId) return undefined;
  if (refs.partnerReferenceNo && p.partnerReferenceNo !== refs.partnerReferenceNo) return undefined;
  if (refs.externalId && p.originalExternalId !== refs.externalId) return undefined;
  return p;
}

const deps = (ctx: RequestContext): DanaDeps => ({ sim: ctx.sim, notifier: ctx.notifier });

/** DANA payment: an `01` payment and DANA's page as `webRedirectUrl`. */
export const danaPayment: Handler = (ctx) => {
  const { body, svc, sim, partner } = ctx;
  const device = checkDevice(ctx);
  validate(svc, body, [
    { path: 'partnerReferenceNo', kind: 'string', required: true, max: LEN.ref },
    { path: 'amount', kind: 'money', required: true },
    { path: 'urlParam', kind: 'array', required: true },
    { path: 'validUpTo', kind: 'datetime' },
    { path: 'pointOfInitiation', kind: 'string', max: 20, oneOf: ['app', 'pc', 'mweb'] },
    { path: 'additionalInfo', kind: 'object', required: true },
    { path: 'additionalInfo.channel', kind: 'string', required: true, oneOf: [CHANNEL] },
    { path: 'additionalInfo.orderTitle', kind: 'string', max: LEN.ref },
  ]);
  let returnUrl: string | undefined;
  (body.urlParam as unknown[]).forEach((item, i) => {
    if (!isObject(item)) throw errors.invalidFormat(svc, `urlParam[${i}]`);
    validate(svc, item, [
      { path: 'url', kind: 'string', required: true, max: 255, pattern: /^[a-z][a-z0-9+.-]*:\/\/\S+$/i },
      { path: 'type', kind: 'string', required: true, oneOf: ['PAY_RETURN'] },
      { path: 'isDeepLink', kind: 'string', required: true, oneOf: ['Y', 'N'] },
    ]);
    returnUrl ??= item.url as string;
  });
  const partnerReferenceNo = body.partnerReferenceNo as string;
  const amount = amountOf(body, 'amount') as bigint;
  const fp = fingerprint({ amount, channel: CHANNEL });
  assertNewReference(ctx, `DANA${PAYMENT_SVC}`, partnerReferenceNo, fp);
  assertAmount(ctx, amount);
  const validUpTo = str(body, 'validUpTo') ? (parseRfc3339(body.validUpTo as string) as number) : undefined;
  if (validUpTo !== undefined && validUpTo <= ctx.now) throw errors.expired(svc);

  const referenceNo = sim.newReferenceNo();
  const p: DanaPayment = {
    kind: 'DANA',
    clientId: partner.clientId,
    partnerReferenceNo,
    referenceNo,
    originalExternalId: ctx.externalId,
    originalResponseCode: `200${svc}00`,
    amount,
    status: '01',
    createdAt: ctx.now,
    validUpTo,
    returnUrl,
    deviceId: device.deviceId,
    ipAddress: device.ipAddress,
    pointOfInitiation: str(body, 'pointOfInitiation'),
    orderTitle: str(body, 'additionalInfo.orderTitle'),
    pageToken: sim.newSecretToken(),
    refunds: [],
    refunded: 0n,
    fingerprint: fp,
  };
  sim.store.danaPayments.set(referenceNo, p);
  sim.store.danaByPageToken.set(p.pageToken, p);
  recordReference(ctx, `DANA${PAYMENT_SVC}`, partnerReferenceNo, fp, referenceNo);
  return {
    body: {
      webRedirectUrl: sim.pageUrl(PAGE_PATHS.danaPay, p.pageToken),
      partnerReferenceNo,
      referenceNo,
      additionalInfo: additionalInfoOf(body),
    },
  };
};

const ORIGINAL_REFS: FieldSpec[] = [
  { path: 'originalPartnerReferenceNo', kind: 'string', max: LEN.ref },
  { path: 'originalReferenceNo', kind: 'string', max: LEN.ref },
  { path: 'originalExternalId', kind: 'string', max: 36 },
  { path: 'additionalInfo', kind: 'object' },
];

/** DANA status query (`serviceCode` "55" as DOKU's SDKs send it; "54" accepted too). */
export const danaStatus: Handler = (ctx) =>
  answerStatusQuery(ctx, {
    refFields: ORIGINAL_REFS,
    moreFields: [{ path: 'amount', kind: 'money' }],
    find: (refs) => findDana(ctx.sim, ctx.partner.clientId, refs),
    expire: (p) => expireDanaIfDue(deps(ctx), p, ctx.now),
    options: (p) => ({
      originalResponseMessage: 'Successful',
      refundPartnerReferenceNo: true,
      additionalInfo: { deviceId: p.deviceId, channel: CHANNEL },
    }),
  });

/** DANA refund: partial or full; refunds of one payment never add up to more than was paid. */
export const danaRefund: Handler = (ctx) => {
  const { body, svc, sim, partner } = ctx;
  checkDevice(ctx);
  validate(svc, body, [
    ...ORIGINAL_REFS.map((s) => (s.path === 'originalPartnerReferenceNo' ? { ...s, required: true } : s)),
    { path: 'partnerRefundNo', kind: 'string', required: true, max: LEN.ref },
    { path: 'refundAmount', kind: 'money', required: true },
    { path: 'reason', kind: 'string', max: 255 },
    { path: 'additionalInfo.channel', kind: 'string', required: true, oneOf: [CHANNEL] },
  ]);
  const partnerRefundNo = body.partnerRefundNo as string;
  const amount = amountOf(body, 'refundAmount') as bigint;
  const refs = originalRefsOf(body);
  const fp = fingerprint({ purchase: refs.partnerReferenceNo, amount });
  assertNewReference(ctx, `DANA${REFUND_SVC}`, partnerRefundNo, fp);
  const { payment: p } = openRefund(ctx, refs, amount, {
    find: (r) => findDana(sim, partner.clientId, r),
    expire: (payment) => expireDanaIfDue(deps(ctx), payment, ctx.now),
  });
  const refundNo = sim.newReferenceNo();
  sim.store.postExternal({
    time: ctx.now,
    clientId: p.clientId,
    accountId: `DANA:${p.deviceId}`,
    kind: 'DANA_REFUND_CREDIT',
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
  recordReference(ctx, `DANA${REFUND_SVC}`, partnerRefundNo, fp, p.referenceNo);
  notify(deps(ctx), p, 'REFUND', { partnerRefundNo, refundNo, refundAmount: money(amount) });
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
