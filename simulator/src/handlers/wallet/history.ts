import { errors } from '../../codes';
import { money } from '../../money';
import type { Account, TxnStatus } from '../../store';
import { parseRfc3339, toJakartaIso } from '../../time';
import { additionalInfoOf, intOf, LEN, str, validate } from '../../validate';
import type { Handler, RequestContext } from '../types';

/** One row of the customer's history. */
interface HistoryItem {
  time: number;
  partnerReferenceNo: string;
  referenceNo: string;
  amount: bigint;
  refundAmount?: bigint;
  cancelledTime?: number;
  remark: string;
  status: 'INIT' | 'SUCCESS' | 'CLOSED' | 'CANCELLED';
  type: 'PAYMENT' | 'REFUND' | 'TOP_UP' | 'DISBURSMENT';
  extra: Record<string, unknown>;
}

function historyStatus(s: TxnStatus): HistoryItem['status'] {
  switch (s) {
    case '00':
    case '04':
      return 'SUCCESS';
    case '05':
      return 'CANCELLED';
    case '06':
    case '07':
      return 'CLOSED';
    default:
      return 'INIT';
  }
}

function historyOf(ctx: RequestContext, account: Account): HistoryItem[] {
  const { sim, partner } = ctx;
  const items: HistoryItem[] = [];
  const mine = <T extends { clientId: string; accountId: string }>(x: T): boolean =>
    x.clientId === partner.clientId && x.accountId === account.accountId;
  for (const p of sim.store.purchases.values()) {
    if (!mine(p)) continue;
    items.push({
      time: p.paidTime ?? p.createdAt,
      partnerReferenceNo: p.partnerReferenceNo,
      referenceNo: p.referenceNo,
      amount: p.amount,
      refundAmount: p.refunded,
      cancelledTime: p.cancelTime,
      remark: p.remark ?? `Purchase ${p.partnerReferenceNo}`,
      status: historyStatus(p.status),
      type: 'PAYMENT',
      extra: { latestTransactionStatus: p.status },
    });
    for (const r of p.refunds) {
      items.push({
        time: r.refundTime,
        partnerReferenceNo: r.partnerRefundNo,
        referenceNo: r.refundNo,
        amount: r.amount,
        remark: r.reason ?? `Refund ${p.partnerReferenceNo}`,
        status: 'SUCCESS',
        type: 'REFUND',
        extra: { originalPartnerReferenceNo: p.partnerReferenceNo },
      });
    }
  }
  for (const t of sim.store.transfers.values()) {
    if (!mine(t)) continue;
    items.push({
      time: t.createdAt,
      partnerReferenceNo: t.partnerReferenceNo,
      referenceNo: t.referenceNo,
      amount: t.amount,
      remark: `Transfer to ${t.bankCode} ${t.beneficiaryAccountName}`,
      status: historyStatus(t.status),
      type: 'DISBURSMENT',
      extra: { beneficiaryBankCode: t.bankCode },
    });
  }
  for (const t of sim.store.topUps.values()) {
    if (!mine(t)) continue;
    items.push({
      time: t.createdAt,
      partnerReferenceNo: t.partnerReferenceNo,
      referenceNo: t.referenceNo,
      amount: t.amount,
      remark: 'Top up',
      status: historyStatus(t.status),
      type: 'TOP_UP',
      extra: {},
    });
  }
  for (const h of sim.store.auths.values()) {
    if (!mine(h)) continue;
    items.push({
      time: h.paidTime,
      partnerReferenceNo: h.partnerReferenceNo,
      referenceNo: h.referenceNo,
      amount: h.amount,
      remark: h.title,
      status: !h.closed ? 'INIT' : h.captured > 0n ? 'SUCCESS' : 'CANCELLED',
      type: 'PAYMENT',
      extra: { capturedAmount: money(h.captured), voidedAmount: money(h.voided) },
    });
  }
  return items.sort((a, b) => b.time - a.time || b.referenceNo.localeCompare(a.referenceNo));
}

function sourceOfFunds(amount: bigint): Array<Record<string, unknown>> {
  return [{ source: 'BALANCE', amount: money(amount) }];
}

const MONTH_MS = 31 * 86_400_000;

/** Transaction History List: newest first, pageSize ≤ 50, window ≤ 1 month. */
export const historyList: Handler = (ctx) => {
  const { body, svc, sim } = ctx;
  validate(svc, body, [
    { path: 'partnerReferenceNo', kind: 'string', max: LEN.ref },
    { path: 'fromDateTime', kind: 'datetime' },
    { path: 'toDateTime', kind: 'datetime' },
    { path: 'pageSize', kind: 'int', min: 1, max: 50 },
    { path: 'pageNumber', kind: 'int', min: 0, max: 99 },
    { path: 'additionalInfo', kind: 'object' },
  ]);
  const account = ctx.account as Account;
  const to = str(body, 'toDateTime') ? (parseRfc3339(body.toDateTime as string) as number) : ctx.now;
  const from = str(body, 'fromDateTime') ? (parseRfc3339(body.fromDateTime as string) as number) : to - MONTH_MS;
  if (from > to || to - from > MONTH_MS) throw errors.invalidFormat(svc, 'fromDateTime');
  const pageSize = intOf(body, 'pageSize') ?? 10;
  const pageNumber = intOf(body, 'pageNumber') ?? 0;
  const all = historyOf(ctx, account).filter((i) => i.time >= from && i.time <= to);
  const page = all.slice(pageNumber * pageSize, pageNumber * pageSize + pageSize);
  return {
    body: {
      referenceNo: sim.newReferenceNo(),
      partnerReferenceNo: str(body, 'partnerReferenceNo') ?? '',
      detailData: page.map((i) => ({
        dateTime: toJakartaIso(i.time),
        amount: money(i.amount),
        remark: i.remark.slice(0, 256),
        sourceOfFunds: sourceOfFunds(i.amount),
        status: i.status,
        type: i.type,
        additionalInfo: { partnerReferenceNo: i.partnerReferenceNo, referenceNo: i.referenceNo, ...i.extra },
      })),
      additionalInfo: { ...additionalInfoOf(body), totalCount: all.length },
    },
  };
};

/** Transaction History Detail: by the transaction's partner reference. */
export const historyDetail: Handler = (ctx) => {
  const { body, svc } = ctx;
  validate(svc, body, [
    { path: 'originalPartnerReferenceNo', kind: 'string', required: true, max: LEN.ref },
    { path: 'additionalInfo', kind: 'object' },
  ]);
  const account = ctx.account as Account;
  const item = historyOf(ctx, account).find((i) => i.partnerReferenceNo === body.originalPartnerReferenceNo);
  // late-status: DOKU's history does not show a transaction it executed yet.
  if (!item || ctx.sim.statusLagging(item.time)) throw errors.notFound(svc);
  return {
    body: {
      referenceNo: item.referenceNo,
      partnerReferenceNo: item.partnerReferenceNo,
      amount: money(item.amount),
      ...(item.cancelledTime !== undefined ? { cancelledTime: toJakartaIso(item.cancelledTime) } : {}),
      dateTime: toJakartaIso(item.time),
      ...(item.refundAmount !== undefined ? { refundAmount: money(item.refundAmount) } : {}),
      remark: item.remark.slice(0, 256),
      sourceOfFunds: sourceOfFunds(item.amount),
      status: item.status,
      type: item.type,
      additionalInfo: { ...additionalInfoOf(body), ...item.extra },
    },
  };
};
