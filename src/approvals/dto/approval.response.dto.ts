import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import type { Approval } from '../approvals.repository';
import { APPROVAL_KINDS, APPROVAL_STATUSES } from '../approvals.repository';

export class ApprovalResultDto {
  @ApiProperty({ example: 201, description: 'The HTTP status the action answered' })
  status: number;

  @ApiProperty({
    type: Object,
    description: "The action's answer: the refund, the settled transaction, or an error body",
    example: { id: '9c1d…', purchaseId: '7d1f…', status: 'SUCCESS', amount: 2_500_000 },
  })
  body: unknown;
}

/** A maker-checker request and where it stands. */
export class ApprovalResponseDto {
  @ApiProperty({ example: '0b6f8d1e-4c52-4f0e-9d2f-3f1c7a2b9e10' })
  id: string;

  @ApiProperty({ enum: APPROVAL_KINDS, example: 'REFUND' })
  kind: string;

  @ApiProperty({
    enum: APPROVAL_STATUSES,
    example: 'PENDING',
    description:
      'PENDING until a second person decides; APPROVED while the action runs; EXECUTED with its result; REJECTED; FAILED when the action was refused',
  })
  status: string;

  @ApiProperty({ example: '7d1f1a2e-3b4c-4d5e-8f90-1a2b3c4d5e6f', description: 'The purchase to refund or the transaction to settle' })
  targetId: string;

  @ApiProperty({ nullable: true, type: Number, example: 2_500_000 })
  amount: number | null;

  @ApiProperty({ type: Object, example: { amount: 2_500_000, reason: 'Order canceled by the merchant' } })
  payload: Record<string, unknown>;

  @ApiProperty({ example: 'Order canceled by the merchant' })
  reason: string;

  @ApiProperty({ example: '7d1f1a2e-3b4c-4d5e-8f90-1a2b3c4d5e6f' })
  requestedBy: string;

  @ApiProperty({ example: 'finance' })
  requestedRole: string;

  @ApiProperty({ nullable: true, type: String, example: '1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d' })
  decidedBy: string | null;

  @ApiProperty({ nullable: true, type: String, example: '2026-12-04T10:00:00.000Z' })
  decidedAt: string | null;

  @ApiProperty({ nullable: true, type: String, example: 'Checked against the merchant ticket' })
  decisionNote: string | null;

  @ApiPropertyOptional({ type: ApprovalResultDto, nullable: true })
  result: ApprovalResultDto | null;

  @ApiProperty({ example: '2026-12-04T09:00:00.000Z' })
  createdAt: string;

  static from(a: Approval): ApprovalResponseDto {
    return {
      id: a.id,
      kind: a.kind,
      status: a.status,
      targetId: a.targetId,
      amount: a.amount === null ? null : Number(a.amount),
      payload: a.payload,
      reason: a.reason,
      requestedBy: a.requestedBy,
      requestedRole: a.requestedRole,
      decidedBy: a.decidedBy,
      decidedAt: a.decidedAt?.toISOString() ?? null,
      decisionNote: a.decisionNote,
      result: a.resultStatus === null ? null : { status: a.resultStatus, body: a.resultBody },
      createdAt: a.createdAt.toISOString(),
    };
  }
}

export class ApprovalPageResponseDto {
  @ApiProperty({ type: [ApprovalResponseDto] })
  items: ApprovalResponseDto[];

  @ApiProperty({ example: 1 })
  page: number;

  @ApiProperty({ example: 20 })
  pageSize: number;

  @ApiProperty({ example: 1 })
  total: number;
}
