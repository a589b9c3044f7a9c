import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString, Length, Matches } from 'class-validator';

export class CancelPurchaseRequestDto {
  @ApiPropertyOptional({ example: 'Customer changed their mind', maxLength: 200 })
  @IsOptional()
  @IsString()
  @Length(1, 200)
  @Matches(/^[^\p{Cc}]+$/u, { message: 'reason must not contain control characters' })
  reason?: string;
}
