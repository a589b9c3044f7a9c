import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import type { AuditRow } from '../audit-chain';

export class AuditActorResponseDto {
  @ApiProperty({ enum: ['user', 'cli', 'service', 'system'], example: 'user' })
  kind: 'user' | 'cli' | 'service' | 'system';

  @ApiProperty({ nullable: true, type: String, example: '7d1f1a2e-3b4c-4d5e-8f90-1a2b3c4d5e6f' })
  id: string | null;

  @ApiProperty({ nullable: true, type: String, example: 'finance' })
  role: string | null;

  @ApiProperty({ nullable: true, type: String, example: '203.0.113.7' })
  ip: string | null;

  @ApiProperty({ nullable: true, type: String, example: 'Mozilla/5.0' })
  userAgent: string | null;

  @ApiProperty({ nullable: true, type: String, example: '0b6f8d1e-4c52-4f0e-9d2f-3f1c7a2b9e10' })
  requestId: string | null;
}

export class AuditEntryResponseDto {
  @ApiProperty({ example: 42, description: 'Position in the chain, from 1' })
  seq: number;

  @ApiProperty({ example: '2026-12-04T10:00:00.000Z' })
  occurredAt: string;

  @ApiProperty({ type: AuditActorResponseDto })
  actor: AuditActorResponseDto;

  @ApiProperty({ example: 'refund.requested' })
  action: string;

  @ApiProperty({ example: 'purchase' })
  targetType: string;

  @ApiProperty({ nullable: true, type: String, example: '7d1f1a2e-3b4c-4d5e-8f90-1a2b3c4d5e6f' })
  targetId: string | null;

  @ApiPropertyOptional({ description: 'The state before, secrets masked', type: Object, nullable: true, example: { role: 'support' } })
  before: unknown;

  @ApiPropertyOptional({ description: 'The state after, secrets masked', type: Object, nullable: true, example: { role: 'finance' } })
  after: unknown;

  @ApiProperty({ example: '0'.repeat(64) })
  prevHash: string;

  @ApiProperty({ example: 'a3f1…', description: 'SHA-256 over the row and the hash before it' })
  hash: string;

  static from(row: AuditRow): AuditEntryResponseDto {
    return {
      seq: row.seq,
      occurredAt: row.occurredAt.toISOString(),
      actor: { ...row.actor },
      action: row.action,
      targetType: row.target.type,
      targetId: row.target.id,
      before: row.before,
      after: row.after,
      prevHash: row.prevHash,
      hash: row.hash,
    };
  }
}

export class AuditPageResponseDto {
  @ApiProperty({ type: [AuditEntryResponseDto] })
  items: AuditEntryResponseDto[];

  @ApiProperty({ example: 1 })
  page: number;

  @ApiProperty({ example: 20 })
  pageSize: number;

  @ApiProperty({ example: 1 })
  total: number;
}
