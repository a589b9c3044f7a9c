import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  IsArray,
  IsIn,
  IsBoolean,
  IsInt,
  IsObject,
  IsOptional,
  IsString,
  Length,
  Matches,
  Max,
  Min,
  ValidateIf,
  ValidateNested,
} from 'class-validator';
import { PAYMENT_METHODS, PaymentMethod } from '../../transactions/payment-method';
import { PurchaseItemDto } from './purchase-item.dto';

/** The customer's IPv4 address, dotted quad without leading zeros (docs/channels.md#headers). */
const IPV4 = /^(?:(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])\.){3}(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])$/;

/**
 * A payment: from the user's own DOKU Wallet (the default), once through DANA, or with a KKI card
 * (docs/channels.md).
 * Amounts are whole rupiah (JSON integers).
 */
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

  @ApiPropertyOptional({
    enum: PAYMENT_METHODS,
    example: 'DOKU_WALLET',
    default: 'DOKU_WALLET',
    description:
      "DOKU_WALLET: the bound DOKU Wallet (PIN page). DANA: a one-time DANA payment, no binding (needs deviceId). CARD: a KKI card by bankCardToken or cpan, with the otp (needs a bound DOKU Wallet). DOKU_WALLET_CHECKOUT: DOKU's own e-Wallet checkout page, no binding (no refunds through the API)",
  })
  @IsOptional()
  @IsIn(PAYMENT_METHODS)
  paymentMethod?: PaymentMethod;

  @ApiPropertyOptional({
    example: 'a1b2c3d4e5f60718',
    maxLength: 64,
    description: "DANA only, required there: the customer's device id, letters and digits (passed to DOKU as X-DEVICE-ID)",
  })
  @IsOptional()
  @IsString()
  @Matches(/^[A-Za-z0-9]{1,64}$/, { message: 'deviceId must be 1 to 64 letters and digits, without symbols' })
  deviceId?: string;

  @ApiPropertyOptional({
    example: '203.0.113.7',
    description: "DANA only, optional: the customer's IPv4 address (passed to DOKU as X-IP-ADDRESS)",
  })
  @IsOptional()
  @IsString()
  @Matches(IPV4, { message: 'ipAddress must be an IPv4 address such as 203.0.113.7' })
  ipAddress?: string;

  @ApiPropertyOptional({
    example: 'de52e5820f4c381db88a1cf91d57b73e',
    maxLength: 64,
    description: "CARD only, this or cpan: DOKU's token for the customer's KKI card. Passed to DOKU once, never stored",
  })
  @IsOptional()
  @IsString()
  @Matches(/^[\x21-\x7e]{1,64}$/, { message: 'bankCardToken must be 1 to 64 printable characters without spaces' })
  bankCardToken?: string;

  @ApiPropertyOptional({
    example: '9360001609987000000',
    description: "CARD only, this or bankCardToken: the KKI card's customer PAN, 12 to 20 digits. Passed to DOKU once, never stored",
  })
  @IsOptional()
  @IsString()
  @Matches(/^[0-9]{12,20}$/, { message: 'cpan must be 12 to 20 digits' })
  cpan?: string;

  @ApiPropertyOptional({
    example: '12345678',
    description: "CARD only: the 8-digit one-time code the card's issuer sent the customer. Passed to DOKU once, never stored",
  })
  @IsOptional()
  @IsString()
  @Matches(/^[0-9]{8}$/, { message: 'otp must be exactly 8 digits' })
  otp?: string;

  @ApiPropertyOptional({
    example: true,
    description:
      "Send the customer straight back to the app after DOKU's PIN page: DOKU opens the partner app's return link (deep link or universal link, with result=processing&flow=purchase&purchaseId=…) instead of our page; the app then reads the purchase. Needs a configured return link",
  })
  // Absent is "no"; null is not a yes or a no, so it is refused.
  @ValidateIf((_, value) => value !== undefined)
  @IsBoolean()
  returnToApp?: boolean;
}
