import { ApiProperty } from '@nestjs/swagger';
import { IsString, Length, Matches } from 'class-validator';

/** Finance records a refund made in DOKU's own back office (docs/channels.md#refunds-of-a-checkout-purchase). */
export class RecordDokuRefundRequestDto {
  @ApiProperty({ example: 'Refunded in DOKU back office, ticket 4411', maxLength: 200 })
  @IsString()
  @Length(1, 200)
  @Matches(/^[^\p{Cc}]+$/u, { message: 'reason must not contain control characters' })
  reason: string;
}
