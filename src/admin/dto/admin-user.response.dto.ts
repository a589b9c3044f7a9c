import { ApiProperty } from '@nestjs/swagger';
import { USER_ROLES, User, UserRole } from '../../users/entities/user.entity';
import { Wallet } from '../../accounts/entities/wallet.entity';
import { AdminWalletResponseDto } from './admin-wallet.response.dto';

export class AdminUserResponseDto {
  @ApiProperty({ example: '7d1f1a2e-3b4c-4d5e-8f90-1a2b3c4d5e6f' })
  id: string;

  @ApiProperty({ example: 'Siti Rahayu' })
  name: string;

  @ApiProperty({ example: 'siti@example.com' })
  email: string;

  @ApiProperty({ example: '6281234567890' })
  phone: string;

  @ApiProperty({ example: 'user', enum: USER_ROLES })
  role: UserRole;

  @ApiProperty({ example: true })
  active: boolean;

  @ApiProperty({ example: '2026-11-23T10:15:30.000Z' })
  createdAt: string;

  @ApiProperty({ type: AdminWalletResponseDto, nullable: true })
  wallet: AdminWalletResponseDto | null;

  @ApiProperty({ example: null, nullable: true, description: 'Until when sign-in is locked after repeated failures; null when it is not' })
  signInLockedUntil: string | null;

  static from(user: User, wallet: Wallet | null, signInLockedUntil: Date | null = null): AdminUserResponseDto {
    return {
      id: user.id,
      name: user.name,
      email: user.email,
      phone: user.phone,
      role: user.role,
      active: user.active,
      createdAt: user.createdAt.toISOString(),
      wallet: wallet ? AdminWalletResponseDto.from(wallet) : null,
      signInLockedUntil: signInLockedUntil ? new Date(signInLockedUntil).toISOString() : null,
    };
  }
}
