import { ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsEmail, IsOptional, IsString, Length, Matches, MaxLength } from 'class-validator';

/** Account Creation input (docs/doku-integration.md#registration). Each field defaults to the user's own profile. */
export class CreateRegistrationRequestDto {
  @ApiPropertyOptional({ example: 'Siti Rahayu', maxLength: 128, description: 'Defaults to the profile name' })
  @IsOptional()
  @IsString()
  @Transform(({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim() : value))
  @Length(3, 128)
  @Matches(/^[\p{L} .'-]+$/u, { message: 'name may contain letters, spaces, dots, apostrophes and hyphens' })
  name?: string;

  @ApiPropertyOptional({ example: 'siti@example.com', maxLength: 254, description: 'Defaults to the profile email' })
  @IsOptional()
  @IsEmail()
  @MaxLength(254)
  email?: string;

  @ApiPropertyOptional({ example: '6281234567890', description: 'Indonesian mobile number in 62… form; defaults to the profile phone' })
  @IsOptional()
  @IsString()
  @Matches(/^628\d{7,11}$/, { message: 'phone must be an Indonesian mobile number in 62… form, e.g. 6281234567890' })
  phone?: string;
}
