import { Module } from '@nestjs/common';
import { EventsController } from './events.controller';
import { EventsService } from './events.service';

/** GET /v1/events over the transactional outbox (OutboxRepository, from the global TransactionsModule). */
@Module({
  controllers: [EventsController],
  providers: [EventsService],
})
export class EventsModule {}
