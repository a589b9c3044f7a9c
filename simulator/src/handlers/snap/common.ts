import { createHash } from 'node:crypto';
import { errors, SnapError } from '../../codes';
import { money } from '../../money';
import type { Account, RefundRecord, TxnStatus } from '../../store';
import { STATUS_DESC } from '../../store';
import { toJakartaIso } from '../../time';
import type { FieldSpec, Json } from '../../validate';
import { additionalInfoOf, str, validate } from '../../validate';
import type { RequestContext } from '../types';

export function ok(body: Record<string, unknown>): { body: Record<string, unknown> } {
  return { body };
}

/** A stable fingerprint of the business parameters of an operation (bigints as strings). */
export function fingerprint(value: unknown): string {
  return createHash('sha256')
    .update(JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v)))
    .digest('hex');
}

/**
 * Business idempotency (docs/doku-integration.md#business-references): a reference already used for this
 * operation is `409xx01` when the parameters match, `404xx18` (Inconsistent Request) when they differ.
 * Nothing is executed again.
 */
export function assertNewReference(ctx: RequestContext, service: string, ref: string, fp: string): void {
  const existing = ctx.sim.store.findReference(ctx.partner.clientId, service, ref);
  if (!existing) return;
  if (existing.fingerprint === fp) throw errors.duplicateReference(ctx.svc);
  throw errors.inconsistent(ctx.svc);
}

export function recordReference(ctx: RequestContext, service: string, ref: string, fp: string, referenceNo: string): void {
  ctx.sim.store.recordReference(ctx.partner.clientId, service, ref, fp, referenceNo);
}

/** Amount rules shared by money operations: positive, within the per-transaction limit. */
export function assertAmount(ctx: RequestContext, amount: bigint, limitCode: 'amountLimit' = 'amountLimit'): void {
  if (amount <= 0n) throw errors.invalidAmount(ctx.svc);
  if (amount > ctx.sim.settings.transactionLimit) throw errors[limitCode](ctx.svc);
}

export function assertActive(ctx: RequestContext, account: Account): void {
  if (account.status !== 'ACTIVE') throw errors.doNotHonor(ctx.svc, 'account blocked');
}

export function requireAccount(ctx: RequestContext): Account {
  if (!ctx.account) throw new SnapError(`401${ctx.svc}04`, 'Customer Token Not Found');
  return ctx.account;
}

/** `XXXXXXXXX7890`: masked customer number (as Account Inquiry Top Up answers it). */
export function mask(value: string): string {
  return value.length <= 4 ? value : `${'X'.repeat(value.length - 4)}${value.slice(-4)}`;
}

/** The references a status query (or a refund) names its original operation by. */
export interface OriginalRefs {
  referenceNo?: string;
  partnerReferenceNo?: string;
  externalId?: string;
}

export function originalRefsOf(body: Json): OriginalRefs {
  return {
    referenceNo: str(body, 'originalReferenceNo'),
    partnerReferenceNo: str(body, 'originalPartnerReferenceNo'),
    externalId: str(body, 'originalExternalId'),
  };
}

/**
 * A status query about an operation DOKU does not know (or not yet: late-status): 404 under the
 * `notFound` profile, otherwise a 200 with status "07" (not found), echoing the references asked for.
 */
export function unknownStatusAnswer(ctx: RequestContext, refs: OriginalRefs): { body: Json } {
  if (ctx.sim.settings.unknownQueryMode === 'notFound') throw errors.notFound(ctx.svc);
  return {
    body: {
      originalPartnerReferenceNo: refs.partnerReferenceNo ?? '',
      originalReferenceNo: refs.referenceNo ?? '',
      serviceCode: ctx.body.serviceCode,
      latestTransactionStatus: '07',
      transactionStatusDesc: STATUS_DESC['07'],
      additionalInfo: additionalInfoOf(ctx.body),
    },
  };
}

/** What a status query reports about a payment (a wallet purchase or a DANA payment). */
export interface StatusQueried {
  partnerReferenceNo: string;
  referenceNo: string;
  originalExternalId: string;
  approvalCode?: string;
  status: TxnStatus;
  originalResponseCode: string;
  refunds: RefundRecord[];
  amount: bigint;
  paidTime?: number;
}

export interface StatusAnswerOptions {
  /** The `originalResponseMessage` of the payment's own answer. */
  originalResponseMessage: string;
  /** Each refund line names our reference under `partnerReferenceNo` too (DOKU's SDK models it so). */
  refundPartnerReferenceNo?: boolean;
  additionalInfo: Json;
}

