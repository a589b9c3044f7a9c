import type { DataSource } from 'typeorm';
import type { SimulatorHandle } from '../../../simulator/src';

/** One of our transactions, as stored. */
export interface OurRecord {
  id: string;
  userId: string;
  type: string;
  status: string;
  amount: bigint;
  refundedAmount: bigint;
  partnerReferenceNo: string;
  parentId: string | null;
  /** The channel (docs/channels.md): DANA purchases are the simulator's DANA payments. */
  paymentMethod: string;
}

export interface ReconciliationEntry {
  reference: string;
  type: string;
  ours?: string;
  doku?: string;
  why?: string;
}

/** Our records against the simulator's, classified match / mismatch / missing / duplicate (docs/reliability.md#harness). */
export interface Reconciliation {
  match: number;
  mismatch: ReconciliationEntry[];
  /** At DOKU and not with us, or with us (not FAILED) and not at DOKU. */
  missing: ReconciliationEntry[];
  /** One reference twice on one side, or applied twice in DOKU's ledger. */
  duplicate: ReconciliationEntry[];
  /** Ours FAILED and unknown to DOKU: refused before DOKU recorded it (consistent, counted apart). */
  failedBeforeDoku: number;
  /** Money applied at DOKU that we do not show as applied (SUCCESS). */
  lost: number;
  /** References applied more than once in DOKU's ledger. */
  doubleApplied: number;
  /** Ours still PENDING or UNKNOWN. */
  unresolved: number;
}

const SIM_TYPE: Record<string, string> = { PURCHASE: 'PURCHASE', BANK_TRANSFER: 'TRANSFER', TOP_UP: 'TOP_UP' };

/** Whether our status says what DOKU's `latestTransactionStatus` says. */
function sameState(ours: string, doku: string): boolean {
  switch (ours) {
    case 'SUCCESS':
      return doku === '00' || doku === '04';
    case 'FAILED':
      return doku === '06';
    case 'CANCELED':
      return doku === '05';
    case 'PENDING':
      return doku === '01' || doku === '02' || doku === '03';
    default:
      return false;
  }
}

const toMinor = (value: string): bigint => {
  const [whole, frac = ''] = value.split('.');
  return BigInt(whole) * 100n + BigInt((frac + '00').slice(0, 2));
};

export async function ourRecords(db: DataSource): Promise<OurRecord[]> {
  const rows = await db.query<Array<Record<string, string | null>>>(
    `SELECT id, user_id, type, status, amount::text AS amount, refunded_amount::text AS refunded_amount, partner_reference_no, parent_id, payment_method FROM transactions`,
  );
  return rows.map((r) => ({
    id: r.id as string,
    userId: r.user_id as string,
    type: r.type as string,
    status: r.status as string,
    amount: BigInt(r.amount as string),
    refundedAmount: BigInt(r.refunded_amount as string),
    partnerReferenceNo: r.partner_reference_no as string,
    parentId: r.parent_id,
    paymentMethod: r.payment_method as string,
  }));
}

/**
 * Reconciles our transactions (purchases, bank transfers, top-ups and refunds) with the
 * simulator's business records and ledger for one partner.
 */
