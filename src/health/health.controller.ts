import { Controller, Get } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { NoRateLimit, Public } from '../common/auth/auth.decorators';
import { HealthService } from './health.service';

@ApiTags('health')
@Controller('health')
@NoRateLimit()
export class HealthController {
  constructor(private readonly health: HealthService) {}

  @Get('live')
  @Public()
  @ApiOperation({ summary: 'The process is up' })
  live(): { status: 'ok' } {
    return { status: 'ok' };
  }

  @Get('ready')
  @Public()
  @ApiOperation({ summary: 'Ready to serve: the database answers' })
  ready(): Promise<{ status: 'ok'; checks: Record<string, 'up'> }> {
    return this.health.ready();
  }
}
