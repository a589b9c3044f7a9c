import { ApiProperty } from '@nestjs/swagger';
import { IsString, Matches } from 'class-validator';

export class VerifyOtpRequestDto {
  @ApiProperty({ example: '123456', description: 'The OTP DOKU sent by SMS (4 to 8 digits)' })
  @IsString()
  @Matches(/^\d{4,8}$/, { message: 'otp must be 4 to 8 digits' })
  otp: string;
}
