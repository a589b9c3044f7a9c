import { Injectable } from '@nestjs/common';
import { OutboxRepository } from '../outbox/outbox.repository';
import { EventPageResponseDto } from './dto/event-page.response.dto';
import { EventResponseDto } from './dto/event.response.dto';

export const DEFAULT_EVENTS_PAGE = 100;
export const MAX_EVENTS_PAGE = 500;

/**
 * The outbox read by cursor, so a subscriber can catch up after downtime. Sequence numbers are
 * assigned in commit order, so paging by `after` neither skips nor repeats an event.
 */
@Injectable()
export class EventsService {
  constructor(private readonly outbox: OutboxRepository) {}

  async list(after: string | undefined, limit: number | undefined): Promise<EventPageResponseDto> {
    const cursor = after ?? '0';
    const size = Math.min(MAX_EVENTS_PAGE, Math.max(1, limit ?? DEFAULT_EVENTS_PAGE));
    const events = await this.outbox.listAfter(cursor, size);
    return {
      events: events.map((e) => EventResponseDto.from(e)),
      nextCursor: events.length ? events[events.length - 1].seq : cursor,
    };
  }
}
