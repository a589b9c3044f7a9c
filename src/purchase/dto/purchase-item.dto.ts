import { ApiProperty } from '@nestjs/swagger';
import { IsInt, IsString, Length, Matches, Max, Min } from 'class-validator';

/** One line of a purchase, shown to the user and sent to DOKU as `additionalInfo.lineItems`. */
export class PurchaseItemDto {
  @ApiProperty({ example: 'Kopi susu 250 ml', maxLength: 100 })
  @IsString()
  @Length(1, 100)
  @Matches(/^[^\p{Cc}]+$/u, { message: 'name must not contain control characters' })
  name: string;

  @ApiProperty({ example: 25000, description: 'Unit price in whole rupiah' })
  @IsInt()
  @Min(1)
  @Max(Number.MAX_SAFE_INTEGER)
  price: number;

  @ApiProperty({ example: 2, minimum: 1, maximum: 1000 })
  @IsInt()
  @Min(1)
  @Max(1000)
  quantity: number;
}
