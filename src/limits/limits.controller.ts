import { Body, Controller, Get, Param, Put } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { AllowUsers } from '../common/auth/auth.decorators';
import { userIdPipe } from '../common/http/resource-id.pipes';
import { EmoneyLimitsResponseDto } from './dto/emoney-limits.response.dto';
import { SetAccountLevelRequestDto } from './dto/set-account-level.request.dto';
import { EmoneyLimits } from './emoney-limits.service';

/** Back office: a user's e-money level and what the limits have counted (docs/limits.md). */
@ApiTags('back office')
@ApiBearerAuth()
@Controller('v1/admin/users/:userId/emoney-limits')
export class LimitsController {
  constructor(private readonly limits: EmoneyLimits) {}

  @Get()
  @AllowUsers('admin', 'support', 'finance')
  @ApiOperation({ summary: "A user's e-money account level and the limit counters of the current day, hour and month" })
  @ApiOkResponse({ type: EmoneyLimitsResponseDto })
  get(@Param('userId', userIdPipe) userId: string): Promise<EmoneyLimitsResponseDto> {
    return this.limits.usage(userId);
  }

  @Put('level')
  @AllowUsers('admin')
  @ApiOperation({
    summary: "Sets a user's e-money account level (UNREGISTERED or REGISTERED), as the partner's identity check decided",
    description: "The level chooses the maximum balance a top-up is checked against (Bank Indonesia's two levels).",
  })
  @ApiOkResponse({ type: EmoneyLimitsResponseDto })
  async setLevel(@Param('userId', userIdPipe) userId: string, @Body() body: SetAccountLevelRequestDto): Promise<EmoneyLimitsResponseDto> {
    await this.limits.setLevel(userId, body.level);
    return this.limits.usage(userId);
  }
}