export async function reconcile(db: DataSource, sim: SimulatorHandle, clientId: string): Promise<Reconciliation> {
  const ours = await ourRecords(db);
  const out: Reconciliation = {
    match: 0,
    mismatch: [],
    missing: [],
    duplicate: [],
    failedBeforeDoku: 0,
    lost: 0,
    doubleApplied: 0,
    unresolved: 0,
  };

  // The DANA channel's payments are records of their own at the simulator (docs/channels.md).
  const danaRecords = sim.control.danaPayments({ clientId }).map((p) => ({
    type: 'DANA',
    partnerReferenceNo: p.partnerReferenceNo,
    status: p.status,
    amount: p.amount,
    detail: { refunds: p.refunds },
  }));
  const simRecords = [...sim.control.transactions({ clientId }), ...danaRecords];
  const simByKey = new Map<string, (typeof simRecords)[number][]>();
  for (const r of simRecords) {
    const k = `${r.type}|${r.partnerReferenceNo}`;
    simByKey.set(k, [...(simByKey.get(k) ?? []), r]);
  }
  const simRefunds = new Map<string, { amount: string; purchaseRef: string }[]>();
  for (const r of simRecords) {
    if (r.type !== 'PURCHASE' && r.type !== 'DANA') continue;
    for (const refund of (r.detail.refunds as Array<{ partnerRefundNo: string; amount: string }> | undefined) ?? []) {
      simRefunds.set(refund.partnerRefundNo, [
        ...(simRefunds.get(refund.partnerRefundNo) ?? []),
        { amount: refund.amount, purchaseRef: r.partnerReferenceNo },
      ]);
    }
  }

  // Ledger: a business reference applied more than once of one kind is a double application.
  const ledger = sim.control.ledger({ clientId });
  const applied = new Map<string, number>();
  for (const e of ledger.entries) {
    if (e.kind === 'ADMIN_SET') continue;
    const k = `${e.kind}|${e.partnerReferenceNo}`;
    applied.set(k, (applied.get(k) ?? 0) + 1);
  }
  for (const [k, n] of applied) {
    if (n > 1) {
      out.doubleApplied++;
      out.duplicate.push({ reference: k.split('|')[1], type: k.split('|')[0], why: `applied ${n} times in DOKU's ledger` });
    }
  }

  const seen = new Map<string, number>();
  for (const o of ours) {
    const k = `${o.type}|${o.partnerReferenceNo}`;
    seen.set(k, (seen.get(k) ?? 0) + 1);
  }
  for (const [k, n] of seen)
    if (n > 1) out.duplicate.push({ reference: k.split('|')[1], type: k.split('|')[0], why: `${n} of our records` });

  const matched = new Set<string>();
  for (const o of ours) {
    if (o.status === 'PENDING' || o.status === 'UNKNOWN') out.unresolved++;
    if (o.type === 'REFUND') {
      const found = simRefunds.get(o.partnerReferenceNo) ?? [];
      if (found.length > 1) out.duplicate.push({ reference: o.partnerReferenceNo, type: 'REFUND', why: 'refunded twice at DOKU' });
      const at = found[0];
      if (!at) {
        if (o.status === 'FAILED') out.failedBeforeDoku++;
        else out.missing.push({ reference: o.partnerReferenceNo, type: 'REFUND', ours: o.status });
      } else if (o.status === 'SUCCESS' && toMinor(at.amount) === o.amount * 100n) out.match++;
      else {
        if (o.status !== 'SUCCESS') out.lost++;
        out.mismatch.push({ reference: o.partnerReferenceNo, type: 'REFUND', ours: `${o.status} ${o.amount}`, doku: `00 ${at.amount}` });
      }
      continue;
    }
    const simType = o.type === 'PURCHASE' && o.paymentMethod === 'DANA' ? 'DANA' : SIM_TYPE[o.type];
    if (!simType) continue; // CANCEL: reflected in its purchase's status
    const k = `${simType}|${o.partnerReferenceNo}`;
    matched.add(k);
    const at = simByKey.get(k) ?? [];
    if (at.length > 1) out.duplicate.push({ reference: o.partnerReferenceNo, type: simType, why: `${at.length} records at DOKU` });
    const r = at[0];
    if (!r) {
      if (o.status === 'FAILED') out.failedBeforeDoku++;
      else out.missing.push({ reference: o.partnerReferenceNo, type: simType, ours: o.status, why: 'not at DOKU' });
      continue;
    }
    const amountOk = toMinor(r.amount) === o.amount * 100n;
    if (amountOk && sameState(o.status, r.status)) out.match++;
    else {
      if ((r.status === '00' || r.status === '04') && o.status !== 'SUCCESS') out.lost++;
      out.mismatch.push({
        reference: o.partnerReferenceNo,
        type: simType,
        ours: `${o.status} ${o.amount}`,
        doku: `${r.status} ${r.amount}`,
      });
    }
  }
  for (const [k, records] of simByKey) {
    if (matched.has(k)) continue;
    const r = records[0];
    if (r.type === 'AUTH') continue;
    if (r.status === '00' || r.status === '04') out.lost++;
    out.missing.push({ reference: r.partnerReferenceNo, type: r.type, doku: r.status, why: 'at DOKU, not with us' });
  }
  return out;
}

