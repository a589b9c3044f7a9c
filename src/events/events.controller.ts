import { Controller, Get, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Allow, AllowUsers, CurrentPrincipal } from '../common/auth/auth.decorators';
import { UserPrincipal } from '../common/auth/principal';
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

/** A user's own events, for the app's activity screen: the same events, only those about this user. */
@ApiTags('events')
@ApiBearerAuth()
@Controller('v1/me/events')
export class MyEventsController {
  constructor(private readonly events: EventsService) {}

  @Get()
  @AllowUsers('user')
  @ApiOperation({
    summary: 'My events after a cursor, oldest first (my wallet, registrations, bindings, purchases)',
    description:
      "Start with after=0 and pass nextCursor back; an empty page keeps the cursor. Only the signed-in user's events, never another user's.",
  })
  @ApiOkResponse({ type: EventPageResponseDto })
  list(@CurrentPrincipal() principal: UserPrincipal, @Query() query: ListEventsQueryDto): Promise<EventPageResponseDto> {
    return this.events.list(query.after, query.limit, principal.userId);
  }
}
