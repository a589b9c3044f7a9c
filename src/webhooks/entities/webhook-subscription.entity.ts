import { Check, Column, CreateDateColumn, Entity, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';

/**
 * A partner endpoint receiving signed events (Standard Webhooks). The signing secret is stored
 * sealed (SecretBox); it is shown once, when created or rotated.
 */
@Entity('webhook_subscriptions')
@Check('webhook_subscriptions_url_check', `length(url) <= 2048`)
export class WebhookSubscription {
  @PrimaryGeneratedColumn('uuid', { primaryKeyConstraintName: 'webhook_subscriptions_pkey' })
  id: string;

  @Column({ type: 'text' })
  url: string;

  /** Event types delivered; empty means every type. */
  @Column({ type: 'text', array: true })
  eventTypes: string[];

  @Column({ type: 'text' })
  description: string;

  @Column({ type: 'text' })
  secretCiphertext: string;

  /** The secret before the last rotation, still signing alongside the new one until it expires. */
  @Column({ type: 'text', nullable: true })
  previousSecretCiphertext: string | null;

  @Column({ type: 'timestamptz', nullable: true })
  previousSecretExpiresAt: Date | null;

  /** Deleted subscriptions keep their delivery log but receive nothing more. */
  @Column({ type: 'timestamptz', nullable: true })
  deletedAt: Date | null;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ type: 'timestamptz' })
  updatedAt: Date;
}
