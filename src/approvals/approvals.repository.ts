import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';

export const APPROVAL_KINDS = ['REFUND', 'RESOLUTION'] as const;
export type ApprovalKind = (typeof APPROVAL_KINDS)[number];
export const APPROVAL_STATUSES = ['PENDING', 'APPROVED', 'EXECUTED', 'REJECTED', 'FAILED'] as const;
export type ApprovalStatus = (typeof APPROVAL_STATUSES)[number];

/** A back-office action one person asked for and another must approve before it is carried out. */
export interface Approval {
  id: string;
  kind: ApprovalKind;
  status: ApprovalStatus;
  /** The purchase to refund, or the transaction to settle. */
  targetId: string;
  amount: bigint | null;
  /** What to carry out: the refund's amount and reason, or the resolution's status and reason. */
  payload: Record<string, unknown>;
  reason: string;
  requestedBy: string;
  requestedRole: string;
  decidedBy: string | null;
  decidedAt: Date | null;
  decisionNote: string | null;
  resultStatus: number | null;
  resultBody: unknown;
  createdAt: Date;
  updatedAt: Date;
}

interface ApprovalRow {
  id: string;
  kind: ApprovalKind;
  status: ApprovalStatus;
  target_id: string;
  amount: string | null;
  payload: Record<string, unknown>;
  reason: string;
  requested_by: string;
  requested_role: string;
  decided_by: string | null;
  decided_at: Date | null;
  decision_note: string | null;
  result_status: number | null;
  result_body: unknown;
  created_at: Date;
  updated_at: Date;
}

function fromRow(r: ApprovalRow): Approval {
  return {
    id: r.id,
    kind: r.kind,
    status: r.status,
    targetId: r.target_id,
    amount: r.amount === null ? null : BigInt(r.amount),
    payload: r.payload,
    reason: r.reason,
    requestedBy: r.requested_by,
    requestedRole: r.requested_role,
    decidedBy: r.decided_by,
    decidedAt: r.decided_at,
    decisionNote: r.decision_note,
    resultStatus: r.result_status,
    resultBody: r.result_body,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

/** TypeORM answers an UPDATE … RETURNING as `[rows, affected]`. */
function updatedRows(result: unknown): ApprovalRow[] {
  return (Array.isArray(result) && Array.isArray(result[0]) ? result[0] : result) as ApprovalRow[];
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The `approvals` table. */
@Injectable()
export class ApprovalsRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  async create(
    tx: EntityManager,
    input: {
      kind: ApprovalKind;
      targetId: string;
      amount: bigint | null;
      payload: Record<string, unknown>;
      reason: string;
      requestedBy: string;
      requestedRole: string;
    },
  ): Promise<Approval | null> {
    const rows = await tx.query<ApprovalRow[]>(
      `INSERT INTO approvals (kind, status, target_id, amount, payload, reason, requested_by, requested_role)
       VALUES ($1, 'PENDING', $2, $3, $4::jsonb, $5, $6, $7)
       ON CONFLICT (target_id) WHERE kind = 'RESOLUTION' AND status IN ('PENDING', 'APPROVED') DO NOTHING
       RETURNING *`,
      [
        input.kind,
        input.targetId,
        input.amount?.toString() ?? null,
        JSON.stringify(input.payload),
        input.reason,
        input.requestedBy,
        input.requestedRole,
      ],
    );
    return rows.length > 0 ? fromRow(rows[0]) : null;
  }

  async find(id: string, tx?: EntityManager): Promise<Approval | null> {
    if (!UUID.test(id)) return null;
    const rows = await (tx ?? this.db).query<ApprovalRow[]>(`SELECT * FROM approvals WHERE id = $1`, [id]);
    return rows.length > 0 ? fromRow(rows[0]) : null;
  }

  async lock(tx: EntityManager, id: string): Promise<Approval | null> {
    if (!UUID.test(id)) return null;
    const rows = await tx.query<ApprovalRow[]>(`SELECT * FROM approvals WHERE id = $1 FOR UPDATE`, [id]);
    return rows.length > 0 ? fromRow(rows[0]) : null;
  }

  async decide(tx: EntityManager, id: string, status: 'APPROVED' | 'REJECTED', decidedBy: string, note: string | null): Promise<Approval> {
    const rows = updatedRows(
      await tx.query(
        `UPDATE approvals SET status = $2, decided_by = $3, decided_at = now(), decision_note = $4, updated_at = now()
        WHERE id = $1 RETURNING *`,
        [id, status, decidedBy, note],
      ),
    );
    return fromRow(rows[0]);
  }

  /** Records the outcome of an approved action; only the first outcome counts (null when already recorded). */
  async finish(
    tx: EntityManager,
    id: string,
    status: 'EXECUTED' | 'FAILED',
    resultStatus: number,
    resultBody: unknown,
  ): Promise<Approval | null> {
    const rows = updatedRows(
      await tx.query(
        `UPDATE approvals SET status = $2, result_status = $3, result_body = $4::jsonb, updated_at = now()
        WHERE id = $1 AND status = 'APPROVED' RETURNING *`,
        [id, status, resultStatus, JSON.stringify(resultBody ?? null)],
      ),
    );
    return rows.length > 0 ? fromRow(rows[0]) : null;
  }

  /** Records an action carried out in the same transaction as the approval itself. */
  async executed(
    tx: EntityManager,
    id: string,
    decidedBy: string,
    note: string | null,
    resultStatus: number,
    resultBody: unknown,
  ): Promise<Approval> {
    const rows = updatedRows(
      await tx.query(
        `UPDATE approvals SET status = 'EXECUTED', decided_by = $2, decided_at = now(), decision_note = $3,
              result_status = $4, result_body = $5::jsonb, updated_at = now()
        WHERE id = $1 RETURNING *`,
        [id, decidedBy, note, resultStatus, JSON.stringify(resultBody ?? null)],
      ),
    );
    return fromRow(rows[0]);
  }

  async list(
    filter: { status?: ApprovalStatus; kind?: ApprovalKind },
    page: number,
    pageSize: number,
  ): Promise<{ approvals: Approval[]; total: number }> {
    const where: string[] = [];
    const params: unknown[] = [];
    if (filter.status) {
      params.push(filter.status);
      where.push(`status = $${params.length}`);
    }
    if (filter.kind) {
      params.push(filter.kind);
      where.push(`kind = $${params.length}`);
    }
    const clause = where.length > 0 ? `WHERE ${where.join(' AND ')}` : '';
    const [{ total }] = await this.db.query<{ total: number }[]>(`SELECT count(*)::int AS total FROM approvals ${clause}`, params);
    const rows = await this.db.query<ApprovalRow[]>(
      `SELECT * FROM approvals ${clause} ORDER BY created_at DESC, id DESC LIMIT $${params.length + 1} OFFSET $${params.length + 2}`,
      [...params, pageSize, (page - 1) * pageSize],
    );
    return { approvals: rows.map(fromRow), total };
  }
}
