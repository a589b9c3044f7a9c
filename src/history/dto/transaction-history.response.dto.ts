import { ApiProperty } from '@nestjs/swagger';
import { HistoryItemResponseDto } from './history-item.response.dto';

export class TransactionHistoryResponseDto {
  @ApiProperty({ type: [HistoryItemResponseDto] })
  items: HistoryItemResponseDto[];

  @ApiProperty({ example: 1 })
  page: number;

  @ApiProperty({ example: 20 })
  pageSize: number;

  @ApiProperty({ example: false, description: 'More items exist after this page' })
  hasMore: boolean;

  @ApiProperty({ example: '2026-10-24T10:15:30.000Z' })
  from: string;

  @ApiProperty({ example: '2026-11-23T10:15:30.000Z' })
  to: string;

  @ApiProperty({ example: true, description: "False when DOKU's side could not be read: the items are ours only" })
  dokuAvailable: boolean;

  @ApiProperty({
    example: null,
    nullable: true,
    type: String,
    description: 'Why DOKU could not be read, e.g. DOKU.UNAVAILABLE or WALLET.NOT_BOUND',
  })
  dokuError: string | null;
}
