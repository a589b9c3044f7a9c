import { Column, CreateDateColumn, Entity, Generated, Index, PrimaryColumn } from 'typeorm';

/**
 * An event for the partner's own systems, written in the same commit as the change it reports
 * (transactional outbox). `position` orders events and is what the API calls `seq`: the cursor of
 * `GET /v1/events?after=`, the `seq` of webhooks. It is given after commit by the sequencer
 * (OutboxRepository.sequence, migration OutboxSequencer1764400000000); until then it is null and
 * the event is not read by anyone.
 */
@Entity('outbox_events')
// Readers page by position; rows still without one have no entry, so writers do not touch it.
@Index('outbox_events_position_key', ['position'], { unique: true, where: 'position IS NOT NULL' })
// The sequencer's work list: the events still without a position.
@Index('outbox_events_unsequenced_idx', ['writeSeq'], { where: 'position IS NULL' })
// A user's own feed (GET /v1/me/events).
@Index('outbox_events_user_id_position_idx', ['userId', 'position'], { where: 'position IS NOT NULL' })
export class OutboxEvent {
  /**
   * Write order, taken at INSERT (column `seq`). Internal: a slow writer commits a smaller value
   * after a larger one is visible, so it is never a cursor and never shown.
   */
  @PrimaryColumn({ name: 'seq', type: 'bigint', generated: 'increment', primaryKeyConstraintName: 'outbox_events_pkey' })
  writeSeq: string;

  /** The event's number in the stream (the API's `seq`); null until the sequencer gives it one. */
  @Column({ type: 'bigint', nullable: true })
  position: string | null;

  /** Stable id for consumers' deduplication (the Standard Webhooks `webhook-id`). */
  @Index('outbox_events_id_key', { unique: true })
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

/** An event the sequencer has numbered: the only kind readers are given. */
export type SequencedOutboxEvent = OutboxEvent & { position: string };
