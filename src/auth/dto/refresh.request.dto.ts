import { ApiProperty } from '@nestjs/swagger';
import { IsString, Length } from 'class-validator';

export class RefreshRequestDto {
  @ApiProperty({ example: 'rt_4mR9c1s0p1nQfY1n2vC0lO7tX9aB3dE5fG7hJ9kL1mN' })
  @IsString()
  @Length(10, 200)
  refreshToken: string;
}
