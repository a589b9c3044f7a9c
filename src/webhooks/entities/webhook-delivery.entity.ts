import { Check, Column, CreateDateColumn, Entity, ForeignKey, Index, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';
import { WebhookSubscription } from './webhook-subscription.entity';

export const WEBHOOK_DELIVERY_STATUSES = ['PENDING', 'DELIVERED', 'FAILED'] as const;
export type WebhookDeliveryStatus = (typeof WEBHOOK_DELIVERY_STATUSES)[number];

/** One outbox event for one subscription, from its fan-out to its delivery or final failure. */
@Entity('webhook_deliveries')
@Check('webhook_deliveries_status_check', `status IN ('PENDING','DELIVERED','FAILED')`)
// One delivery per (event, subscription): the fan-out can run again without duplicating any.
@Index('webhook_deliveries_event_subscription_key', ['eventId', 'subscriptionId'], { unique: true })
// The deliveries waiting for an attempt.
@Index('webhook_deliveries_due_idx', ['nextAttemptAt'], { where: `status = 'PENDING'` })
// In the database created_at is descending (newest first); TypeORM cannot declare an index column's order.
@Index('webhook_deliveries_subscription_idx', ['subscriptionId', 'createdAt'])
// The attempts in flight, which a secret rotation waits for.
@Index('webhook_deliveries_claimed', ['subscriptionId', 'claimedAt'], { where: 'claimed_at IS NOT NULL' })
export class WebhookDelivery {
  @PrimaryGeneratedColumn('uuid', { primaryKeyConstraintName: 'webhook_deliveries_pkey' })
  id: string;

  /** A subscription with deliveries is never deleted (it is soft-deleted instead). */
  @ForeignKey(() => WebhookSubscription, { name: 'webhook_deliveries_subscription_id_fkey', onDelete: 'RESTRICT' })
  @Column({ type: 'uuid' })
  subscriptionId: string;

  /** The outbox event id, sent as `webhook-id`. */
  @Column({ type: 'uuid' })
  eventId: string;

  /** The event's position (its `seq` in GET /v1/events and in the webhook body). */
  @Column({ type: 'bigint' })
  eventSeq: string;

  @Column({ type: 'text' })
  eventType: string;

  @Column({ type: 'text' })
  status: WebhookDeliveryStatus;

  @Column({ type: 'integer', default: 0 })
  attempts: number;

  /** When the next attempt is due; while a worker holds the delivery, the end of its lease. */
  @Column({ type: 'timestamptz', nullable: true })
  nextAttemptAt: Date | null;

  /** When a worker took it for the attempt in flight; cleared when the attempt is recorded. */
  @Column({ type: 'timestamptz', nullable: true })
  claimedAt: Date | null;

  @Column({ type: 'timestamptz', nullable: true })
  lastAttemptAt: Date | null;

  @Column({ type: 'integer', nullable: true })
  lastStatusCode: number | null;

  @Column({ type: 'text', nullable: true })
  lastError: string | null;

  @Column({ type: 'timestamptz', nullable: true })
  deliveredAt: Date | null;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ type: 'timestamptz' })
  updatedAt: Date;
}
