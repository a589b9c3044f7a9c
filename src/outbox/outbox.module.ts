import { Module } from '@nestjs/common';
import { OutboxRepository } from './outbox.repository';

/**
 * The transactional outbox: the modules that write events with their changes (auth, accounts) or
 * read them (events, webhooks) import it. The money model writes its status events through
 * OutboxRepository's SQL fragments, in its own statements.
 */
@Module({
  providers: [OutboxRepository],
  exports: [OutboxRepository],
})
export class OutboxModule {}
