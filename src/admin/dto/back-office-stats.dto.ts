import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, Max, Min } from 'class-validator';

export class BackOfficeStatsQueryDto {
  @ApiPropertyOptional({ example: 14, minimum: 1, maximum: 90, default: 14, description: 'How many days back, today (UTC) included' })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(90)
  days?: number;
}

export class DailyChannelStatsDto {
  @ApiProperty({ example: '2026-12-04', description: 'The day (UTC)' })
  day: string;

  @ApiProperty({ example: 'DOKU_WALLET', description: 'The channel (docs/channels.md)' })
  channel: string;

  @ApiProperty({ example: 12, description: 'Purchases created that day on that channel' })
  purchases: number;

  @ApiProperty({ example: 11, description: 'Of which succeeded' })
  succeeded: number;

  @ApiProperty({ example: 1_250_000, description: 'Rupiah of the purchases that succeeded' })
  volume: number;

  @ApiProperty({ example: 0.9167, description: 'succeeded / purchases' })
  successRate: number;
}

export class RefundStatsDto {
  @ApiProperty({ example: 3, description: 'Successful refunds created in the period' })
  refunds: number;

  @ApiProperty({ example: 150_000, description: 'Rupiah refunded by them' })
  refundedAmount: number;

  @ApiProperty({ example: 0.12, description: 'refundedAmount / the volume of successful purchases in the period (0 when there was none)' })
  refundRate: number;
}

export class OldestUnresolvedDto {
  @ApiProperty({ example: 2, description: 'Transactions waiting for the back office (flagged, still PENDING or UNKNOWN)' })
  waiting: number;

  @ApiProperty({ nullable: true, type: String, example: '5e0c2f1a-7b3d-4e8f-9a1b-2c3d4e5f6a7b' })
  oldestId: string | null;

  @ApiProperty({ nullable: true, type: Number, example: 5400, description: "Seconds since the oldest one's creation" })
  oldestAgeSeconds: number | null;

  @ApiProperty({ example: 1, description: 'Maker-checker requests waiting for a second person' })
  pendingApprovals: number;

  @ApiProperty({ nullable: true, type: Number, example: 600, description: 'Seconds since the oldest pending request' })
  oldestApprovalAgeSeconds: number | null;
}

export class BackOfficeStatsResponseDto {
  @ApiProperty({ example: 14 })
  days: number;

  @ApiProperty({ type: [DailyChannelStatsDto], description: 'Per day and channel, oldest first; days without purchases are absent' })
  daily: DailyChannelStatsDto[];

  @ApiProperty({ type: RefundStatsDto })
  refunds: RefundStatsDto;

  @ApiProperty({ type: OldestUnresolvedDto })
  unresolved: OldestUnresolvedDto;
}
