import { ApiProperty } from '@nestjs/swagger';

export class SignInLockReleaseResponseDto {
  @ApiProperty({ example: true, description: 'false: the account was not locked (nothing changed)' })
  released: boolean;
}
