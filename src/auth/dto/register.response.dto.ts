import { ApiProperty } from '@nestjs/swagger';

/**
 * The one answer to a registration, whether or not the email or phone number already has an
 * account: the answer never tells a stranger who is registered.
 */
export class RegisterResponseDto {
  @ApiProperty({ example: 'received', enum: ['received'] })
  status: 'received';

  @ApiProperty({
    example:
      'If this email and phone number were not registered yet, the account is ready: sign in with them. If either was, its owner has been told.',
  })
  message: string;
}
