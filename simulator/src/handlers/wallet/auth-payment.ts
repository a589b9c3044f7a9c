import { errors } from '../../codes';
import { money } from '../../money';
import type { AuthHold } from '../../store';
import { toJakartaIso } from '../../time';
import { additionalInfoOf, amountOf, LEN, str, validate } from '../../validate';
import { assertActive, assertAmount, assertNewReference, fingerprint, recordReference, requireAccount } from '../snap/common';
import type { Handler, RequestContext } from '../types';

/** Auth Payment (service 63): places a hold; available = ledger − holds. */
export const authPayment: Handler = (ctx) => {
  const { body, svc, sim, partner } = ctx;
  validate(svc, body, [
    { path: 'partnerReferenceNo', kind: 'string', required: true, max: LEN.ref },
    { path: 'merchantId', kind: 'string', required: true, max: LEN.ref },
    { path: 'subMerchantId', kind: 'string', max: LEN.subMerchantId },
    { path: 'amount', kind: 'money', required: true },
    { path: 'feeType', kind: 'string', max: 25, oneOf: ['OUR', 'BEN', 'SHA'] },
    { path: 'mcc', kind: 'string', max: 32 },
    { path: 'productCode', kind: 'string', max: 64 },
    { path: 'title', kind: 'string', required: true, max: LEN.title },
    { path: 'items', kind: 'array' },
    { path: 'additionalInfo', kind: 'object' },
  ]);
  const account = requireAccount(ctx);
  const partnerReferenceNo = body.partnerReferenceNo as string;
  const amount = amountOf(body, 'amount') as bigint;
  const fp = fingerprint({ amount, accountId: account.accountId });
  assertNewReference(ctx, svc, partnerReferenceNo, fp);
  assertAmount(ctx, amount);
  assertActive(ctx, account);
  if (sim.store.available(account) < amount) throw errors.insufficientFunds(svc);
  const referenceNo = sim.newReferenceNo();
  const hold: AuthHold = {
    kind: 'AUTH',
    clientId: partner.clientId,
    accountId: account.accountId,
    partnerReferenceNo,
    referenceNo,
    merchantId: body.merchantId as string,
    title: body.title as string,
    amount,
    remaining: amount,
    captured: 0n,
    voided: 0n,
    closed: false,
    paidTime: ctx.now,
    captures: [],
    voids: [],
    fingerprint: fp,
  };
  account.held += amount;
  sim.store.auths.set(referenceNo, hold);
  recordReference(ctx, svc, partnerReferenceNo, fp, referenceNo);
  return {
    body: {
      referenceNo,
      partnerReferenceNo,
      amount: money(amount),
      paidTime: toJakartaIso(ctx.now),
      additionalInfo: additionalInfoOf(body),
    },
  };
};

function findHold(ctx: RequestContext): AuthHold {
  const hold = ctx.sim.store.auths.get(ctx.body.originalReferenceNo as string);
  if (
    !hold ||
    hold.clientId !== ctx.partner.clientId ||
    hold.partnerReferenceNo !== ctx.body.originalPartnerReferenceNo ||
    hold.accountId !== ctx.account?.accountId
  ) {
    throw errors.notFound(ctx.svc);
  }
  return hold;
}

const ORIGINALS = [
  { path: 'originalReferenceNo', kind: 'string', required: true, max: LEN.ref },
  { path: 'originalPartnerReferenceNo', kind: 'string', required: true, max: LEN.ref },
  { path: 'merchantId', kind: 'string', required: true, max: LEN.ref },
  { path: 'subMerchantId', kind: 'string', max: LEN.subMerchantId },
  { path: 'additionalInfo', kind: 'object' },
] as const;

function release(ctx: RequestContext, hold: AuthHold, amount: bigint): void {
  const account = ctx.sim.store.accounts.get(hold.accountId);
  if (account) account.held -= amount;
  hold.remaining -= amount;
}

