import { ApiProperty } from '@nestjs/swagger';
import { IsIn, IsString, Length } from 'class-validator';

export const RESOLUTIONS = ['SUCCESS', 'FAILED'] as const;
export type Resolution = (typeof RESOLUTIONS)[number];

export class ResolveTransactionRequestDto {
  @ApiProperty({
    example: 'FAILED',
    enum: RESOLUTIONS,
    description: 'What DOKU did, as the back office established it (DOKU dashboard, support ticket, settlement report)',
  })
  @IsIn(RESOLUTIONS)
  status: Resolution;

  @ApiProperty({
    example: 'Not in DOKU settlement report of 2026-12-03; DOKU support ticket 88213 confirms no refund',
    minLength: 10,
    maxLength: 500,
  })
  @IsString()
  @Length(10, 500)
  reason: string;
}
