import { ApiProperty } from '@nestjs/swagger';
import {
  BINDING_FAILURE_REASONS,
  BINDING_STATUSES,
  BindingFailureReason,
  BindingStatus,
  WalletBinding,
} from '../entities/wallet-binding.entity';
import { REGISTRATION_STATUSES, RegistrationStatus, WalletRegistration } from '../entities/wallet-registration.entity';
import { WALLET_STATUSES, Wallet, WalletStatus } from '../entities/wallet.entity';
import { maskAccountId, maskPhone } from '../wallet-masking';

/** The user's latest binding attempt: linked, waiting, cancelled on DOKU's page, or failed and why. */
export class WalletBindingStateDto {
  @ApiProperty({ example: '5d0e2b4a-1c3f-4e6a-8b9d-0f1e2d3c4b5a' })
  id: string;

  @ApiProperty({ example: 'CANCELLED', enum: BINDING_STATUSES })
  status: BindingStatus;

  @ApiProperty({
    example: 'CUSTOMER_CANCELLED',
    enum: BINDING_FAILURE_REASONS,
    nullable: true,
    description: 'Why it did not link (FAILED or CANCELLED); bind again to retry',
  })
  failureReason: BindingFailureReason | null;

  @ApiProperty({ example: '2026-11-23T10:20:00.000Z' })
  updatedAt: string;

  static from(b: WalletBinding): WalletBindingStateDto {
    return { id: b.id, status: b.status, failureReason: b.failureReason, updatedAt: b.updatedAt.toISOString() };
  }
}

/** The user's latest registration attempt, with why it failed when it did. */
export class WalletRegistrationStateDto {
  @ApiProperty({ example: '0b6c3f0e-8f2c-4a51-9d3e-2f7b1c9a4e21' })
  id: string;

  @ApiProperty({ example: 'COMPLETED', enum: REGISTRATION_STATUSES })
  status: RegistrationStatus;

  @ApiProperty({ example: null, nullable: true, description: 'Why it failed or stopped (e.g. OTP.BLOCKED, WALLET.ACCOUNT_NOT_CREATED)' })
  failureCode: string | null;

  @ApiProperty({ example: '2026-11-23T10:20:00.000Z' })
  updatedAt: string;

  static from(r: WalletRegistration): WalletRegistrationStateDto {
    return { id: r.id, status: r.status, failureCode: r.failureCode, updatedAt: r.updatedAt.toISOString() };
  }
}

export class WalletResponseDto {
  @ApiProperty({ example: 'BOUND', enum: WALLET_STATUSES })
  status: WalletStatus;

  @ApiProperty({ example: '******0010', nullable: true, description: 'DOKU account id, masked' })
  accountId: string | null;

  @ApiProperty({ example: '6281******890', nullable: true, description: 'Wallet phone, masked' })
  phone: string | null;

  @ApiProperty({ example: '2026-11-23T10:20:00.000Z', nullable: true })
  boundAt: string | null;

  @ApiProperty({
    type: WalletBindingStateDto,
    nullable: true,
    description: 'The latest binding attempt, whatever its outcome',
    example: { id: '5d0e2b4a-1c3f-4e6a-8b9d-0f1e2d3c4b5a', status: 'ACTIVE', failureReason: null, updatedAt: '2026-11-23T10:20:00.000Z' },
  })
  binding: WalletBindingStateDto | null;

  @ApiProperty({
    type: WalletRegistrationStateDto,
    nullable: true,
    description: 'The latest registration attempt, whatever its outcome',
    example: { id: '0b6c3f0e-8f2c-4a51-9d3e-2f7b1c9a4e21', status: 'COMPLETED', failureCode: null, updatedAt: '2026-11-23T10:15:00.000Z' },
  })
  registration: WalletRegistrationStateDto | null;

  static from(
    wallet: Wallet | null,
    latest: { binding?: WalletBinding | null; registration?: WalletRegistration | null } = {},
  ): WalletResponseDto {
    const binding = latest.binding ? WalletBindingStateDto.from(latest.binding) : null;
    const registration = latest.registration ? WalletRegistrationStateDto.from(latest.registration) : null;
    if (!wallet) return { status: 'NONE', accountId: null, phone: null, boundAt: null, binding, registration };
    return {
      status: wallet.status,
      accountId: maskAccountId(wallet.dokuAccountId),
      phone: maskPhone(wallet.phone),
      boundAt: wallet.status === 'BOUND' && wallet.boundAt ? wallet.boundAt.toISOString() : null,
      binding,
      registration,
    };
  }
}
