import { Module } from '@nestjs/common';
import { EventsController, MyEventsController } from './events.controller';
import { EventsService } from './events.service';
import { OutboxModule } from '../outbox/outbox.module';

/** GET /v1/events and a user's own GET /v1/me/events over the transactional outbox (OutboxRepository). */
@Module({
  imports: [OutboxModule],
  controllers: [EventsController, MyEventsController],
  providers: [EventsService],
})
export class EventsModule {}
