import { createHash } from 'node:crypto';
import { errors, SnapError } from '../../codes';
import type { Account } from '../../store';
import { STATUS_DESC } from '../../store';
import type { Json } from '../../validate';
import { additionalInfoOf, str } from '../../validate';
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
