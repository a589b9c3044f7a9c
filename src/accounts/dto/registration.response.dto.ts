import { ApiProperty } from '@nestjs/swagger';
import { REGISTRATION_STATUSES, RegistrationStatus, WalletRegistration } from '../entities/wallet-registration.entity';
import { maskPhone } from '../wallet-masking';
import { OTP_MAX_ATTEMPTS, OTP_MAX_RESENDS, OTP_RESEND_INTERVAL_SECONDS } from '../wallet-otp.policy';

export class RegistrationResponseDto {
  @ApiProperty({ example: '0b6c3f0e-8f2c-4a51-9d3e-2f7b1c9a4e21' })
  id: string;

  @ApiProperty({ example: 'OTP_SENT', enum: REGISTRATION_STATUSES })
  status: RegistrationStatus;

  @ApiProperty({ example: '6281******890', description: 'The phone the OTP was sent to, masked' })
  phone: string;

  @ApiProperty({ example: 2, description: 'Wrong OTPs still allowed' })
  otpAttemptsLeft: number;

  @ApiProperty({ example: 2, description: 'OTP resends still allowed' })
  resendsLeft: number;

  @ApiProperty({ example: '2026-11-23T10:16:30.000Z', nullable: true, description: 'Earliest time for an OTP resend' })
  resendAvailableAt: string | null;

  @ApiProperty({ example: '2026-11-23T10:15:30.000Z' })
  createdAt: string;

  static from(r: WalletRegistration): RegistrationResponseDto {
    return {
      id: r.id,
      status: r.status,
      phone: maskPhone(r.phone) ?? '',
      otpAttemptsLeft: Math.max(0, OTP_MAX_ATTEMPTS - r.otpFailedAttempts),
      resendsLeft: Math.max(0, OTP_MAX_RESENDS - r.otpResends),
      resendAvailableAt: r.lastOtpSentAt ? new Date(r.lastOtpSentAt.getTime() + OTP_RESEND_INTERVAL_SECONDS * 1000).toISOString() : null,
      createdAt: r.createdAt.toISOString(),
    };
  }
}
