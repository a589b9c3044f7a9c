import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { ArrayMaxSize, IsArray, IsInt, IsObject, IsOptional, IsString, Length, Matches, Max, Min, ValidateNested } from 'class-validator';
import { PurchaseItemDto } from './purchase-item.dto';

/** A payment from the user's own DOKU Wallet. Amounts are whole rupiah (JSON integers). */
export class CreatePurchaseRequestDto {
  @ApiProperty({ example: 50000, description: 'Whole rupiah, 1 up to the configured per-transaction limit' })
  @IsInt()
  @Min(1)
  @Max(Number.MAX_SAFE_INTEGER)
  amount: number;

  @ApiPropertyOptional({ example: 'Order #7781 at Toko Kopi', maxLength: 256 })
  @IsOptional()
  @IsString()
  @Length(1, 256)
  @Matches(/^[^\p{Cc}]+$/u, { message: 'description must not contain control characters' })
  description?: string;

  @ApiPropertyOptional({
    type: [PurchaseItemDto],
    example: [{ name: 'Kopi susu 250 ml', price: 25000, quantity: 2 }],
    description: 'When given, price x quantity must add up to the amount',
  })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(50)
  // ValidateNested descends into a nested array instead of refusing it: [[...]] reached the service.
  @IsObject({ each: true })
  @ValidateNested({ each: true })
  @Type(() => PurchaseItemDto)
  items?: PurchaseItemDto[];
}
