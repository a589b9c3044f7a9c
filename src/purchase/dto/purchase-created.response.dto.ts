import { ApiProperty } from '@nestjs/swagger';
import { PAYMENT_METHODS, PaymentMethod } from '../../transactions/payment-method';
import { TRANSACTION_STATUSES, TransactionStatus } from '../../transactions/transaction-state';

/**
 * The answer to a new purchase: 201 with the DOKU PIN page to open (status PENDING until the user
 * confirms), or 202 with status UNKNOWN when DOKU's answer was lost: poll `GET` on the purchase.
 */
export class PurchaseCreatedResponseDto {
  @ApiProperty({ example: '3f2a6c1e-8b9d-4e0f-a1b2-c3d4e5f60718' })
  id: string;

  @ApiProperty({ example: 'PENDING', enum: TRANSACTION_STATUSES })
  status: TransactionStatus;

  @ApiProperty({ example: 50000, description: 'Whole rupiah' })
  amount: number;

  @ApiProperty({ example: 'DOKU_WALLET', enum: PAYMENT_METHODS })
  paymentMethod: PaymentMethod;

  @ApiProperty({
    example: 'https://sandbox.doku.com/wallet/pay?token=abc',
    nullable: true,
    type: String,
    description: "Open it so the user pays: DOKU's PIN page (DOKU_WALLET) or DANA's page (DANA); null when status is UNKNOWN",
  })
  webRedirectUrl: string | null;
}
