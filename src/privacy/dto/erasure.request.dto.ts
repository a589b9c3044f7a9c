import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString, Matches } from 'class-validator';

export class ErasureRequestDto {
  @ApiPropertyOptional({
    example: '123456',
    description: 'The OTP DOKU sent to confirm unbinding the wallet, when the first call answered AWAITING_UNBINDING_OTP',
  })
  @IsOptional()
  @IsString()
  @Matches(/^\d{4,8}$/, { message: 'otp must be 4 to 8 digits' })
  otp?: string;
}

export class AdminErasureRequestDto extends ErasureRequestDto {
  @ApiProperty({
    example: 'SUP-2026-00417',
    description: "The support ticket's reference (letters, digits and . _ : - only, never free text)",
  })
  @IsString()
  @Matches(/^[A-Za-z0-9._:-]{1,64}$/, { message: 'ticket must be 1 to 64 letters, digits or . _ : -' })
  ticket: string;
}
