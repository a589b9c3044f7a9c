import { errors } from '../../codes';
import { money, formatMoneyValue } from '../../money';
import type { Notifier } from '../../notifier';
import type { Sim } from '../../sim';
import type { Account, TopUp } from '../../store';
import { STATUS_DESC } from '../../store';
import { toJakartaIso } from '../../time';
import { additionalInfoOf, amountOf, LEN, str, validate } from '../../validate';
import { assertNewReference, fingerprint, mask, recordReference } from '../snap/common';
import type { Handler, RequestContext } from '../types';

const MIN_TOP_UP = 100n; // 1.00 IDR

function findCustomer(ctx: RequestContext): Account | undefined {
  const { body, sim } = ctx;
  const customerNumber = str(body, 'customerNumber');
  const accountId = str(body, 'additionalInfo.accountId');
  let account = customerNumber ? sim.store.accountByPhone(customerNumber) : undefined;
  if (customerNumber && !account) return undefined;
  if (accountId) {
    if (account && account.accountId !== accountId) return undefined;
    account ??= sim.store.accounts.get(accountId);
  }
  return account;
}

function checkCredit(ctx: RequestContext, account: Account, amount: bigint): void {
  if (amount < MIN_TOP_UP) throw errors.invalidAmount(ctx.svc);
  if (amount > ctx.sim.settings.transactionLimit) throw errors.amountLimit(ctx.svc);
  if (account.balance + amount > account.maxBalance) throw errors.amountLimit(ctx.svc);
  if (account.status !== 'ACTIVE') throw errors.doNotHonor(ctx.svc);
}

/** Account Inquiry Top Up. */
export const topUpInquiry: Handler = (ctx) => {
  const { body, svc, sim, partner } = ctx;
  validate(svc, body, [
    { path: 'partnerReferenceNo', kind: 'string', max: LEN.ref },
    { path: 'customerNumber', kind: 'string', max: LEN.customerNumber },
    { path: 'amount', kind: 'money', required: true },
    { path: 'transactionDate', kind: 'datetime' },
    { path: 'additionalInfo', kind: 'object' },
    { path: 'additionalInfo.accountId', kind: 'string', max: 36 },
  ]);
  if (!str(body, 'customerNumber') && !str(body, 'additionalInfo.accountId')) throw errors.missingField(svc, 'customerNumber');
  const account = findCustomer(ctx);
  if (!account) throw errors.invalidAccount(svc, 'customerNumber');
  const amount = amountOf(body, 'amount') as bigint;
  checkCredit(ctx, account, amount);
  const referenceNo = sim.newReferenceNo();
  const sessionId = sim.rng.alphanumeric(13).toUpperCase();
  sim.store.topUpInquiries.set(sessionId, {
    clientId: partner.clientId,
    referenceNo,
    sessionId,
    accountId: account.accountId,
    amount,
    createdAt: ctx.now,
  });
  return {
    body: {
      referenceNo,
      partnerReferenceNo: str(body, 'partnerReferenceNo') ?? '',
      sessionId,
      customerNumber: mask(account.phoneNo),
      customerName: account.name,
      customerMonthlyInLimit: formatMoneyValue(account.maxBalance).replace(/\.00$/, ''),
      minAmount: money(MIN_TOP_UP),
      maxAmount: money(sim.settings.transactionLimit),
      amount: money(amount),
      feeAmount: money(0n),
      feeType: 'OUR',
      additionalInfo: additionalInfoOf(body),
    },
  };
};

export function topUpNotification(t: TopUp, now: number): Record<string, unknown> {
  return {
    originalPartnerReferenceNo: t.partnerReferenceNo,
    originalReferenceNo: t.referenceNo,
    originalExternalId: t.originalExternalId,
    merchantId: t.clientId,
    amount: money(t.amount),
    latestTransactionStatus: t.status,
    transactionStatusDesc: STATUS_DESC[t.status],
    createdTime: toJakartaIso(t.createdAt),
    finishedTime: toJakartaIso(now),
    additionalInfo: { serviceCode: '38', eventType: 'TOP_UP' },
  };
}

/** Moves the money of a top-up: corporate balance → wallet. Returns false (status 06) when it cannot. */
export function settleTopUp(deps: { sim: Sim; notifier: Notifier }, t: TopUp): boolean {
  const { sim } = deps;
  const partner = sim.store.partners.get(t.clientId);
  const account = sim.store.accounts.get(t.accountId);
  if (!partner || !account || partner.corporateBalance < t.amount || account.balance + t.amount > account.maxBalance) {
    t.status = '06';
    t.failedReason = !partner || partner.corporateBalance < t.amount ? 'CORPORATE_BALANCE_INSUFFICIENT' : 'ACCOUNT_LIMIT';
    return false;
  }
  partner.corporateBalance -= t.amount;
  sim.store.post(account, {
    time: sim.now(),
    clientId: t.clientId,
    kind: 'TOPUP_CREDIT',
    delta: t.amount,
    partnerReferenceNo: t.partnerReferenceNo,
    referenceNo: t.referenceNo,
  });
  t.status = '00';
  deps.notifier.emit(partner, 'TOP_UP', topUpNotification(t, sim.now()));
  return true;
}

