import { ApiProperty } from '@nestjs/swagger';
import { DokuHistoryViewDto, HistoryItemResponseDto } from './history-item.response.dto';

export class TransactionDetailResponseDto extends HistoryItemResponseDto {
  @ApiProperty({ example: null, nullable: true, type: String })
  failureCode: string | null;

  @ApiProperty({ example: '2026-11-23T10:15:31.000Z' })
  updatedAt: string;

  @ApiProperty({ example: 50000, nullable: true, type: Number, description: "DOKU's refunded amount, when DOKU reports one" })
  dokuRefundAmount: number | null;

  @ApiProperty({ example: true })
  dokuAvailable: boolean;

  @ApiProperty({ example: null, nullable: true, type: String })
  dokuError: string | null;

  declare doku: DokuHistoryViewDto | null;
}
