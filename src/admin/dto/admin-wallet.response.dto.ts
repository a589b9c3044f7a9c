import { ApiProperty } from '@nestjs/swagger';
import { maskTail } from '../../integrations/doku/snap/doku-redaction';
import { Wallet, WALLET_STATUSES, WalletStatus } from '../../accounts/entities/wallet.entity';

export class AdminWalletResponseDto {
  @ApiProperty({ example: 'BOUND', enum: WALLET_STATUSES })
  status: WalletStatus;

  @ApiProperty({ example: '******0010', nullable: true, type: String, description: 'DOKU account id, masked' })
  accountId: string | null;

  @ApiProperty({ example: '6281234567890', nullable: true, type: String })
  phone: string | null;

  @ApiProperty({ example: '2026-11-23T10:15:30.000Z', nullable: true, type: String })
  boundAt: string | null;

  static from(w: Wallet): AdminWalletResponseDto {
    return {
      status: w.status,
      accountId: w.dokuAccountId ? maskTail(w.dokuAccountId) : null,
      phone: w.phone,
      boundAt: w.boundAt ? w.boundAt.toISOString() : null,
    };
  }
}
