import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString, Length, Matches } from 'class-validator';

export class DecideApprovalRequestDto {
  @ApiPropertyOptional({ example: 'Checked against the merchant ticket', maxLength: 500 })
  @IsOptional()
  @IsString()
  @Length(1, 500)
  @Matches(/^[^\p{Cc}]+$/u, { message: 'note must not contain control characters' })
  note?: string;
}