/** Capture (service 65): debits part or all of the hold; `lastCapture:"TRUE"` releases the rest. */
export const authCapture: Handler = (ctx) => {
  const { body, svc, sim } = ctx;
  validate(svc, body, [
    ...ORIGINALS,
    { path: 'partnerCaptureNo', kind: 'string', required: true, max: LEN.ref },
    { path: 'captureAmount', kind: 'money' },
    { path: 'title', kind: 'string', required: true, max: LEN.title },
    { path: 'lastCapture', kind: 'string', max: 8, oneOf: ['TRUE', 'FALSE', 'true', 'false'] },
  ]);
  requireAccount(ctx);
  const partnerCaptureNo = body.partnerCaptureNo as string;
  const requested = amountOf(body, 'captureAmount');
  const fp = fingerprint({ hold: body.originalReferenceNo, amount: requested ?? 'REMAINING' });
  assertNewReference(ctx, svc, partnerCaptureNo, fp);
  const hold = findHold(ctx);
  if (hold.closed || hold.remaining === 0n) throw errors.notAllowed(svc);
  const amount = requested ?? hold.remaining;
  if (amount <= 0n || amount > hold.remaining) throw errors.invalidAmount(svc);
  const account = sim.store.accounts.get(hold.accountId);
  if (!account) throw errors.general(svc);
  release(ctx, hold, amount);
  sim.store.post(account, {
    time: ctx.now,
    clientId: hold.clientId,
    kind: 'CAPTURE_DEBIT',
    delta: -amount,
    partnerReferenceNo: partnerCaptureNo,
    referenceNo: hold.referenceNo,
  });
  hold.captured += amount;
  const captureNo = sim.newReferenceNo();
  hold.captures.push({ captureNo, partnerCaptureNo, amount, captureTime: ctx.now, fingerprint: fp });
  if (String(str(body, 'lastCapture')).toUpperCase() === 'TRUE' && hold.remaining > 0n) {
    hold.voided += hold.remaining;
    release(ctx, hold, hold.remaining);
  }
  if (hold.remaining === 0n) hold.closed = true;
  recordReference(ctx, svc, partnerCaptureNo, fp, captureNo);
  return {
    body: {
      captureNo,
      partnerCaptureNo,
      captureAmount: money(amount),
      captureTime: toJakartaIso(ctx.now),
      originalReferenceNo: hold.referenceNo,
      originalPartnerReferenceNo: hold.partnerReferenceNo,
      additionalInfo: additionalInfoOf(body),
    },
  };
};

/** Void (service 67): releases part or all of the remaining hold. */
export const authVoid: Handler = (ctx) => {
  const { body, svc, sim } = ctx;
  validate(svc, body, [
    ...ORIGINALS,
    { path: 'voidAmount', kind: 'money' },
    { path: 'partnerVoidNo', kind: 'string', required: true, max: LEN.ref },
    { path: 'voidRemainingAmount', kind: 'string', max: 8, oneOf: ['TRUE', 'FALSE', 'true', 'false'] },
    { path: 'reason', kind: 'string', max: LEN.reason },
  ]);
  requireAccount(ctx);
  const partnerVoidNo = body.partnerVoidNo as string;
  const requested = amountOf(body, 'voidAmount');
  const fp = fingerprint({ hold: body.originalReferenceNo, amount: requested ?? 'REMAINING' });
  assertNewReference(ctx, svc, partnerVoidNo, fp);
  const hold = findHold(ctx);
  if (hold.closed || hold.remaining === 0n) throw errors.notAllowed(svc);
  const voidRemaining = String(str(body, 'voidRemainingAmount')).toUpperCase() === 'TRUE';
  const amount = voidRemaining || requested === undefined ? hold.remaining : requested;
  if (amount <= 0n || amount > hold.remaining) throw errors.invalidAmount(svc);
  release(ctx, hold, amount);
  hold.voided += amount;
  if (hold.remaining === 0n) hold.closed = true;
  const voidNo = sim.newReferenceNo();
  hold.voids.push({ voidNo, partnerVoidNo, amount, voidTime: ctx.now, fingerprint: fp });
  recordReference(ctx, svc, partnerVoidNo, fp, voidNo);
  return {
    body: {
      voidNo,
      partnerVoidNo,
      voidAmount: money(amount),
      voidTime: toJakartaIso(ctx.now),
      originalReferenceNo: hold.referenceNo,
      originalPartnerReferenceNo: hold.partnerReferenceNo,
      additionalInfo: additionalInfoOf(body),
    },
  };
};
