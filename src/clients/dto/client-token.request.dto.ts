import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Equals, IsOptional, IsString, Length, Matches } from 'class-validator';

/** OAuth2 client-credentials grant (RFC 6749 §4.4), as a form or JSON body. */
export class ClientTokenRequestDto {
  @ApiProperty({ example: 'client_credentials' })
  @Equals('client_credentials', { message: 'grant_type must be client_credentials' })
  grant_type: string;

  @ApiPropertyOptional({ example: 'svc_order_7f3a9c', description: 'Or send the credentials with HTTP Basic' })
  @IsOptional()
  @IsString()
  @Length(1, 100)
  client_id?: string;

  @ApiPropertyOptional({ example: 'cs_Xq3…', description: 'Or send the credentials with HTTP Basic' })
  @IsOptional()
  @IsString()
  @Length(1, 200)
  client_secret?: string;

  @ApiPropertyOptional({ example: 'purchases:write wallets:read', description: 'Subset of the client scopes; all of them when omitted' })
  @IsOptional()
  @IsString()
  @Matches(/^[a-z:]+( [a-z:]+)*$/, { message: 'scope must be space-separated scope names' })
  scope?: string;
}
