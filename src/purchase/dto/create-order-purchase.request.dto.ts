import { ApiProperty } from '@nestjs/swagger';
import { IsString, Length, Matches } from 'class-validator';
import { CreatePurchaseRequestDto } from './create-purchase.request.dto';

/** A purchase an internal service creates for one of its orders, on behalf of a user. */
export class CreateOrderPurchaseRequestDto extends CreatePurchaseRequestDto {
  @ApiProperty({ example: 'ORD-2026-000781', maxLength: 64, description: "The calling service's own order id" })
  @IsString()
  @Length(1, 64)
  @Matches(/^[A-Za-z0-9._:\-/]+$/, { message: 'merchantOrderRef may hold letters, digits and . _ : - / only' })
  merchantOrderRef: string;
}
