import { ApiProperty } from '@nestjs/swagger';
import { IsInt, Max, Min } from 'class-validator';

export class CreateTopUpInquiryRequestDto {
  @ApiProperty({ example: 50000, description: 'Whole rupiah, from the partner corporate balance', minimum: 1 })
  @IsInt()
  @Min(1)
  @Max(Number.MAX_SAFE_INTEGER)
  amount: number;
}
