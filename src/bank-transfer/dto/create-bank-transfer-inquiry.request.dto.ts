import { ApiProperty } from '@nestjs/swagger';
import { IsInt, IsString, Matches, Max, Min } from 'class-validator';

export class CreateBankTransferInquiryRequestDto {
  @ApiProperty({ example: '014', description: 'Destination bank code (3 to 11 digits, e.g. 014 for BCA)' })
  @IsString()
  @Matches(/^[0-9]{3,11}$/, { message: 'bankCode must be 3 to 11 digits' })
  bankCode: string;

  @ApiProperty({ example: '8377388292', description: 'Beneficiary account number, digits only' })
  @IsString()
  @Matches(/^[0-9]{5,32}$/, { message: 'accountNumber must be 5 to 32 digits' })
  accountNumber: string;

  @ApiProperty({ example: 100000, description: 'Whole rupiah', minimum: 1 })
  @IsInt()
  @Min(1)
  @Max(Number.MAX_SAFE_INTEGER)
  amount: number;
}
