import { ApiProperty } from '@nestjs/swagger';

export class VerifiedRegistrationResponseDto {
  @ApiProperty({ example: '0b6c3f0e-8f2c-4a51-9d3e-2f7b1c9a4e21' })
  registrationId: string;

  @ApiProperty({ example: 'OTP_VERIFIED' })
  status: 'OTP_VERIFIED';

  @ApiProperty({
    example: 'https://sandbox.doku.com/create-pin?token=a1b2c3d4',
    description: "DOKU's create-PIN page with its one-time token: open it in a web view; DOKU then redirects to our callback",
  })
  pinPageUrl: string;
}
