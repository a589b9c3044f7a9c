import { ApiProperty } from '@nestjs/swagger';
import { ACCOUNT_LEVELS } from '../../config/limits-config';
import type { AccountLevel } from '../../config/limits-config';

/** What one counter of the current periods holds. */
export class LimitCounterResponseDto {
  @ApiProperty({ example: 'day:DOKU_WALLET:user', description: 'day:<channel>:<caller>, hour:<channel>:<caller>, month:in or pending:in' })
  counter: string;

  @ApiProperty({ example: '2026-12-04', description: 'The Asia/Jakarta day, hour or month; "-" for pending:in' })
  period: string;

  @ApiProperty({ example: 150000, description: 'Rupiah counted (PENDING, UNKNOWN and SUCCESS)' })
  amount: number;

  @ApiProperty({ example: 3, description: 'Operations counted' })
  count: number;
}

/** A user's e-money level and what the current periods have counted (docs/limits.md). */
export class EmoneyLimitsResponseDto {
  @ApiProperty({ example: '7d1f1a2e-3b4c-4d5e-8f90-1a2b3c4d5e6f' })
  userId: string;

  @ApiProperty({ enum: ACCOUNT_LEVELS, example: 'UNREGISTERED' })
  level: AccountLevel;

  @ApiProperty({ example: true, description: 'False when the level is the configured default, not one the partner set' })
  levelSet: boolean;

  @ApiProperty({ example: 2000000, nullable: true, type: Number, description: 'Largest balance of this level; null: no limit' })
  maxBalance: number | null;

  @ApiProperty({ example: 40000000, nullable: true, type: Number, description: 'Largest incoming total of a month; null: no limit' })
  monthlyIncoming: number | null;

  @ApiProperty({ type: [LimitCounterResponseDto], description: 'The counters of this day, hour and month, and the pending top-ups' })
  counters: LimitCounterResponseDto[];
}
