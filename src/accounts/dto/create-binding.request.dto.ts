import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString, Matches } from 'class-validator';

/**
 * Account Binding needs DOKU's accountId (`successParams.accountId`); DOKU offers no lookup by
 * phone. After our own registration it is known; to bind an existing DOKU Wallet the user gives it
 * (the 10-digit DOKU ID of their DOKU app) and the wallet's phone (defaults to the profile phone).
 */
export class CreateBindingRequestDto {
  @ApiPropertyOptional({ example: '1140340010', description: 'DOKU account id; omit after registering through this app' })
  @IsOptional()
  @IsString()
  @Matches(/^\d{6,20}$/, { message: 'accountId must be the DOKU account id (digits)' })
  accountId?: string;

  @ApiPropertyOptional({ example: '6281234567890', description: "The DOKU Wallet's phone in 62… form; defaults to the profile phone" })
  @IsOptional()
  @IsString()
  @Matches(/^628\d{7,11}$/, { message: 'phone must be an Indonesian mobile number in 62… form, e.g. 6281234567890' })
  phone?: string;
}
