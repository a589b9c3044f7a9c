import { ApiProperty } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsEmail, IsString, Length, Matches, MaxLength } from 'class-validator';
import { IsAcceptablePassword } from '../password-policy';

export class RegisterRequestDto {
  @ApiProperty({ example: 'Siti Rahayu', maxLength: 100 })
  @IsString()
  @Transform(({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim() : value))
  @Length(1, 100)
  @Matches(/^[^\p{Cc}]+$/u, { message: 'name must not contain control characters' })
  name: string;

  @ApiProperty({ example: 'siti@example.com', maxLength: 254 })
  @IsEmail()
  @MaxLength(254)
  email: string;

  @ApiProperty({ example: '6281234567890', description: 'Indonesian mobile number in 62… form' })
  @IsString()
  @Matches(/^628\d{7,11}$/, { message: 'phone must be an Indonesian mobile number in 62… form, e.g. 6281234567890' })
  phone: string;

  @ApiProperty({
    example: 'correct horse battery staple',
    minLength: 10,
    maxLength: 128,
    description: 'Not one of the common leaked passwords, and not containing the email name or the phone number',
  })
  @IsString()
  @Length(10, 128)
  @IsAcceptablePassword()
  password: string;
}
