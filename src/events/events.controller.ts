import { Controller, Get, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Allow } from '../common/auth/auth.decorators';
import { EventPageResponseDto } from './dto/event-page.response.dto';
import { ListEventsQueryDto } from './dto/list-events.query.dto';
import { EventsService } from './events.service';

/** The event stream for the partner's systems (the same events the webhooks carry). */
@ApiTags('events')
@ApiBearerAuth()
@Controller('v1/events')
export class EventsController {
  constructor(private readonly events: EventsService) {}

  @Get()
  @Allow({ roles: ['admin', 'support', 'finance'], scopes: ['events:read'] })
  @ApiOperation({
    summary: 'Events after a cursor, oldest first (services with events:read, back office)',
    description: 'Start with after=0 and pass nextCursor back; an empty page keeps the cursor. Deduplicate on the event id.',
  })
  @ApiOkResponse({ type: EventPageResponseDto })
  list(@Query() query: ListEventsQueryDto): Promise<EventPageResponseDto> {
    return this.events.list(query.after, query.limit);
  }
}
