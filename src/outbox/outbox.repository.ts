import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager, MoreThan } from 'typeorm';
import { OutboxEvent } from './entities/outbox-event.entity';

export interface NewOutboxEvent {
  type: string;
  aggregateType: string;
  aggregateId: string;
  userId: string | null;
  payload: Record<string, unknown>;
}

@Injectable()
export class OutboxRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  /** Appends an event inside the caller's transaction: it commits, or vanishes, with the change. */
  async append(tx: EntityManager, event: NewOutboxEvent): Promise<void> {
    await tx.query(
      `INSERT INTO outbox_events (type, aggregate_type, aggregate_id, user_id, payload) VALUES ($1, $2, $3, $4, $5)`,
      [event.type, event.aggregateType, event.aggregateId, event.userId, JSON.stringify(event.payload)],
    );
  }

  /** Events after a cursor, oldest first. */
  listAfter(after: string, limit: number): Promise<OutboxEvent[]> {
    return this.db.getRepository(OutboxEvent).find({ where: { seq: MoreThan(after) }, order: { seq: 'ASC' }, take: limit });
  }
}
