import { Column, CreateDateColumn, Entity, Generated, PrimaryColumn } from 'typeorm';

/**
 * An event for the partner's own systems, written in the same commit as the change it reports
 * (transactional outbox). `seq` orders events and is the cursor of `GET /v1/events?after=`.
 */
@Entity('outbox_events')
export class OutboxEvent {
  @PrimaryColumn({ type: 'bigint', generated: 'increment' })
  seq: string;

  /** Stable id for consumers' deduplication (the Standard Webhooks `webhook-id`). */
  @Column({ type: 'uuid' })
  @Generated('uuid')
  id: string;

  /** e.g. `transaction.status_changed`, `wallet.bound`. */
  @Column({ type: 'text' })
  type: string;

  @Column({ type: 'text' })
  aggregateType: string;

  @Column({ type: 'text' })
  aggregateId: string;

  @Column({ type: 'uuid', nullable: true })
  userId: string | null;

  @Column({ type: 'jsonb' })
  payload: Record<string, unknown>;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;
}
