import { ApiProperty } from '@nestjs/swagger';
import { WALLET_STATUSES, Wallet, WalletStatus } from '../entities/wallet.entity';
import { maskAccountId, maskPhone } from '../wallet-masking';

export class WalletResponseDto {
  @ApiProperty({ example: 'BOUND', enum: WALLET_STATUSES })
  status: WalletStatus;

  @ApiProperty({ example: '******0010', nullable: true, description: 'DOKU account id, masked' })
  accountId: string | null;

  @ApiProperty({ example: '6281******890', nullable: true, description: 'Wallet phone, masked' })
  phone: string | null;

  @ApiProperty({ example: '2026-11-23T10:20:00.000Z', nullable: true })
  boundAt: string | null;

  static from(wallet: Wallet | null): WalletResponseDto {
    if (!wallet) return { status: 'NONE', accountId: null, phone: null, boundAt: null };
    return {
      status: wallet.status,
      accountId: maskAccountId(wallet.dokuAccountId),
      phone: maskPhone(wallet.phone),
      boundAt: wallet.status === 'BOUND' && wallet.boundAt ? wallet.boundAt.toISOString() : null,
    };
  }
}
