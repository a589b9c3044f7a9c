import { ApiProperty } from '@nestjs/swagger';
import { IsInt, Max, Min } from 'class-validator';

/** Largest single top-up we accept (DOKU's per-transaction cap, §3.12). */
export const MAX_TOP_UP_RUPIAH = 10_000_000;

export class CreateTopUpInquiryRequestDto {
  @ApiProperty({ example: 50000, description: 'Whole rupiah, from the partner corporate balance', minimum: 1, maximum: MAX_TOP_UP_RUPIAH })
  @IsInt()
  @Min(1)
  @Max(MAX_TOP_UP_RUPIAH)
  amount: number;
}
