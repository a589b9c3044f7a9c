import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString, IsUUID, Matches } from 'class-validator';

export class CreateTopUpRequestDto {
  @ApiProperty({ example: '0b6f1c52-9a3e-4c1f-8f0e-2d7a9b1c3e4f', description: 'The id returned by the inquiry' })
  @IsUUID()
  inquiryId: string;

  @ApiPropertyOptional({ example: 'reward-2026-11-0042', description: "The caller's own reference (1-64 of A-Z a-z 0-9 _ . : -)" })
  @IsOptional()
  @IsString()
  @Matches(/^[A-Za-z0-9_.:-]{1,64}$/, { message: 'merchantOrderRef must be 1 to 64 of A-Z a-z 0-9 _ . : -' })
  merchantOrderRef?: string;
}