/** One line of a status answer's `refundHistory`. */
function refundHistoryLine(r: RefundRecord, options: StatusAnswerOptions): Record<string, unknown> {
  return {
    refundNo: r.refundNo,
    partnerRefundNo: r.partnerRefundNo,
    // SNAP names our reference partnerRefundNo, DOKU's SDK models partnerReferenceNo: DANA sends both.
    ...(options.refundPartnerReferenceNo ? { partnerReferenceNo: r.partnerRefundNo } : {}),
    refundAmount: money(r.amount),
    refundStatus: r.status,
    refundDate: toJakartaIso(r.refundTime),
    reason: r.reason ?? '',
  };
}

/**
 * The body of a status query's answer about a payment DOKU knows (Query Purchase, DANA status):
 * its references, status, original response, refund history (left out under the
 * `no-refund-history` profile: the field is optional in DOKU's samples), amounts and paid time.
 */
export function statusAnswerBody(ctx: RequestContext, p: StatusQueried, options: StatusAnswerOptions): Json {
  return {
    originalPartnerReferenceNo: p.partnerReferenceNo,
    originalReferenceNo: p.referenceNo,
    originalExternalId: p.originalExternalId,
    serviceCode: ctx.body.serviceCode,
    ...(p.approvalCode ? { approvalCode: p.approvalCode } : {}),
    latestTransactionStatus: p.status,
    transactionStatusDesc: STATUS_DESC[p.status],
    originalResponseCode: p.originalResponseCode,
    originalResponseMessage: options.originalResponseMessage,
    ...(ctx.sim.has('no-refund-history') ? {} : { refundHistory: p.refunds.map((r) => refundHistoryLine(r, options)) }),
    transAmount: money(p.amount),
    feeAmount: money(0n),
    ...(p.paidTime !== undefined ? { paidTime: toJakartaIso(p.paidTime) } : {}),
    additionalInfo: options.additionalInfo,
  };
}

export interface StatusQuery<P extends StatusQueried & { createdAt: number }> {
  /** The channel's fields naming the original payment (checked first), and any it checks after the service code and date. */
  refFields: FieldSpec[];
  moreFields?: FieldSpec[];
  find: (refs: OriginalRefs) => P | undefined;
  /** Expires the payment if its time is up, before it is reported. */
  expire: (p: P) => void;
  options: (p: P) => StatusAnswerOptions;
}

/**
 * A status query about a payment (Query Purchase, DANA status): the request checked, the payment
 * found by any of its references (late-status: not yet, while the status lags), expired if due, and
 * answered with `statusAnswerBody`; a payment DOKU does not know gets `unknownStatusAnswer`.
 */
export function answerStatusQuery<P extends StatusQueried & { createdAt: number }>(
  ctx: RequestContext,
  query: StatusQuery<P>,
): { body: Json } {
  const { body, svc, sim } = ctx;
  validate(svc, body, [
    ...query.refFields,
    { path: 'serviceCode', kind: 'string', required: true, max: 2, oneOf: ['54', '55'] },
    { path: 'transactionDate', kind: 'datetime' },
    ...(query.moreFields ?? []),
  ]);
  const refs = originalRefsOf(body);
  if (!refs.referenceNo && !refs.partnerReferenceNo && !refs.externalId) throw errors.missingField(svc, 'originalPartnerReferenceNo');
  const found = query.find(refs);
  // late-status: DOKU's status does not know a payment it has yet.
  const p = found && !sim.statusLagging(found.createdAt) ? found : undefined;
  if (!p) return unknownStatusAnswer(ctx, refs);
  query.expire(p);
  return { body: statusAnswerBody(ctx, p, query.options(p)) };
}

/** What a refund is checked against (a wallet purchase or a DANA payment). */
export interface RefundablePayment {
  status: TxnStatus;
  amount: bigint;
  refunded: bigint;
}

export interface RefundOpening<P extends RefundablePayment> {
  find: (refs: OriginalRefs) => P | undefined;
  /** Expires the payment if its time is up, before its status is checked. */
  expire: (p: P) => void;
}

/**
 * The opening of a refund (Refund Purchase, DANA refund), once the request is checked and its
 * reference is new: the payment found by its references (404 when DOKU does not know it), expired if
 * due, refundable only when paid or partly refunded, and the amount (all that
 * is left when none is asked for) positive and no more than what is left to refund.
 */
export function openRefund<P extends RefundablePayment>(
  ctx: RequestContext,
  refs: OriginalRefs,
  requested: bigint | undefined,
  opening: RefundOpening<P>,
): { payment: P; amount: bigint } {
  const payment = opening.find(refs);
  if (!payment) throw errors.notFound(ctx.svc);
  opening.expire(payment);
  if (payment.status !== '00' && payment.status !== '04') throw errors.invalidStatus(ctx.svc);
  const refundable = payment.amount - payment.refunded;
  const amount = requested ?? refundable;
  if (amount <= 0n || amount > refundable) throw errors.invalidAmount(ctx.svc);
  return { payment, amount };
}
