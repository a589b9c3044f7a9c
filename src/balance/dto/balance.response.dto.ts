import { ApiProperty } from '@nestjs/swagger';

export const ACCOUNT_STATUSES = ['ACTIVE', 'CLOSED', 'NEW', 'RESTRICTED', 'FROZEN', 'DORMANT', 'UNKNOWN'] as const;
export type AccountStatus = (typeof ACCOUNT_STATUSES)[number];

export class BalanceResponseDto {
  @ApiProperty({ example: 250000, description: 'Spendable rupiah (integer)' })
  available: number;

  @ApiProperty({ example: 250000, description: 'Ledger balance in rupiah (integer)' })
  ledger: number;

  @ApiProperty({ example: 0, description: 'Held rupiah (integer)' })
  hold: number;

  @ApiProperty({ example: 'IDR', enum: ['IDR'] })
  currency: 'IDR';

  @ApiProperty({ example: 'ACTIVE', enum: ACCOUNT_STATUSES, description: "DOKU account status (from DOKU's accountInfos[].status code)" })
  status: AccountStatus;
}
