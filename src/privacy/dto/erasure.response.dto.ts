import { ApiProperty } from '@nestjs/swagger';
import type { ErasureOutcome } from '../erasure.service';

export class ErasureResponseDto {
  @ApiProperty({ example: '3f0c2a4e-6d0b-4a3e-9a55-0b6a1d2c7e11' })
  erasureId: string;

  @ApiProperty({
    example: 'ERASED',
    enum: ['ERASED', 'AWAITING_UNBINDING_OTP'],
    description: 'AWAITING_UNBINDING_OTP: DOKU sent an OTP to confirm unbinding the wallet; call again with it',
  })
  status: 'ERASED' | 'AWAITING_UNBINDING_OTP';

  @ApiProperty({ example: 'Personal data erased; money records kept. This account can no longer sign in.' })
  message: string;

  @ApiProperty({ example: '2026-12-04T10:15:00.000Z' })
  requestedAt: string;

  @ApiProperty({ example: '2026-12-04T10:15:01.000Z', nullable: true })
  completedAt: string | null;

  @ApiProperty({
    type: 'object',
    additionalProperties: { type: 'integer' },
    example: { users: 1, auth_sessions: 2, wallet_registrations: 1, transactions_description: 3, doku_exchanges: 4 },
    description: 'Rows changed per table',
  })
  summary: Record<string, number>;

  static from(outcome: ErasureOutcome): ErasureResponseDto {
    const e = outcome.erasure;
    return {
      erasureId: e.id,
      status: outcome.status,
      message:
        outcome.status === 'ERASED'
          ? 'Personal data erased; money records kept. This account can no longer sign in.'
          : 'DOKU sent an OTP to the wallet’s phone to confirm unbinding: send the same request again with "otp"',
      requestedAt: e.requestedAt.toISOString(),
      completedAt: e.completedAt ? e.completedAt.toISOString() : null,
      summary: e.summary,
    };
  }
}
