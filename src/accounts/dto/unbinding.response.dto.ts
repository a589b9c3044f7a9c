import { ApiProperty } from '@nestjs/swagger';
import { WALLET_STATUSES, WalletStatus } from '../entities/wallet.entity';

export class UnbindingResponseDto {
  @ApiProperty({ example: 'UNBOUND', enum: ['UNBINDING', 'UNBOUND'] })
  status: 'UNBINDING' | 'UNBOUND';

  @ApiProperty({ example: false, description: 'True when DOKU sent an OTP that must be confirmed with POST /v1/wallet/unbinding/otp' })
  otpRequired: boolean;

  @ApiProperty({ example: 'REGISTERED', enum: WALLET_STATUSES })
  walletStatus: WalletStatus;
}
