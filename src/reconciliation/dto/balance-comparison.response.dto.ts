import { ApiProperty } from '@nestjs/swagger';

/**
 * DOKU's balance next to our net. Informational: a wallet can hold money that never went through
 * this app (the user's own top-ups, other merchants), so a difference alone proves nothing; the
 * per-transaction breaks are the signal.
 */
export class BalanceComparisonResponseDto {
  @ApiProperty({ example: 1090000, description: "DOKU's ledger balance (Balance Inquiry), whole rupiah" })
  dokuLedger: number;

  @ApiProperty({ example: 1090000, description: "DOKU's available balance (ledger minus holds), whole rupiah" })
  dokuAvailable: number;

  @ApiProperty({ example: 90000, description: 'Our net (records.net), whole rupiah' })
  recordedNet: number;

  @ApiProperty({ example: 1000000, description: 'dokuLedger - recordedNet: money in the wallet our records do not explain' })
  difference: number;
}
