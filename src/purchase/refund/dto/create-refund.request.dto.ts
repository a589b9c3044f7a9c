import { ApiProperty } from '@nestjs/swagger';
import { IsInt, IsString, Length, Matches, Max, Min } from 'class-validator';

/** A refund of part or all of a successful purchase, back to the user's wallet. */
export class CreateRefundRequestDto {
  @ApiProperty({ example: 20000, description: 'Whole rupiah; at most what was paid minus earlier refunds' })
  @IsInt()
  @Min(1)
  @Max(Number.MAX_SAFE_INTEGER)
  amount: number;

  @ApiProperty({ example: 'Item out of stock', maxLength: 200 })
  @IsString()
  @Length(1, 200)
  @Matches(/^[^\p{Cc}]+$/u, { message: 'reason must not contain control characters' })
  reason: string;
}
