import { ApiProperty } from '@nestjs/swagger';
import { UserResponseDto } from '../../users/dto/user.response.dto';

/** The console's signed-in back-office member, and the token its requests carry in X-CSRF-Token. */
export class ConsoleSessionResponseDto {
  @ApiProperty({ type: UserResponseDto })
  user: UserResponseDto;

  @ApiProperty({
    example: 'kq3Zr0yq0b2m9QK6lA2Jx5vQeGg1yDq7cS1oH3wWm8E',
    description: 'Send it as X-CSRF-Token with every cookie-authenticated request',
  })
  csrfToken: string;
}
