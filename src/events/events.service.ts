import { Injectable } from '@nestjs/common';
import { OutboxRepository } from '../outbox/outbox.repository';
import { EventPageResponseDto } from './dto/event-page.response.dto';
import { EventResponseDto } from './dto/event.response.dto';

export const DEFAULT_EVENTS_PAGE = 100;
export const MAX_EVENTS_PAGE = 500;

/**
 * The outbox read by cursor, so a subscriber can catch up after downtime. The cursor is the
 * events' position (the API's `seq`): the sequencer runs first, so every event committed before
 * the request is numbered, and an event that commits later is numbered above every position
 * already given, so paging by `after` neither skips nor repeats an event.
 */
@Injectable()
export class EventsService {
  constructor(private readonly outbox: OutboxRepository) {}

  /** With `userId`, that user's events only (their own feed, GET /v1/me/events). */
  async list(after: string | undefined, limit: number | undefined, userId?: string): Promise<EventPageResponseDto> {
    const cursor = after ?? '0';
    const size = Math.min(MAX_EVENTS_PAGE, Math.max(1, limit ?? DEFAULT_EVENTS_PAGE));
    // A user's page holds only their events, so a page's worth of numbering is not enough: number
    // every committed event (a batch at most; an event left for the next run still comes above the cursor).
    await (userId === undefined ? this.outbox.sequence(size) : this.outbox.sequence());
    const events = await this.outbox.listAfter(cursor, size, userId);
    return {
      events: events.map((e) => EventResponseDto.from(e)),
      nextCursor: events.length ? events[events.length - 1].position : cursor,
    };
  }
}