/**
 * Money invariants of our own records (every one must hold after any run):
 * amounts positive; refunded never above paid; a purchase's refunded amount is the sum of its
 * successful refunds; no reservation left on a settled refund; one transaction per business reference;
 * every COMPLETED idempotency key answers for at most one transaction, and no transaction has two keys.
 */
export async function invariantViolations(db: DataSource): Promise<string[]> {
  const checks: Array<[string, string]> = [
    ['amount <= 0', `SELECT id FROM transactions WHERE amount <= 0`],
    ['refunded above paid', `SELECT id FROM transactions WHERE refunded_amount < 0 OR refunded_amount + refund_reserved_amount > amount`],
    [
      'refunded amount differs from its successful refunds',
      `SELECT p.id FROM transactions p
         LEFT JOIN transactions r ON r.parent_id = p.id AND r.type = 'REFUND' AND r.status = 'SUCCESS'
        WHERE p.type = 'PURCHASE' GROUP BY p.id, p.refunded_amount HAVING p.refunded_amount <> COALESCE(SUM(r.amount), 0)`,
    ],
    [
      'reference used twice',
      `SELECT partner_reference_no FROM transactions WHERE type <> 'CANCEL' GROUP BY type, partner_reference_no HAVING COUNT(*) > 1`,
    ],
    [
      'transaction behind two keys',
      `SELECT transaction_id FROM idempotency_keys WHERE transaction_id IS NOT NULL GROUP BY transaction_id HAVING COUNT(*) > 1`,
    ],
    ['completed key without a response', `SELECT id FROM idempotency_keys WHERE status = 'COMPLETED' AND response_status IS NULL`],
    [
      'final state without finalized_at',
      `SELECT id FROM transactions WHERE status IN ('SUCCESS','FAILED','CANCELED') AND finalized_at IS NULL`,
    ],
  ];
  const out: string[] = [];
  for (const [name, sql] of checks) {
    const rows = await db.query<unknown[]>(sql);
    if (rows.length > 0) out.push(`${name}: ${rows.length} (${JSON.stringify(rows.slice(0, 3))})`);
  }
  return out;
}

/** A reconciliation as figures for the printed line. */
export function reconciliationFigures(r: Reconciliation): Record<string, number> {
  return {
    match: r.match,
    mismatch: r.mismatch.length,
    missing: r.missing.length,
    duplicate: r.duplicate.length,
    failedBeforeDoku: r.failedBeforeDoku,
    lost: r.lost,
    doubleApplied: r.doubleApplied,
    unresolved: r.unresolved,
  };
}

/** The breaks a run must not leave, whatever else it checks: compare with {@link NO_BREAKS}. */
export function reconciliationBreaks(
  r: Reconciliation,
): Pick<Reconciliation, 'mismatch' | 'missing' | 'duplicate' | 'lost' | 'doubleApplied'> {
  return { mismatch: r.mismatch, missing: r.missing, duplicate: r.duplicate, lost: r.lost, doubleApplied: r.doubleApplied };
}

export const NO_BREAKS: ReturnType<typeof reconciliationBreaks> = { mismatch: [], missing: [], duplicate: [], lost: 0, doubleApplied: 0 };
