import { ApiProperty } from '@nestjs/swagger';
import { IsUUID } from 'class-validator';

export class CreateBankTransferRequestDto {
  @ApiProperty({ example: '0b6f1c52-9a3e-4c1f-8f0e-2d7a9b1c3e4f', description: 'The id returned by the inquiry' })
  @IsUUID()
  inquiryId: string;
}
