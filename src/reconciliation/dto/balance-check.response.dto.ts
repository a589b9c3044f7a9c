import { ApiProperty } from '@nestjs/swagger';
import { BalanceBreakResponseDto } from './balance-break.response.dto';
import { BalanceCheckRecordsResponseDto } from './balance-check-records.response.dto';
import { BalanceComparisonResponseDto } from './balance-comparison.response.dto';

/** One user's records against DOKU's balance and history (last 30 days). */
export class BalanceCheckResponseDto {
  @ApiProperty({ example: '7d1f1a2e-3b4c-4d5e-8f90-1a2b3c4d5e6f' })
  userId: string;

  @ApiProperty({ example: '2026-11-23T10:15:30.000Z' })
  checkedAt: string;

  @ApiProperty({ example: '2026-10-24T10:15:30.000Z', description: "Start of the compared window of DOKU's history" })
  historyFrom: string;

  @ApiProperty({ example: '2026-11-23T10:15:30.000Z', description: "End of the compared window of DOKU's history" })
  historyTo: string;

  @ApiProperty({ example: 12, description: "Movements DOKU's history lists in the window" })
  dokuHistoryItems: number;

  @ApiProperty({ example: true, description: "False when DOKU's history had more pages than the check reads: breaks may be missing" })
  historyComplete: boolean;

  @ApiProperty({ type: BalanceCheckRecordsResponseDto })
  records: BalanceCheckRecordsResponseDto;

  @ApiProperty({ type: BalanceComparisonResponseDto })
  balance: BalanceComparisonResponseDto;

  @ApiProperty({ type: [BalanceBreakResponseDto] })
  breaks: BalanceBreakResponseDto[];

  @ApiProperty({ example: false, description: 'No breaks' })
  consistent: boolean;
}
