import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ArrayMaxSize, ArrayUnique, IsArray, IsIn, IsOptional, IsString, MaxLength } from 'class-validator';
import { EVENT_TYPES } from '../../events/event-types';

export class CreateWebhookRequestDto {
  @ApiProperty({
    example: 'https://hooks.partner.example/doku-wallet',
    description: 'https only; private, loopback, link-local and metadata addresses are refused',
  })
  @IsString()
  @MaxLength(2048)
  url: string;

  @ApiPropertyOptional({
    example: ['transaction.status_changed'],
    enum: EVENT_TYPES,
    isArray: true,
    description: 'Event types to receive; all when omitted or empty',
  })
  @IsOptional()
  @IsArray()
  @ArrayUnique()
  @ArrayMaxSize(EVENT_TYPES.length)
  @IsIn(EVENT_TYPES, { each: true })
  eventTypes?: string[];

  @ApiProperty({ example: 'Order service: payment status updates' })
  @IsString()
  @MaxLength(200)
  description: string;
}
