import { ApiProperty } from '@nestjs/swagger';
import { IsIn } from 'class-validator';
import { ACCOUNT_LEVELS } from '../../config/limits-config';
import type { AccountLevel } from '../../config/limits-config';

/** The user's e-money account level, as the partner's identity check decided it. */
export class SetAccountLevelRequestDto {
  @ApiProperty({ enum: ACCOUNT_LEVELS, example: 'REGISTERED' })
  @IsIn(ACCOUNT_LEVELS, { message: `level must be one of ${ACCOUNT_LEVELS.join(', ')}` })
  level: AccountLevel;
}
