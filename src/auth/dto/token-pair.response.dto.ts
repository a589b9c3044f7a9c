import { ApiProperty } from '@nestjs/swagger';

export class TokenPairResponseDto {
  @ApiProperty({ example: 'eyJhbGciOiJFUzI1NiIsInR5cCI6IkpXVCIsImtpZCI6Ik15bTJ1NC1DIn0.eyJ0eXAiOiJ1c2VyIn0.sig' })
  accessToken: string;

  @ApiProperty({ example: 'Bearer' })
  tokenType: 'Bearer';

  @ApiProperty({ example: 900, description: 'Seconds until the access token expires' })
  expiresIn: number;

  @ApiProperty({ example: 'rt_4mR9c1s0p1nQfY1n2vC0lO7tX9aB3dE5fG7hJ9kL1mN', description: 'Single use: each refresh returns a new one' })
  refreshToken: string;
}
