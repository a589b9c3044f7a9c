import { ApiProperty } from '@nestjs/swagger';
import { IsString, Length } from 'class-validator';

export class HandleDisagreementRequestDto {
  @ApiProperty({
    example: 'Customer refunded from the DOKU dashboard, ticket 88213; order not delivered',
    minLength: 10,
    maxLength: 500,
    description: 'What was done about it, as established outside (DOKU dashboard, support ticket, settlement report)',
  })
  @IsString()
  @Length(10, 500)
  note: string;
}