/** Account Top Up: funded by the partner's corporate balance. */
export const topUp: Handler = (ctx) => {
  const { body, svc, sim, partner } = ctx;
  validate(svc, body, [
    { path: 'partnerReferenceNo', kind: 'string', required: true, max: LEN.ref },
    { path: 'customerNumber', kind: 'string', max: LEN.customerNumber },
    { path: 'customerName', kind: 'string', max: 255 },
    { path: 'amount', kind: 'money' },
    { path: 'feeAmount', kind: 'money' },
    { path: 'transactionDate', kind: 'datetime' },
    { path: 'sessionId', kind: 'string', max: LEN.sessionId },
    { path: 'categoryId', kind: 'int', min: 0, max: 9_999_999_999 },
    { path: 'notes', kind: 'string', max: 255 },
    { path: 'additionalInfo', kind: 'object' },
    { path: 'additionalInfo.accountId', kind: 'string', max: 36 },
  ]);
  const session = str(body, 'sessionId') ? sim.store.topUpInquiries.get(body.sessionId as string) : undefined;
  if (str(body, 'sessionId') && (!session || session.clientId !== partner.clientId)) throw errors.invalidAccount(svc, 'sessionId');
  let account: Account | undefined;
  if (str(body, 'customerNumber') || str(body, 'additionalInfo.accountId')) {
    account = findCustomer(ctx);
    if (!account || (session && session.accountId !== account.accountId)) throw errors.invalidAccount(svc, 'customerNumber');
  } else if (session) {
    account = sim.store.accounts.get(session.accountId);
  } else {
    throw errors.missingField(svc, 'customerNumber');
  }
  if (!account) throw errors.invalidAccount(svc, 'customerNumber');
  const amount = amountOf(body, 'amount') ?? session?.amount;
  if (amount === undefined) throw errors.missingField(svc, 'amount');
  const partnerReferenceNo = body.partnerReferenceNo as string;
  const fp = fingerprint({ amount, accountId: account.accountId });
  assertNewReference(ctx, svc, partnerReferenceNo, fp);
  checkCredit(ctx, account, amount);
  const referenceNo = sim.newReferenceNo();
  const t: TopUp = {
    kind: 'TOP_UP',
    clientId: partner.clientId,
    accountId: account.accountId,
    partnerReferenceNo,
    referenceNo,
    originalExternalId: ctx.externalId,
    sessionId: session?.sessionId,
    amount,
    status: '03',
    createdAt: ctx.now,
    fingerprint: fp,
  };
  sim.store.topUps.set(referenceNo, t);
  recordReference(ctx, svc, partnerReferenceNo, fp, referenceNo);
  if (partner.corporateBalance < amount) {
    t.status = '06';
    t.failedReason = 'CORPORATE_BALANCE_INSUFFICIENT';
    throw errors.insufficientFunds(svc);
  }
  const responseBody = {
    referenceNo,
    partnerReferenceNo,
    ...(t.sessionId ? { sessionId: t.sessionId } : {}),
    customerNumber: str(body, 'customerNumber') ?? account.phoneNo,
    amount: money(amount),
    additionalInfo: additionalInfoOf(body),
  };
  if (ctx.faults.pending) return { responseCode: `202${svc}00`, responseMessage: 'Request In Progress', body: responseBody };
  if (!settleTopUp(ctx, t)) throw errors.amountLimit(svc);
  return { body: responseBody };
};

/** Query Top Up. */
export const topUpStatus: Handler = (ctx) => {
  const { body, svc, sim, partner } = ctx;
  validate(svc, body, [
    { path: 'originalPartnerReferenceNo', kind: 'string', max: LEN.ref },
    { path: 'originalReferenceNo', kind: 'string', max: LEN.ref },
    { path: 'originalExternalId', kind: 'string', max: 64 },
    { path: 'serviceCode', kind: 'string', required: true, max: 2, oneOf: ['38'] },
    { path: 'additionalInfo', kind: 'object' },
  ]);
  const refNo = str(body, 'originalReferenceNo');
  const partnerRef = str(body, 'originalPartnerReferenceNo');
  const extId = str(body, 'originalExternalId');
  if (!refNo && !partnerRef && !extId) throw errors.missingField(svc, 'originalPartnerReferenceNo');
  const t = [...sim.store.topUps.values()].find(
    (x) =>
      x.clientId === partner.clientId &&
      (!refNo || x.referenceNo === refNo) &&
      (!partnerRef || x.partnerReferenceNo === partnerRef) &&
      (!extId || x.originalExternalId === extId),
  );
  // late-status: DOKU's status does not know a top-up it executed yet.
  if (!t || sim.statusLagging(t.createdAt)) {
    if (sim.settings.unknownQueryMode === 'notFound') throw errors.notFound(svc);
    return {
      body: {
        originalPartnerReferenceNo: partnerRef ?? '',
        originalReferenceNo: refNo ?? '',
        originalExternalId: extId ?? '',
        serviceCode: '38',
        latestTransactionStatus: '07',
        transactionStatusDesc: STATUS_DESC['07'],
        additionalInfo: additionalInfoOf(body),
      },
    };
  }
  return {
    body: {
      originalPartnerReferenceNo: t.partnerReferenceNo,
      originalReferenceNo: t.referenceNo,
      originalExternalId: t.originalExternalId,
      serviceCode: '38',
      amount: money(t.amount),
      latestTransactionStatus: t.status,
      transactionStatusDesc: STATUS_DESC[t.status],
      additionalInfo: additionalInfoOf(body),
    },
  };
};
