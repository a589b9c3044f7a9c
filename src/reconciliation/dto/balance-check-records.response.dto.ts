import { ApiProperty } from '@nestjs/swagger';
import { BalanceCheckTransactionResponseDto } from './balance-check-transaction.response.dto';

/** What our records say moved through the wallet (SUCCESS only, whole history), in whole rupiah. */
export class BalanceCheckRecordsResponseDto {
  @ApiProperty({ example: 150000, description: 'Successful top-ups (credits)' })
  topUps: number;

  @ApiProperty({ example: 50000, description: 'Successful purchases (debits; canceled ones gave the money back and are not counted)' })
  purchases: number;

  @ApiProperty({ example: 10000, description: 'Successful refunds (credits)' })
  refunds: number;

  @ApiProperty({ example: 20000, description: 'Successful bank transfers (debits)' })
  bankTransfers: number;

  @ApiProperty({ example: 90000, description: 'topUps - purchases + refunds - bankTransfers' })
  net: number;

  @ApiProperty({
    type: [BalanceCheckTransactionResponseDto],
    description: 'Our PENDING and UNKNOWN transactions: not in `net`, their outcome is not known yet',
  })
  unresolved: BalanceCheckTransactionResponseDto[];
}
