import { ApiProperty } from '@nestjs/swagger';

export class ClientTokenResponseDto {
  @ApiProperty({ example: 'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJ0eXAiOiJzZXJ2aWNlIn0.sig' })
  access_token: string;

  @ApiProperty({ example: 'Bearer' })
  token_type: 'Bearer';

  @ApiProperty({ example: 900 })
  expires_in: number;

  @ApiProperty({ example: 'purchases:write wallets:read' })
  scope: string;
}
